//! Health of a ReplicaSet (`apps/v1`).

use serde_json::Value;

use super::{count_at, desired_replicas, health, true_condition, Health, HealthStatus};

/// Degraded when the `ReplicaFailure` condition is True (pods cannot be created);
/// Progressing until every desired replica is available; Healthy otherwise.
pub(super) fn assess(live: &Value) -> Health {
    if let Some(failure) = true_condition(live, "ReplicaFailure") {
        return health(
            HealthStatus::Degraded,
            failure.describe("ReplicaSet cannot create its pods"),
        );
    }
    let desired = desired_replicas(live);
    let available = count_at(live, &["status", "availableReplicas"]);
    if available < desired {
        health(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {desired} replicas are available..."
            ),
        )
    } else {
        health(
            HealthStatus::Healthy,
            format!("{available} of {desired} replicas are available"),
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
            include_str!("fixtures/replicaset/healthy.yaml"),
            Healthy,
            "2 of 2",
        ),
        (
            "replicas not available",
            include_str!("fixtures/replicaset/unavailable.yaml"),
            Progressing,
            "1 of 2 replicas are available",
        ),
        (
            "replica failure",
            include_str!("fixtures/replicaset/replica-failure.yaml"),
            Degraded,
            "exceeded quota",
        ),
    ];

    #[test]
    fn replicaset_fixtures() {
        assert_cases(CASES);
    }
}
