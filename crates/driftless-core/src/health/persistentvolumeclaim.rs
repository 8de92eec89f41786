//! Health of a PersistentVolumeClaim (`v1`).

use serde_json::Value;

use super::{health, str_at, Health, HealthStatus};

/// Healthy when Bound; Progressing when Pending (or not yet reported); Degraded when
/// Lost; Unknown for any other phase.
pub(super) fn assess(live: &Value) -> Health {
    match str_at(live, &["status", "phase"]).unwrap_or("Pending") {
        "Bound" => health(HealthStatus::Healthy, ""),
        "Pending" => health(
            HealthStatus::Progressing,
            "Waiting for the claim to be bound to a volume",
        ),
        "Lost" => health(
            HealthStatus::Degraded,
            "The claim lost its volume: the bound PersistentVolume no longer exists",
        ),
        other => health(HealthStatus::Unknown, format!("Unknown phase {other}")),
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "bound",
            include_str!("fixtures/persistentvolumeclaim/bound.yaml"),
            Healthy,
            "",
        ),
        (
            "pending",
            include_str!("fixtures/persistentvolumeclaim/pending.yaml"),
            Progressing,
            "bound",
        ),
        (
            "lost",
            include_str!("fixtures/persistentvolumeclaim/lost.yaml"),
            Degraded,
            "lost",
        ),
    ];

    #[test]
    fn persistentvolumeclaim_fixtures() {
        assert_cases(CASES);
    }
}
