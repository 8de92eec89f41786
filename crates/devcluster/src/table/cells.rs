//! The computed cells of the built-in kinds, following kube-apiserver's printers.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::age;

/// One object being printed, and the time its ages are measured at.
pub struct Cx<'a> {
    /// The object.
    pub object: &'a Value,
    /// The current time.
    pub now: Timestamp,
}

impl Cx<'_> {
    /// The value at a JSON pointer.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.object.pointer(pointer)
    }

    /// The string at a JSON pointer ("" when absent or not a string).
    pub fn text(&self, pointer: &str) -> &str {
        self.get(pointer).and_then(Value::as_str).unwrap_or("")
    }

    /// The integer at a JSON pointer (0 when absent).
    pub fn int(&self, pointer: &str) -> i64 {
        self.get(pointer).and_then(Value::as_i64).unwrap_or(0)
    }

    /// The number of entries of the array or map at a JSON pointer.
    pub fn count(&self, pointer: &str) -> usize {
        match self.get(pointer) {
            Some(Value::Array(items)) => items.len(),
            Some(Value::Object(map)) => map.len(),
            _ => 0,
        }
    }

    /// The array at a JSON pointer (empty when absent).
    pub fn list(&self, pointer: &str) -> &[Value] {
        self.get(pointer)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The age of the timestamp at a JSON pointer.
    pub fn age_of(&self, pointer: &str) -> String {
        age::since(self.get(pointer), self.now)
    }
}

/// `text`, or `fallback` when it is empty.
pub fn or(text: &str, fallback: &str) -> String {
    if text.is_empty() { fallback } else { text }.to_string()
}

/// The string field `key` of `value` ("" when absent).
pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `metadata.name`.
pub fn name(cx: &Cx) -> Value {
    json!(cx.text("/metadata/name"))
}

/// The age since `metadata.creationTimestamp`.
pub fn age(cx: &Cx) -> Value {
    json!(cx.age_of("/metadata/creationTimestamp"))
}

/// `metadata.creationTimestamp` as it is (RFC 3339).
pub fn created_at(cx: &Cx) -> Value {
    json!(cx.text("/metadata/creationTimestamp"))
}

/// The given field of each container at `pointer`, comma-separated.
fn container_field(cx: &Cx, pointer: &str, field: &str) -> Value {
    let values: Vec<&str> = cx.list(pointer).iter().map(|c| str_of(c, field)).collect();
    json!(values.join(","))
}

const TEMPLATE_CONTAINERS: &str = "/spec/template/spec/containers";
const CRON_CONTAINERS: &str = "/spec/jobTemplate/spec/template/spec/containers";

/// Names of the pod template's containers.
pub fn containers(cx: &Cx) -> Value {
    container_field(cx, TEMPLATE_CONTAINERS, "name")
}

/// Images of the pod template's containers.
pub fn images(cx: &Cx) -> Value {
    container_field(cx, TEMPLATE_CONTAINERS, "image")
}

/// Names of the job template's containers.
pub fn cron_containers(cx: &Cx) -> Value {
    container_field(cx, CRON_CONTAINERS, "name")
}

/// Images of the job template's containers.
pub fn cron_images(cx: &Cx) -> Value {
    container_field(cx, CRON_CONTAINERS, "image")
}

/// `spec.selector` (a LabelSelector) in label-query syntax.
pub fn selector(cx: &Cx) -> Value {
    json!(label_selector(cx.get("/spec/selector")))
}

/// The job template's selector.
pub fn cron_selector(cx: &Cx) -> Value {
    json!(label_selector(cx.get("/spec/jobTemplate/spec/selector")))
}

/// A LabelSelector as kube formats it (`app=web,tier in (a,b)`), `<none>` when empty, `<error>` when an
/// expression has an unknown operator.
pub fn label_selector(selector: Option<&Value>) -> String {
    let labels = selector
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object);
    let mut requirements: Vec<(String, String)> = labels
        .into_iter()
        .flatten()
        .map(|(key, value)| {
            (
                key.clone(),
                format!("{key}={}", value.as_str().unwrap_or("")),
            )
        })
        .collect();
    let expressions = selector
        .and_then(|s| s.get("matchExpressions"))
        .and_then(Value::as_array);
    for expression in expressions.into_iter().flatten() {
        match requirement(expression) {
            Some(r) => requirements.push(r),
            None => return "<error>".to_string(),
        }
    }
    requirements.sort();
    let joined: Vec<String> = requirements.into_iter().map(|(_, text)| text).collect();
    or(&joined.join(","), "<none>")
}

/// One match expression as (key, text), values sorted; `None` for an unknown operator.
fn requirement(expression: &Value) -> Option<(String, String)> {
    let key = str_of(expression, "key");
    let mut values: Vec<&str> = expression
        .get("values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    values.sort_unstable();
    let text = match str_of(expression, "operator") {
        "In" => format!("{key} in ({})", values.join(",")),
        "NotIn" => format!("{key} notin ({})", values.join(",")),
        "Exists" => key.to_string(),
        "DoesNotExist" => format!("!{key}"),
        _ => return None,
    };
    Some((key.to_string(), text))
}

/// A map of labels as `k=v,k2=v2` (sorted), `<none>` when empty.
fn label_map(map: Option<&Value>) -> String {
    let pairs: Vec<String> = map
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    or(&pairs.join(","), "<none>")
}

/// `spec.replicas`, which defaults to 1.
pub fn desired(cx: &Cx) -> Value {
    json!(desired_replicas(cx))
}

fn desired_replicas(cx: &Cx) -> i64 {
    cx.get("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

/// `readyReplicas/replicas`.
pub fn ready_of_desired(cx: &Cx) -> Value {
    json!(format!(
        "{}/{}",
        cx.int("/status/readyReplicas"),
        desired_replicas(cx)
    ))
}

/// A DaemonSet's node selector.
pub fn node_selector(cx: &Cx) -> Value {
    json!(label_map(cx.get("/spec/template/spec/nodeSelector")))
}

/// A Service's selector.
pub fn service_selector(cx: &Cx) -> Value {
    json!(label_map(cx.get("/spec/selector")))
}

/// A Service's external addresses: load balancer ingress, external IPs, or the external name.
pub fn external_ip(cx: &Cx) -> Value {
    let external: Vec<&str> = cx
        .list("/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let text = match cx.text("/spec/type") {
        "ExternalName" => cx.text("/spec/externalName").to_string(),
        "LoadBalancer" => {
            let mut addresses = load_balancer(cx, "/status/loadBalancer/ingress");
            addresses.extend(external.iter().map(|s| s.to_string()));
            or(&addresses.join(","), "<pending>")
        }
        _ => or(&external.join(","), "<none>"),
    };
    json!(text)
}

/// The IPs and host names of load balancer ingress points.
fn load_balancer(cx: &Cx, pointer: &str) -> Vec<String> {
    cx.list(pointer)
        .iter()
        .map(|i| or(str_of(i, "ip"), str_of(i, "hostname")))
        .filter(|s| !s.is_empty())
        .collect()
}

/// A Service's ports: `80/TCP`, `80:30080/TCP` with a node port.
pub fn service_ports(cx: &Cx) -> Value {
    let ports: Vec<String> = cx
        .list("/spec/ports")
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let protocol = or(str_of(p, "protocol"), "TCP");
            match p
                .get("nodePort")
                .and_then(Value::as_i64)
                .filter(|n| *n != 0)
            {
                Some(node) => format!("{port}:{node}/{protocol}"),
                None => format!("{port}/{protocol}"),
            }
        })
        .collect();
    json!(or(&ports.join(","), "<none>"))
}

/// Whether the object's `status.conditions` has a condition of type `kind` with status True.
pub fn condition_true(cx: &Cx, kind: &str) -> bool {
    cx.list("/status/conditions")
        .iter()
        .any(|c| str_of(c, "type") == kind && str_of(c, "status") == "True")
}

/// A Job's status from its conditions.
pub fn job_status(cx: &Cx) -> Value {
    let has = |kind: &str| condition_true(cx, kind);
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if cx.get("/metadata/deletionTimestamp").is_some() {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else {
        "Running"
    };
    json!(status)
}

/// A Job's `succeeded/completions` (`0/1 of 3` for a parallel job without completions).
pub fn job_completions(cx: &Cx) -> Value {
    let succeeded = cx.int("/status/succeeded");
    let text = match cx.get("/spec/completions").and_then(Value::as_i64) {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => match cx.int("/spec/parallelism") {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    json!(text)
}

/// How long a Job ran (so far, while it runs); empty before it started.
pub fn job_duration(cx: &Cx) -> Value {
    let start = cx.text("/status/startTime");
    let text = match cx.text("/status/completionTime") {
        _ if start.is_empty() => String::new(),
        "" => cx.age_of("/status/startTime"),
        end => age::between(start, end).unwrap_or_default(),
    };
    json!(text)
}

/// A CronJob's `spec.suspend` (false when absent).
pub fn suspended(cx: &Cx) -> Value {
    json!(cx
        .get("/spec/suspend")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// The age of a CronJob's last schedule, `<none>` before the first.
pub fn last_schedule(cx: &Cx) -> Value {
    match cx.get("/status/lastScheduleTime") {
        Some(_) => json!(cx.age_of("/status/lastScheduleTime")),
        None => json!("<none>"),
    }
}

/// An Ingress's hosts: up to three, then `+ N more...`; `*` when no rule names one.
pub fn ingress_hosts(cx: &Cx) -> Value {
    let rules = cx.list("/spec/rules");
    let hosts: Vec<&str> = rules
        .iter()
        .take(3)
        .map(|r| str_of(r, "host"))
        .filter(|h| !h.is_empty())
        .collect();
    let text = match (hosts.is_empty(), rules.len()) {
        (true, _) => "*".to_string(),
        (false, n) if n > 3 => format!("{} + {} more...", hosts.join(","), n - 3),
        (false, _) => hosts.join(","),
    };
    json!(text)
}

/// An Ingress's load balancer addresses.
pub fn ingress_address(cx: &Cx) -> Value {
    json!(load_balancer(cx, "/status/loadBalancer/ingress").join(","))
}

/// An Ingress's ports: `80`, or `80, 443` with TLS.
pub fn ingress_ports(cx: &Cx) -> Value {
    json!(if cx.count("/spec/tls") > 0 {
        "80, 443"
    } else {
        "80"
    })
}

/// A PVC's phase, `Terminating` while being deleted.
pub fn claim_status(cx: &Cx) -> Value {
    if cx.get("/metadata/deletionTimestamp").is_some() {
        return json!("Terminating");
    }
    json!(cx.text("/status/phase"))
}

/// A bound PVC's storage capacity.
pub fn claim_capacity(cx: &Cx) -> Value {
    if cx.text("/spec/volumeName").is_empty() {
        return json!("");
    }
    json!(cx.text("/status/capacity/storage"))
}

/// A bound PVC's access modes, abbreviated (`RWO,ROX,RWX,RWOP`).
pub fn claim_access_modes(cx: &Cx) -> Value {
    if cx.text("/spec/volumeName").is_empty() {
        return json!("");
    }
    let modes: Vec<&str> = cx
        .list("/status/accessModes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let short = [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ];
    let present: Vec<&str> = short
        .iter()
        .filter(|(long, _)| modes.contains(long))
        .map(|(_, s)| *s)
        .collect();
    json!(present.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors_print_sorted_requirements() {
        let mut selector = json!({
            "matchLabels": {"tier": "web", "app": "shop"},
            "matchExpressions": [
                {"key": "env", "operator": "NotIn", "values": ["prod", "dev"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "Exists"}
            ]
        });
        assert_eq!(
            label_selector(Some(&selector)),
            "app=shop,!canary,env notin (dev,prod),tier=web,zone"
        );
        selector["matchExpressions"][0]["operator"] = json!("Near");
        assert_eq!(label_selector(Some(&selector)), "<error>");
        assert_eq!(label_selector(Some(&json!({}))), "<none>");
        assert_eq!(label_selector(None), "<none>");
    }

    #[test]
    fn label_maps_print_sorted_pairs() {
        let map = json!({"disk": "ssd", "arch": "arm64"});
        assert_eq!(label_map(Some(&map)), "arch=arm64,disk=ssd");
        assert_eq!(label_map(Some(&json!({}))), "<none>");
    }
}
