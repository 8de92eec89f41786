//! Health of a Deployment (`apps/v1`), as `kubectl rollout status` judges it.

use serde_json::Value;

use super::{condition, count_at, desired_replicas, health, is_true_at, Health, HealthStatus};

/// Suspended when paused; Degraded when the rollout exceeded its progress deadline;
/// Progressing while replicas are still to be updated, old replicas are left or updated
/// replicas are not yet available; Healthy otherwise.
pub(super) fn assess(live: &Value) -> Health {
    if is_true_at(live, &["spec", "paused"]) {
        return health(HealthStatus::Suspended, "Deployment is paused");
    }
    if let Some(stuck) = condition(live, "Progressing")
        .filter(|progressing| progressing.reason == "ProgressDeadlineExceeded")
    {
        return health(
            HealthStatus::Degraded,
            stuck.describe("Deployment exceeded its progress deadline"),
        );
    }
    rollout_health(live)
}

/// Progressing until every desired replica is updated and available and no old one is left.
fn rollout_health(live: &Value) -> Health {
    let desired = desired_replicas(live);
    let current = count_at(live, &["status", "replicas"]);
    let updated = count_at(live, &["status", "updatedReplicas"]);
    let available = count_at(live, &["status", "availableReplicas"]);
    let waiting = |detail: String| {
        health(
            HealthStatus::Progressing,
            format!("Waiting for rollout to finish: {detail}..."),
        )
    };
    if updated < desired {
        waiting(format!(
            "{updated} out of {desired} new replicas have been updated"
        ))
    } else if current > updated {
        waiting(format!(
            "{} old replicas are pending termination",
            current.saturating_sub(updated)
        ))
    } else if available < updated {
        waiting(format!(
            "{available} of {updated} updated replicas are available"
        ))
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
            include_str!("fixtures/deployment/healthy.yaml"),
            Healthy,
            "3 of 3 replicas",
        ),
        (
            "paused",
            include_str!("fixtures/deployment/paused.yaml"),
            Suspended,
            "paused",
        ),
        (
            "progress deadline exceeded",
            include_str!("fixtures/deployment/progress-deadline-exceeded.yaml"),
            Degraded,
            "ProgressDeadlineExceeded",
        ),
        (
            "updated below desired",
            include_str!("fixtures/deployment/updating.yaml"),
            Progressing,
            "1 out of 3 new replicas have been updated",
        ),
        (
            "old replicas left",
            include_str!("fixtures/deployment/old-replicas-left.yaml"),
            Progressing,
            "1 old replicas are pending termination",
        ),
        (
            "updated not yet available",
            include_str!("fixtures/deployment/unavailable.yaml"),
            Progressing,
            "1 of 3 updated replicas are available",
        ),
        (
            "just created, no status",
            include_str!("fixtures/deployment/no-status.yaml"),
            Progressing,
            "observe generation 1",
        ),
        (
            "replicas omitted means 1",
            include_str!("fixtures/deployment/default-replicas.yaml"),
            Healthy,
            "1 of 1 replicas",
        ),
        (
            "generation ahead of observedGeneration",
            include_str!("fixtures/deployment/generation-ahead.yaml"),
            Progressing,
            "generation 4",
        ),
        (
            "being deleted",
            include_str!("fixtures/deployment/terminating.yaml"),
            Progressing,
            "Pending deletion",
        ),
    ];

    #[test]
    fn deployment_fixtures() {
        assert_cases(CASES);
    }
}
