//! The cells of Pods: readiness, the status `kubectl get pods` shows, restarts.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::age;
use super::cells::{condition_true, or, str_of, Cx};

/// A Pod's `ready/total` containers (sidecar init containers count).
pub fn pod_ready(cx: &Cx) -> Value {
    let sidecars: Vec<&str> = cx
        .list("/spec/initContainers")
        .iter()
        .filter(|c| str_of(c, "restartPolicy") == "Always")
        .map(|c| str_of(c, "name"))
        .collect();
    let total = cx.count("/spec/containers") + sidecars.len();
    let ready = |pointer: &str, only: Option<&[&str]>| {
        cx.list(pointer)
            .iter()
            .filter(|s| only.is_none_or(|names| names.contains(&str_of(s, "name"))))
            .filter(|s| s.get("ready") == Some(&Value::Bool(true)))
            .count()
    };
    let ready = ready("/status/containerStatuses", None)
        + ready("/status/initContainerStatuses", Some(&sidecars));
    json!(format!("{ready}/{total}"))
}

/// A Pod's status as `kubectl get pods` shows it: the phase or reason, refined by container states.
pub fn pod_status(cx: &Cx) -> Value {
    let mut reason = or(cx.text("/status/reason"), cx.text("/status/phase"));
    match init_status(cx) {
        Some(init) => reason = init,
        None => container_reason(cx, &mut reason),
    }
    if cx.get("/metadata/deletionTimestamp").is_some() {
        reason = if cx.text("/status/reason") == "NodeLost" {
            "Unknown"
        } else {
            "Terminating"
        }
        .to_string();
    }
    json!(reason)
}

/// `Init:...` while an init container has not finished.
fn init_status(cx: &Cx) -> Option<String> {
    let statuses = cx.list("/status/initContainerStatuses");
    let total = cx.count("/spec/initContainers");
    statuses.iter().enumerate().find_map(|(i, status)| {
        let terminated = status.pointer("/state/terminated");
        if terminated.is_some_and(|t| t.get("exitCode").and_then(Value::as_i64) == Some(0)) {
            return None;
        }
        if status.get("started") == Some(&Value::Bool(true))
            && status.pointer("/state/running").is_some()
        {
            return None;
        }
        let waiting = status
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .unwrap_or("");
        Some(match terminated {
            Some(t) => format!("Init:{}", terminated_reason(t)),
            None if !waiting.is_empty() && waiting != "PodInitializing" => {
                format!("Init:{waiting}")
            }
            None => format!("Init:{i}/{total}"),
        })
    })
}

/// The reason a terminated container shows: its reason, else its signal or exit code.
fn terminated_reason(terminated: &Value) -> String {
    let reason = str_of(terminated, "reason");
    let signal = terminated
        .get("signal")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let code = terminated
        .get("exitCode")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match (reason, signal) {
        ("", 0) => format!("ExitCode:{code}"),
        ("", s) => format!("Signal:{s}"),
        (r, _) => r.to_string(),
    }
}

/// Refines a Pod's reason from its containers (the first container wins, as in kube).
fn container_reason(cx: &Cx, reason: &mut String) {
    let mut running = false;
    for status in cx.list("/status/containerStatuses").iter().rev() {
        let waiting = status
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !waiting.is_empty() {
            *reason = waiting.to_string();
        } else if let Some(terminated) = status.pointer("/state/terminated") {
            *reason = terminated_reason(terminated);
        } else if status.get("ready") == Some(&Value::Bool(true))
            && status.pointer("/state/running").is_some()
        {
            running = true;
        }
    }
    if reason == "Completed" && running {
        *reason = if condition_true(cx, "Ready") {
            "Running"
        } else {
            "NotReady"
        }
        .to_string();
    }
}

/// A Pod's restarts, with how long ago the last one was: `2 (5m ago)`.
pub fn pod_restarts(cx: &Cx) -> Value {
    let pointer = if init_status(cx).is_some() {
        "/status/initContainerStatuses"
    } else {
        "/status/containerStatuses"
    };
    let statuses = cx.list(pointer);
    let restarts: i64 = statuses
        .iter()
        .filter_map(|s| s.get("restartCount").and_then(Value::as_i64))
        .sum();
    let last = statuses
        .iter()
        .filter_map(|s| {
            s.pointer("/lastState/terminated/finishedAt")
                .and_then(Value::as_str)
        })
        .filter_map(|t| t.parse::<Timestamp>().ok())
        .max();
    json!(match last {
        Some(t) => format!(
            "{restarts} ({} ago)",
            age::human(cx.now.as_second() - t.as_second())
        ),
        None => restarts.to_string(),
    })
}

/// A Pod's `true/total` readiness gates, `<none>` without gates.
pub fn readiness_gates(cx: &Cx) -> Value {
    let gates = cx.list("/spec/readinessGates");
    if gates.is_empty() {
        return json!("<none>");
    }
    let passed = gates
        .iter()
        .filter(|g| condition_true(cx, str_of(g, "conditionType")))
        .count();
    json!(format!("{passed}/{}", gates.len()))
}
