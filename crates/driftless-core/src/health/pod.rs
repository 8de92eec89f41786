//! Health of a Pod (`v1`).

use serde_json::Value;

use super::{
    at, false_condition, health, is_true_at, reason_and_message, str_at, Health, HealthStatus,
};

/// Waiting reasons that will not resolve without a change: the container keeps crashing
/// or its image cannot be pulled.
const FAILED_WAITING_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
];

/// Healthy when Succeeded; Degraded when Failed or when a container is waiting for a
/// reason that will not resolve by itself (CrashLoopBackOff, ImagePullBackOff,
/// ErrImagePull, ...); Unknown when the phase is Unknown (its node stopped reporting);
/// Healthy when Running with every container ready; Progressing otherwise, saying what
/// the pod waits for.
pub(super) fn assess(live: &Value) -> Health {
    let phase = str_at(live, &["status", "phase"]).unwrap_or("Pending");
    match phase {
        "Succeeded" => health(HealthStatus::Healthy, pod_message(live, "Pod completed")),
        "Failed" => health(HealthStatus::Degraded, pod_message(live, "Pod failed")),
        "Unknown" => health(
            HealthStatus::Unknown,
            pod_message(live, "Pod state is unknown: its node may be unreachable"),
        ),
        _ => match failed_container(live) {
            Some(message) => health(HealthStatus::Degraded, message),
            None if phase == "Running" && all_containers_ready(live) => {
                health(HealthStatus::Healthy, "All containers are ready")
            }
            None => health(HealthStatus::Progressing, waiting_message(live, phase)),
        },
    }
}

/// `reason: message` from the pod status, or `fallback`.
fn pod_message(live: &Value, fallback: &str) -> String {
    let reason = str_at(live, &["status", "reason"]).unwrap_or_default();
    let message = str_at(live, &["status", "message"]).unwrap_or_default();
    reason_and_message(reason, message, fallback)
}

/// The statuses of the init containers and of the containers, in that order.
fn container_statuses(live: &Value) -> impl Iterator<Item = &Value> {
    ["initContainerStatuses", "containerStatuses"]
        .into_iter()
        .filter_map(|field| at(live, &["status", field])?.as_array())
        .flatten()
}

/// Describes the first container waiting for a reason in [`FAILED_WAITING_REASONS`].
fn failed_container(live: &Value) -> Option<String> {
    container_statuses(live).find_map(|container| {
        let reason = str_at(container, &["state", "waiting", "reason"])?;
        FAILED_WAITING_REASONS.contains(&reason).then(|| {
            let name = str_at(container, &["name"]).unwrap_or("?");
            match str_at(container, &["state", "waiting", "message"]) {
                Some(message) => format!("Container {name}: {reason}: {message}"),
                None => format!("Container {name}: {reason}"),
            }
        })
    })
}

/// Whether the pod lists its containers and every one of them is ready.
fn all_containers_ready(live: &Value) -> bool {
    at(live, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .is_some_and(|containers| {
            !containers.is_empty()
                && containers
                    .iter()
                    .all(|container| is_true_at(container, &["ready"]))
        })
}

/// What a pod that is neither finished nor ready waits for: scheduling, a waiting
/// container, or its containers to become ready.
fn waiting_message(live: &Value, phase: &str) -> String {
    if let Some(unscheduled) = false_condition(live, "PodScheduled") {
        return format!(
            "Pod is not scheduled: {}",
            unscheduled.describe("no node fits")
        );
    }
    let waiting = container_statuses(live).find_map(|container| {
        let reason = str_at(container, &["state", "waiting", "reason"])?;
        let name = str_at(container, &["name"]).unwrap_or("?");
        Some(format!("container {name} is waiting: {reason}"))
    });
    match waiting {
        Some(waiting) => format!("Pod is {phase}: {waiting}"),
        None => format!("Pod is {phase}: waiting for its containers to be ready"),
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "succeeded",
            include_str!("fixtures/pod/succeeded.yaml"),
            Healthy,
            "completed",
        ),
        (
            "failed",
            include_str!("fixtures/pod/failed.yaml"),
            Degraded,
            "Evicted",
        ),
        (
            "node lost",
            include_str!("fixtures/pod/unknown.yaml"),
            Unknown,
            "NodeLost",
        ),
        (
            "running and ready",
            include_str!("fixtures/pod/running-ready.yaml"),
            Healthy,
            "",
        ),
        (
            "running, not ready",
            include_str!("fixtures/pod/running-not-ready.yaml"),
            Progressing,
            "waiting for its containers to be ready",
        ),
        (
            "crash loop",
            include_str!("fixtures/pod/crashloopbackoff.yaml"),
            Degraded,
            "Container app: CrashLoopBackOff: back-off 5m0s",
        ),
        (
            "image pull back-off",
            include_str!("fixtures/pod/imagepullbackoff.yaml"),
            Degraded,
            "ImagePullBackOff",
        ),
        (
            "err image pull in an init container",
            include_str!("fixtures/pod/errimagepull-init.yaml"),
            Degraded,
            "Container migrate: ErrImagePull",
        ),
        (
            "pending, unschedulable",
            include_str!("fixtures/pod/pending-unschedulable.yaml"),
            Progressing,
            "0/3 nodes are available",
        ),
        (
            "pending, creating containers",
            include_str!("fixtures/pod/pending-creating.yaml"),
            Progressing,
            "ContainerCreating",
        ),
    ];

    #[test]
    fn pod_fixtures() {
        assert_cases(CASES);
    }
}
