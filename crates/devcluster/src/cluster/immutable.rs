//! Update validation that needs the old object: the fields kube-apiserver refuses to change once an object
//! exists (a Deployment's selector, a Job's template, a Service's cluster IPs, the data of an immutable
//! ConfigMap, most of a Pod's spec, ...). It runs on the merged object of every update of the main resource,
//! whatever the verb, so PUT, every kind of PATCH, server-side apply and dry runs all fail the same way:
//! 422 Invalid with one cause per field, worded as kube-apiserver words them.
//!
//! Values are compared as kube-apiserver's semantic equality compares them: a missing field, `null`, an empty
//! list and an empty map are the same. Objects are not defaulted (devcluster stores them as sent), so a field
//! is compared as it was stored, except for the few defaults named in the table.

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult, Cause};
use crate::field::render_value;
use crate::registry::ResourceType;

/// kube-apiserver's message for a field that may not change.
const IMMUTABLE: &str = "field is immutable";

/// What one rule checks.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// The field may not change: `<path>: Invalid value: <new value>: field is immutable`. The second value,
    /// when there is one, is the default that stands for a missing field on either side.
    Immutable(&'static str, Option<&'static str>),
    /// Only the listed fields (paths relative to `at`) may change; any other change of `at` is
    /// `<at>: Forbidden: <message>`.
    OnlyFields {
        at: &'static str,
        mutable: &'static [&'static str],
        message: &'static str,
    },
    /// A Job's completions: immutable, except for Indexed Jobs when changed in tandem with parallelism.
    JobCompletions,
    /// A Job's pod template: immutable, except its scheduling directives while the Job is suspended and has
    /// never started.
    JobTemplate,
    /// A Service's cluster IPs may not change once set (unless it is or becomes an ExternalName Service).
    ClusterIps,
    /// With `immutable: true`, the listed fields may not change and `immutable` may not be unset.
    SealedData(&'static [&'static str]),
    /// A PersistentVolumeClaim's spec: only resources.requests, volumeAttributesClassName and a first
    /// volumeName may change.
    Claim,
    /// A Pod's spec: only images, activeDeadlineSeconds, added tolerations and a negative grace period
    /// set to 1 may change.
    Pod,
    /// A (Cluster)RoleBinding's roleRef may not change.
    RoleRef,
}

const STATEFULSET_SPEC: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const CLAIM_SPEC: &str = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
const POD_SPEC: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";
const SEALED: &str = "field is immutable when `immutable` is set";
const RBAC: &str = "rbac.authorization.k8s.io";

/// The rules of each kind, by (group, kind).
const TABLE: &[(&str, &str, &[Rule])] = &[
    (
        "apps",
        "Deployment",
        &[Rule::Immutable("spec.selector", None)],
    ),
    (
        "apps",
        "ReplicaSet",
        &[Rule::Immutable("spec.selector", None)],
    ),
    (
        "apps",
        "DaemonSet",
        &[Rule::Immutable("spec.selector", None)],
    ),
    (
        "apps",
        "StatefulSet",
        &[Rule::OnlyFields {
            at: "spec",
            mutable: &[
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            ],
            message: STATEFULSET_SPEC,
        }],
    ),
    (
        "batch",
        "Job",
        &[
            Rule::JobCompletions,
            Rule::Immutable("spec.selector", None),
            Rule::JobTemplate,
            Rule::Immutable("spec.completionMode", Some("NonIndexed")),
            Rule::Immutable("spec.podFailurePolicy", None),
            Rule::Immutable("spec.managedBy", None),
        ],
    ),
    ("", "Service", &[Rule::ClusterIps]),
    (
        "",
        "ConfigMap",
        &[Rule::SealedData(&["data", "binaryData"])],
    ),
    (
        "",
        "Secret",
        &[
            Rule::Immutable("type", Some("Opaque")),
            Rule::SealedData(&["data"]),
        ],
    ),
    ("", "PersistentVolumeClaim", &[Rule::Claim]),
    ("", "Pod", &[Rule::Pod]),
    (RBAC, "RoleBinding", &[Rule::RoleRef]),
    (RBAC, "ClusterRoleBinding", &[Rule::RoleRef]),
];

/// Refuses an update of the main resource that changes a field kube-apiserver keeps immutable.
pub(super) fn check(rt: &ResourceType, old: &Value, new: &Value) -> ApiResult<()> {
    if rt.custom {
        return Ok(());
    }
    let Some((_, _, rules)) = TABLE
        .iter()
        .find(|(group, kind, _)| *group == rt.group && *kind == rt.kind)
    else {
        return Ok(());
    };
    let mut causes = Vec::new();
    for rule in *rules {
        apply(*rule, old, new, &mut causes);
    }
    if causes.is_empty() {
        return Ok(());
    }
    let name = new
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Err(ApiError::invalid(&rt.group, &rt.kind, name, causes))
}

fn apply(rule: Rule, old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    match rule {
        Rule::Immutable(path, default) => immutable(old, new, path, default, causes),
        Rule::OnlyFields {
            at,
            mutable,
            message,
        } => only_fields(old, new, at, mutable, message, causes),
        Rule::JobCompletions => job_completions(old, new, causes),
        Rule::JobTemplate => job_template(old, new, causes),
        Rule::ClusterIps => cluster_ips(old, new, causes),
        Rule::SealedData(fields) => sealed_data(old, new, fields, causes),
        Rule::Claim => claim(old, new, causes),
        Rule::Pod => pod(old, new, causes),
        Rule::RoleRef => {
            if !same(get(old, "roleRef"), get(new, "roleRef")) {
                causes.push(invalid(
                    "roleRef",
                    get(new, "roleRef"),
                    "cannot change roleRef",
                ));
            }
        }
    }
}

fn immutable(old: &Value, new: &Value, path: &str, default: Option<&str>, causes: &mut Vec<Cause>) {
    let fill = |v: Option<&Value>| -> Option<Value> {
        match (v.and_then(semantic), default) {
            (None, Some(d)) => Some(Value::String(d.to_string())),
            (v, _) => v,
        }
    };
    let after = fill(get(new, path));
    if fill(get(old, path)) != after {
        causes.push(invalid(path, after.as_ref(), IMMUTABLE));
    }
}

fn only_fields(
    old: &Value,
    new: &Value,
    at: &str,
    mutable: &[&str],
    message: &str,
    causes: &mut Vec<Cause>,
) {
    let strip = |v: Option<&Value>| {
        let mut v = v.cloned().unwrap_or(Value::Null);
        for field in mutable {
            remove(&mut v, field);
        }
        semantic(&v)
    };
    if strip(get(old, at)) != strip(get(new, at)) {
        causes.push(forbidden(at, message));
    }
}

fn job_completions(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let indexed = get(new, "spec.completionMode").and_then(Value::as_str) == Some("Indexed");
    if !indexed {
        return immutable(old, new, "spec.completions", None, causes);
    }
    let completions = get(new, "spec.completions");
    if same(get(old, "spec.completions"), completions) || completions.is_none_or(Value::is_null) {
        return;
    }
    let parallelism = get(new, "spec.parallelism").cloned().unwrap_or(1.into());
    if completions != Some(&parallelism) {
        causes.push(invalid(
            "spec.completions",
            completions,
            "can only be modified in tandem with spec.parallelism",
        ));
    }
}

fn job_template(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let suspended = get(old, "spec.suspend").and_then(Value::as_bool) == Some(true);
    let started = get(old, "status.startTime").is_some_and(|t| !t.is_null());
    let mutable: &[&str] = if suspended && !started {
        &[
            "metadata.labels",
            "metadata.annotations",
            "spec.nodeSelector",
            "spec.tolerations",
            "spec.affinity",
            "spec.schedulingGates",
        ]
    } else {
        &[]
    };
    let strip = |v: Option<&Value>| {
        let mut v = v.cloned().unwrap_or(Value::Null);
        for field in mutable {
            remove(&mut v, field);
        }
        semantic(&v)
    };
    if strip(get(old, "spec.template")) != strip(get(new, "spec.template")) {
        causes.push(invalid(
            "spec.template",
            get(new, "spec.template"),
            IMMUTABLE,
        ));
    }
}

/// The cluster IPs of a Service: `clusterIPs`, or `[clusterIP]` when only that is set.
fn ips_of(service: &Value) -> Vec<String> {
    let list: Vec<String> = get(service, "spec.clusterIPs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ip| ip.as_str().map(str::to_string))
        .collect();
    if !list.is_empty() {
        return list;
    }
    get(service, "spec.clusterIP")
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty())
        .map(|ip| vec![ip.to_string()])
        .unwrap_or_default()
}

fn cluster_ips(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let type_of = |s: &Value| {
        get(s, "spec.type")
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let external = Some("ExternalName".to_string());
    if type_of(old) == external || type_of(new) == external {
        return;
    }
    let headless = |s: &Value| get(s, "spec.clusterIP").and_then(Value::as_str) == Some("None");
    if headless(old) && headless(new) {
        return;
    }
    let before = ips_of(old);
    let mut after = ips_of(new);
    // A client that changes clusterIP but leaves clusterIPs as it was changes the primary address
    // (kube-apiserver normalizes clusterIPs[0] to clusterIP before it validates).
    let primary = get(new, "spec.clusterIP")
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty());
    if let (Some(primary), Some(first)) = (primary, after.first_mut()) {
        if get(old, "spec.clusterIP").and_then(Value::as_str) != Some(primary) {
            *first = primary.to_string();
        }
    }
    let rendered = Value::from(after.clone());
    let mut refuse = |index: usize, message: &str| {
        causes.push(invalid(
            &format!("spec.clusterIPs[{index}]"),
            Some(&rendered),
            message,
        ))
    };
    if before.is_empty() {
        return;
    }
    if after.is_empty() {
        return refuse(0, "primary clusterIP can not be unset");
    }
    if before.len() == after.len() {
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            if a != b {
                refuse(i, "may not change once set");
            }
        }
    } else if before[0] != after[0] {
        refuse(0, "may not change once set");
    }
}

fn sealed_data(old: &Value, new: &Value, fields: &[&str], causes: &mut Vec<Cause>) {
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return;
    }
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        causes.push(forbidden("immutable", SEALED));
    }
    for field in fields {
        if !same(old.get(*field), new.get(*field)) {
            causes.push(forbidden(field, SEALED));
        }
    }
}

fn claim(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let unnamed = get(old, "spec.volumeName")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    let mutable: &[&str] = if unnamed {
        &[
            "resources.requests",
            "volumeAttributesClassName",
            "volumeName",
        ]
    } else {
        &["resources.requests", "volumeAttributesClassName"]
    };
    only_fields(old, new, "spec", mutable, CLAIM_SPEC, causes);
}

fn pod(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let mut munged = new.get("spec").cloned().unwrap_or(Value::Null);
    // Images may change, container by container (when the lists keep their length).
    for list in ["containers", "initContainers"] {
        let olds = old_spec.get(list).and_then(Value::as_array);
        let news = munged.get_mut(list).and_then(Value::as_array_mut);
        if let (Some(olds), Some(news)) = (olds, news) {
            if olds.len() == news.len() {
                for (o, n) in olds.iter().zip(news.iter_mut()) {
                    if let Some(n) = n.as_object_mut() {
                        match o.get("image") {
                            Some(image) => n.insert("image".into(), image.clone()),
                            None => n.remove("image"),
                        };
                    }
                }
            }
        }
    }
    // As kube-apiserver, a refused activeDeadlineSeconds is the only error reported.
    if !active_deadline(&old_spec, &munged, causes) {
        return;
    }
    tolerations(&old_spec, &munged, causes);
    let grace = |s: &Value| {
        s.get("terminationGracePeriodSeconds")
            .and_then(Value::as_i64)
    };
    if grace(&old_spec).is_some_and(|g| g < 0) && grace(&munged) == Some(1) {
        copy_field(&old_spec, &mut munged, "terminationGracePeriodSeconds");
    }
    copy_field(&old_spec, &mut munged, "activeDeadlineSeconds");
    copy_field(&old_spec, &mut munged, "tolerations");
    if semantic(&old_spec) != semantic(&munged) {
        causes.push(forbidden("spec", POD_SPEC));
    }
}

/// activeDeadlineSeconds may be set, or lowered, but not raised or removed. Returns whether it is allowed.
fn active_deadline(old_spec: &Value, new_spec: &Value, causes: &mut Vec<Cause>) -> bool {
    const FIELD: &str = "spec.activeDeadlineSeconds";
    let value = new_spec
        .get("activeDeadlineSeconds")
        .filter(|v| !v.is_null());
    let before = old_spec
        .get("activeDeadlineSeconds")
        .and_then(Value::as_i64);
    match (before, value) {
        (Some(before), Some(after)) if after.as_i64().is_some_and(|a| a > before) => {
            causes.push(invalid(
                FIELD,
                Some(after),
                "must be less than or equal to previous value",
            ));
            false
        }
        (Some(_), None) => {
            causes.push(invalid(
                FIELD,
                None,
                "must not update from a positive integer to nil value",
            ));
            false
        }
        _ => true,
    }
}

/// Every existing toleration must stay (only its tolerationSeconds may change); new ones may be added.
fn tolerations(old_spec: &Value, new_spec: &Value, causes: &mut Vec<Cause>) {
    let list = |s: &Value| {
        s.get("tolerations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let without_seconds = |t: &Value| {
        let mut t = t.clone();
        remove(&mut t, "tolerationSeconds");
        semantic(&t)
    };
    let news: Vec<Option<Value>> = list(new_spec).iter().map(without_seconds).collect();
    let kept = list(old_spec)
        .iter()
        .all(|t| news.contains(&without_seconds(t)));
    if !kept {
        causes.push(forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    }
}

/// Sets `field` of `to` to its value in `from` (or removes it).
fn copy_field(from: &Value, to: &mut Value, field: &str) {
    let Some(map) = to.as_object_mut() else {
        return;
    };
    match from.get(field) {
        Some(v) => map.insert(field.to_string(), v.clone()),
        None => map.remove(field),
    };
}

/// The value at a dotted path (`spec.selector`).
fn get<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// Removes the value at a dotted path, when there is one.
fn remove(value: &mut Value, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((parent, last)) => (
            parent.split('.').try_fold(value, |v, key| v.get_mut(key)),
            last,
        ),
        None => (Some(value), path),
    };
    if let Some(map) = parent.and_then(Value::as_object_mut) {
        map.remove(last);
    }
}

/// A value as kube-apiserver's semantic equality sees it: `null`, empty lists and empty maps are the same as
/// a missing field (`None`), at any depth.
fn semantic(value: &Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .map(|item| semantic(item).unwrap_or(Value::Null))
                .collect(),
        )),
        Value::Object(map) => {
            let kept: Map<String, Value> = map
                .iter()
                .filter_map(|(k, v)| semantic(v).map(|v| (k.clone(), v)))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        other => Some(other.clone()),
    }
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    a.and_then(semantic) == b.and_then(semantic)
}

/// `<field>: Invalid value: <value>: <detail>`.
fn invalid(field: &str, value: Option<&Value>, detail: &str) -> Cause {
    Cause {
        reason: "FieldValueInvalid".into(),
        message: format!(
            "Invalid value: {}: {detail}",
            render_value(value.unwrap_or(&Value::Null))
        ),
        field: field.to_string(),
    }
}

/// `<field>: Forbidden: <detail>`.
fn forbidden(field: &str, detail: &str) -> Cause {
    Cause {
        reason: "FieldValueForbidden".into(),
        message: format!("Forbidden: {detail}"),
        field: field.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn causes(rule: Rule, old: Value, new: Value) -> Vec<String> {
        let mut causes = Vec::new();
        apply(rule, &old, &new, &mut causes);
        causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn missing_null_and_empty_are_the_same() {
        let rule = Rule::Immutable("spec.selector", None);
        let old =
            json!({"spec": {"selector": {"matchLabels": {"a": "b"}, "matchExpressions": []}}});
        let new = json!({"spec": {"selector": {"matchLabels": {"a": "b"}}}});
        assert!(causes(rule, old.clone(), new).is_empty());
        let changed = json!({"spec": {"selector": {"matchLabels": {"a": "c"}}}});
        assert_eq!(
            causes(rule, old, changed),
            [r#"spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable"#]
        );
    }

    #[test]
    fn any_shape_is_handled_without_panicking() {
        let shapes = [
            json!(null),
            json!([]),
            json!("x"),
            json!({"spec": 3}),
            json!({"spec": {"containers": "x", "tolerations": {"a": 1}}}),
            json!({"spec": {"containers": [1, null], "clusterIPs": [1], "clusterIP": 5}}),
            json!({"immutable": "yes", "data": []}),
        ];
        for (_, _, rules) in TABLE {
            for rule in *rules {
                for old in &shapes {
                    for new in &shapes {
                        let mut causes = Vec::new();
                        apply(*rule, old, new, &mut causes);
                    }
                }
            }
        }
    }

    #[test]
    fn pod_images_and_added_tolerations_may_change() {
        let old = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}],
            "tolerations": [{"key": "k", "operator": "Exists"}]}});
        let new = json!({"spec": {"containers": [{"name": "a", "image": "x:2"}],
            "tolerations": [{"key": "k", "operator": "Exists"}, {"key": "l", "operator": "Exists"}]}});
        assert!(causes(Rule::Pod, old.clone(), new).is_empty());
        let removed = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}]}});
        assert_eq!(
            causes(Rule::Pod, old.clone(), removed),
            ["spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"]
        );
        let port = json!({"spec": {"containers": [{"name": "a", "image": "x:1", "ports": [{"containerPort": 1}]}],
            "tolerations": [{"key": "k", "operator": "Exists"}]}});
        assert_eq!(
            causes(Rule::Pod, old, port),
            [format!("spec: Forbidden: {POD_SPEC}")]
        );
    }

    #[test]
    fn service_ips_kept_changed_and_external() {
        let old = json!({"spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"]}});
        assert!(causes(Rule::ClusterIps, old.clone(), old.clone()).is_empty());
        let moved = json!({"spec": {"clusterIP": "10.96.0.99", "clusterIPs": ["10.96.0.10"]}});
        assert_eq!(
            causes(Rule::ClusterIps, old.clone(), moved),
            [r#"spec.clusterIPs[0]: Invalid value: ["10.96.0.99"]: may not change once set"#]
        );
        let external = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        assert!(causes(Rule::ClusterIps, old, external).is_empty());
    }

    #[test]
    fn indexed_job_completions_move_with_parallelism() {
        let old =
            json!({"spec": {"completionMode": "Indexed", "completions": 2, "parallelism": 2}});
        let both =
            json!({"spec": {"completionMode": "Indexed", "completions": 3, "parallelism": 3}});
        assert!(causes(Rule::JobCompletions, old.clone(), both).is_empty());
        let alone =
            json!({"spec": {"completionMode": "Indexed", "completions": 3, "parallelism": 2}});
        assert_eq!(
            causes(Rule::JobCompletions, old, alone),
            ["spec.completions: Invalid value: 3: can only be modified in tandem with spec.parallelism"]
        );
    }
}
