//! Health of a DaemonSet (`apps/v1`), as `kubectl rollout status` judges it.

use serde_json::Value;

use super::{count_at, health, str_at, Health, HealthStatus};

/// Healthy under the OnDelete strategy; otherwise Progressing until every scheduled pod
/// is updated and available.
pub(super) fn assess(live: &Value) -> Health {
    if str_at(live, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return health(
            HealthStatus::Healthy,
            "OnDelete update strategy: pods are updated only when they are deleted",
        );
    }
    let desired = count_at(live, &["status", "desiredNumberScheduled"]);
    let updated = count_at(live, &["status", "updatedNumberScheduled"]);
    let available = count_at(live, &["status", "numberAvailable"]);
    if updated < desired {
        health(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        )
    } else if available < desired {
        health(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {available} of {desired} updated pods are available..."
            ),
        )
    } else {
        health(
            HealthStatus::Healthy,
            format!("{available} of {desired} pods are available"),
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
            include_str!("fixtures/daemonset/healthy.yaml"),
            Healthy,
            "3 of 3 pods",
        ),
        (
            "pods not updated",
            include_str!("fixtures/daemonset/updating.yaml"),
            Progressing,
            "1 out of 3 new pods have been updated",
        ),
        (
            "pods not available",
            include_str!("fixtures/daemonset/unavailable.yaml"),
            Progressing,
            "2 of 3 updated pods are available",
        ),
        (
            "on delete with pods not updated",
            include_str!("fixtures/daemonset/on-delete.yaml"),
            Healthy,
            "OnDelete",
        ),
    ];

    #[test]
    fn daemonset_fixtures() {
        assert_cases(CASES);
    }
}
