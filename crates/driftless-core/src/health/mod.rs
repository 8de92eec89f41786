//! Health of live objects, per kind, and of a whole Application.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Health of one object or of an Application. The variants are ordered from best to
/// worst, so the health of a set of objects is the maximum of theirs.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
)]
pub enum HealthStatus {
    /// Running as declared.
    Healthy,
    /// Paused or suspended on purpose.
    Suspended,
    /// Not yet as declared, expected to get there.
    Progressing,
    /// Not in the cluster.
    Missing,
    /// Failed, or will not get there without help.
    Degraded,
    /// Could not be assessed.
    #[default]
    Unknown,
}

/// A health status with a human-readable reason (empty when there is nothing to say).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// The status.
    pub status: HealthStatus,
    /// Why, when not obvious.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

mod customresourcedefinition;
mod daemonset;
mod deployment;
mod generic;
mod horizontalpodautoscaler;
mod ingress;
mod job;
mod persistentvolumeclaim;
mod pod;
mod replicaset;
mod service;
mod statefulset;

use serde_json::Value;

use crate::object_ref::split_api_version;

/// The health of one live object as read from the cluster. Never panics, whatever the
/// shape of `live`. A terminating object, or one whose controller has not yet observed
/// its latest generation, is Progressing; then the rules of its kind apply (Deployment,
/// StatefulSet, DaemonSet, ReplicaSet, Job, Pod, PersistentVolumeClaim, Service, Ingress,
/// CustomResourceDefinition, HorizontalPodAutoscaler); any other object is judged by its
/// kstatus conditions (Stalled, Reconciling, Ready, Crossplane's Synced) and is Healthy
/// when it has none of them. Anything that is not a JSON object is Unknown.
pub fn object_health(live: &Value) -> Health {
    if !live.is_object() {
        return health(HealthStatus::Unknown, "not a Kubernetes object");
    }
    let rule = kind_rule(live);
    let controller_writes_status = rule.is_some_and(|rule| rule.controller_writes_status);
    generic::terminating(live)
        .or_else(|| generic::generation_lag(live, controller_writes_status))
        .unwrap_or_else(|| match rule {
            Some(rule) => (rule.assess)(live),
            None => {
                generic::condition_health(live).unwrap_or_else(|| health(HealthStatus::Healthy, ""))
            }
        })
}

/// The health of an object that the cluster does not have: Missing.
pub fn missing() -> Health {
    health(HealthStatus::Missing, "not found in the cluster")
}

/// The health of a set of objects: the worst status among them, with the message of the
/// first object that has it. An empty set is Healthy with no message.
pub fn aggregate<'a>(healths: impl IntoIterator<Item = &'a Health>) -> Health {
    let mut worst: Option<&Health> = None;
    for candidate in healths {
        if worst.is_none_or(|worst| candidate.status > worst.status) {
            worst = Some(candidate);
        }
    }
    worst
        .cloned()
        .unwrap_or_else(|| health(HealthStatus::Healthy, ""))
}

/// The rules of one built-in kind.
#[derive(Clone, Copy)]
struct KindRule {
    /// Judges an object of the kind that is neither terminating nor behind its generation.
    assess: fn(&Value) -> Health,
    /// The kind's controller always writes `status.observedGeneration`, so its absence
    /// means the controller has not seen the object yet.
    controller_writes_status: bool,
}

/// The rules for the object's API group and kind, when the kind has any.
fn kind_rule(live: &Value) -> Option<KindRule> {
    let (group, _) = split_api_version(str_at(live, &["apiVersion"]).unwrap_or_default());
    let kind = str_at(live, &["kind"]).unwrap_or_default();
    let (assess, controller_writes_status): (fn(&Value) -> Health, bool) = match (group, kind) {
        ("apps", "Deployment") => (deployment::assess, true),
        ("apps", "StatefulSet") => (statefulset::assess, true),
        ("apps", "DaemonSet") => (daemonset::assess, true),
        ("apps", "ReplicaSet") => (replicaset::assess, true),
        ("batch", "Job") => (job::assess, false),
        ("", "Pod") => (pod::assess, false),
        ("", "PersistentVolumeClaim") => (persistentvolumeclaim::assess, false),
        ("", "Service") => (service::assess, false),
        ("networking.k8s.io", "Ingress") => (ingress::assess, false),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            (customresourcedefinition::assess, false)
        }
        ("autoscaling", "HorizontalPodAutoscaler") => (horizontalpodautoscaler::assess, false),
        _ => return None,
    };
    Some(KindRule {
        assess,
        controller_writes_status,
    })
}

/// A health with a message.
fn health(status: HealthStatus, message: impl Into<String>) -> Health {
    Health {
        status,
        message: message.into(),
    }
}

/// The value at a path of object keys, when every step exists.
fn at<'a>(object: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(object, |value, key| value.get(key))
}

/// The integer at a path, when it is one.
fn int_at(object: &Value, path: &[&str]) -> Option<i64> {
    at(object, path).and_then(Value::as_i64)
}

/// The integer at a path, or 0 when absent (Kubernetes omits zero counts from status).
fn count_at(object: &Value, path: &[&str]) -> i64 {
    int_at(object, path).unwrap_or(0)
}

/// The string at a path, when it is one.
fn str_at<'a>(object: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(object, path).and_then(Value::as_str)
}

/// Whether the value at a path is the boolean `true`.
fn is_true_at(object: &Value, path: &[&str]) -> bool {
    at(object, path).and_then(Value::as_bool) == Some(true)
}

/// `spec.replicas`, which the API server defaults to 1 when it is not set.
fn desired_replicas(object: &Value) -> i64 {
    int_at(object, &["spec", "replicas"]).unwrap_or(1)
}

/// Whether `status.loadBalancer.ingress` lists at least one address.
fn has_load_balancer_address(object: &Value) -> bool {
    at(object, &["status", "loadBalancer", "ingress"])
        .and_then(Value::as_array)
        .is_some_and(|ingress| !ingress.is_empty())
}

/// One entry of `status.conditions`, with absent fields read as empty.
#[derive(Debug, Clone, Copy)]
struct Condition<'a> {
    status: &'a str,
    reason: &'a str,
    message: &'a str,
}

impl Condition<'_> {
    /// Whether the condition's status is `True`.
    fn is_true(&self) -> bool {
        self.status == "True"
    }

    /// Whether the condition's status is `False`.
    fn is_false(&self) -> bool {
        self.status == "False"
    }

    /// Whether the reason names a failure (`ReconciliationFailed`, `ReconcileError`,
    /// `InvalidSelector`, ...), as opposed to a wait.
    fn reason_is_failure(&self) -> bool {
        let reason = self.reason.to_ascii_lowercase();
        ["fail", "error", "invalid"]
            .iter()
            .any(|word| reason.contains(word))
    }

    /// `reason: message`, or whichever of the two is present, or `fallback`.
    fn describe(&self, fallback: &str) -> String {
        reason_and_message(self.reason, self.message, fallback)
    }
}

/// `reason: message`, or whichever of the two is not empty, or `fallback`.
fn reason_and_message(reason: &str, message: &str, fallback: &str) -> String {
    match (reason, message) {
        ("", "") => fallback.to_owned(),
        (reason, "") => reason.to_owned(),
        ("", message) => message.to_owned(),
        (reason, message) => format!("{reason}: {message}"),
    }
}

/// The condition of the given type in `status.conditions`, when there is one.
fn condition<'a>(object: &'a Value, condition_type: &str) -> Option<Condition<'a>> {
    at(object, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|entry| str_at(entry, &["type"]) == Some(condition_type))
        .map(|entry| Condition {
            status: str_at(entry, &["status"]).unwrap_or_default(),
            reason: str_at(entry, &["reason"]).unwrap_or_default(),
            message: str_at(entry, &["message"]).unwrap_or_default(),
        })
}

/// The condition of the given type when its status is `True`.
fn true_condition<'a>(object: &'a Value, condition_type: &str) -> Option<Condition<'a>> {
    condition(object, condition_type).filter(Condition::is_true)
}

/// The condition of the given type when its status is `False`.
fn false_condition<'a>(object: &'a Value, condition_type: &str) -> Option<Condition<'a>> {
    condition(object, condition_type).filter(Condition::is_false)
}

#[cfg(test)]
mod tests;
