//! Health of a StatefulSet (`apps/v1`), as `kubectl rollout status` judges it.

use serde_json::Value;

use super::{count_at, desired_replicas, health, int_at, str_at, Health, HealthStatus};

/// Progressing until every desired replica is ready; then Healthy under the OnDelete
/// strategy; with a RollingUpdate partition, Progressing until the replicas at or above
/// the partition are updated; otherwise Progressing until the update revision is current.
pub(super) fn assess(live: &Value) -> Health {
    let desired = desired_replicas(live);
    let ready = count_at(live, &["status", "readyReplicas"]);
    if ready < desired {
        return health(
            HealthStatus::Progressing,
            format!(
                "Waiting for {} pods to be ready: {ready} of {desired} are ready...",
                desired.saturating_sub(ready)
            ),
        );
    }
    if str_at(live, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return health(
            HealthStatus::Healthy,
            "OnDelete update strategy: pods are updated only when they are deleted",
        );
    }
    match int_at(
        live,
        &["spec", "updateStrategy", "rollingUpdate", "partition"],
    ) {
        Some(partition) if partition > 0 => partitioned_rollout_health(live, desired, partition),
        _ => revision_health(live, desired),
    }
}

/// Progressing until the replicas at or above the partition ordinal are updated.
fn partitioned_rollout_health(live: &Value, desired: i64, partition: i64) -> Health {
    let expected = desired.saturating_sub(partition).max(0);
    let updated = count_at(live, &["status", "updatedReplicas"]);
    if updated < expected {
        health(
            HealthStatus::Progressing,
            format!(
                "Waiting for partitioned rollout to finish: {updated} out of {expected} new pods have been updated..."
            ),
        )
    } else {
        health(
            HealthStatus::Healthy,
            format!("Partitioned rollout complete: {updated} new pods have been updated"),
        )
    }
}

/// Progressing while `status.updateRevision` differs from `status.currentRevision`.
fn revision_health(live: &Value, desired: i64) -> Health {
    let current = str_at(live, &["status", "currentRevision"]).unwrap_or_default();
    let update = str_at(live, &["status", "updateRevision"]).unwrap_or_default();
    if update != current {
        let updated = count_at(live, &["status", "updatedReplicas"]);
        health(
            HealthStatus::Progressing,
            format!(
                "Waiting for rolling update to complete: {updated} of {desired} pods at revision {update}..."
            ),
        )
    } else {
        health(
            HealthStatus::Healthy,
            format!("Rolling update complete: {desired} pods at revision {current}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "healthy",
            include_str!("fixtures/statefulset/healthy.yaml"),
            Healthy,
            "3 pods at revision web-7b9f5c6d8",
        ),
        (
            "pods not ready",
            include_str!("fixtures/statefulset/not-ready.yaml"),
            Progressing,
            "1 of 3 are ready",
        ),
        (
            "partition updating",
            include_str!("fixtures/statefulset/partition-updating.yaml"),
            Progressing,
            "0 out of 1 new pods",
        ),
        (
            "partition done",
            include_str!("fixtures/statefulset/partition-done.yaml"),
            Healthy,
            "Partitioned rollout complete",
        ),
        (
            "on delete with old revision",
            include_str!("fixtures/statefulset/on-delete.yaml"),
            Healthy,
            "OnDelete",
        ),
        (
            "revisions differ",
            include_str!("fixtures/statefulset/revisions-differ.yaml"),
            Progressing,
            "revision web-5d4c8f7b9",
        ),
        (
            "just created, no status",
            include_str!("fixtures/statefulset/no-status.yaml"),
            Progressing,
            "observe generation 1",
        ),
    ];

    #[test]
    fn statefulset_fixtures() {
        assert_cases(CASES);
    }
}
