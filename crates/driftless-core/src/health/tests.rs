//! Shared fixture runner, aggregation tests, and robustness against odd input shapes.

use serde_json::{json, Value};

use super::{aggregate, missing, object_health, Health, HealthStatus};

/// One fixture case: name, YAML of a live object, expected status, and a fragment that
/// the message must contain.
pub(super) type Case = (&'static str, &'static str, HealthStatus, &'static str);

/// Runs every case through [`object_health`] and reports all mismatches at once.
pub(super) fn assert_cases(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(name, yaml, status, fragment)| {
            let live: Value = serde_saphyr::from_str(yaml).unwrap();
            let got = object_health(&live);
            (got.status != *status || !got.message.contains(fragment)).then(|| {
                format!(
                    "{name}: expected {status:?} with a message containing {fragment:?}, \
                     got {:?} {:?}",
                    got.status, got.message
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn h(status: HealthStatus, message: &str) -> Health {
    Health {
        status,
        message: message.to_owned(),
    }
}

#[test]
fn aggregate_of_nothing_is_healthy() {
    assert_eq!(aggregate([]), h(HealthStatus::Healthy, ""));
}

#[test]
fn aggregate_takes_the_worst_status() {
    let healths = [
        h(HealthStatus::Healthy, "fine"),
        h(HealthStatus::Degraded, "broken"),
        h(HealthStatus::Progressing, "rolling"),
        h(HealthStatus::Suspended, "paused"),
    ];
    assert_eq!(aggregate(&healths), h(HealthStatus::Degraded, "broken"));
}

#[test]
fn aggregate_keeps_the_message_of_the_first_worst() {
    let healths = [
        h(HealthStatus::Progressing, "first"),
        h(HealthStatus::Progressing, "second"),
        h(HealthStatus::Healthy, ""),
    ];
    assert_eq!(aggregate(&healths), h(HealthStatus::Progressing, "first"));
}

#[test]
fn aggregate_follows_the_documented_order() {
    use HealthStatus::*;
    let order = [Healthy, Suspended, Progressing, Missing, Degraded, Unknown];
    for pair in order.windows(2) {
        let healths = [h(pair[1], "worse"), h(pair[0], "better")];
        assert_eq!(aggregate(&healths).status, pair[1]);
    }
}

#[test]
fn missing_object_is_missing() {
    assert_eq!(missing().status, HealthStatus::Missing);
    assert!(!missing().message.is_empty());
    assert_eq!(
        aggregate(&[missing(), h(HealthStatus::Progressing, "")]),
        missing()
    );
}

#[test]
fn non_object_is_unknown() {
    for value in [json!(null), json!([]), json!("Deployment"), json!(3)] {
        assert_eq!(object_health(&value).status, HealthStatus::Unknown);
    }
}

/// Every kind with rules, fed fields of the wrong type in every place the rules read.
#[test]
fn odd_shapes_never_panic() {
    let kinds = [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("batch/v1", "Job"),
        ("v1", "Pod"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Service"),
        ("networking.k8s.io/v1", "Ingress"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("example.com/v1", "Widget"),
    ];
    let odd_values = [
        json!(null),
        json!("x"),
        json!(-1),
        json!([1, "a"]),
        json!({"a": 1}),
    ];
    let kinds = kinds
        .map(|(api_version, kind)| (json!(api_version), json!(kind)))
        .into_iter()
        .chain([(json!(1), json!(["Deployment"]))]);
    for (api_version, kind) in kinds {
        for odd in &odd_values {
            let objects = [
                json!({"apiVersion": api_version, "kind": kind, "metadata": odd, "spec": odd, "status": odd}),
                json!({"apiVersion": api_version, "kind": kind,
                    "metadata": {"generation": odd, "deletionTimestamp": odd, "finalizers": odd},
                    "spec": {"replicas": odd, "paused": odd, "type": odd,
                        "updateStrategy": {"type": odd, "rollingUpdate": {"partition": odd}}},
                    "status": {"conditions": [odd, {"type": "Ready", "status": odd, "reason": odd}],
                        "observedGeneration": odd, "replicas": odd, "phase": odd,
                        "loadBalancer": {"ingress": odd},
                        "containerStatuses": [odd, {"name": odd, "ready": odd, "state": {"waiting": odd}}]}}),
            ];
            for object in &objects {
                let _ = object_health(object);
            }
        }
    }
}
