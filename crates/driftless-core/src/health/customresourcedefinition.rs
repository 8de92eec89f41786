//! Health of a CustomResourceDefinition (`apiextensions.k8s.io/v1`).

use serde_json::Value;

use super::{false_condition, health, true_condition, Health, HealthStatus};

/// Degraded when `NamesAccepted=False` (its names conflict with another definition);
/// Healthy when `Established=True`; Progressing otherwise.
pub(super) fn assess(live: &Value) -> Health {
    if let Some(rejected) = false_condition(live, "NamesAccepted") {
        health(
            HealthStatus::Degraded,
            rejected.describe("Names not accepted"),
        )
    } else if true_condition(live, "Established").is_some() {
        health(HealthStatus::Healthy, "")
    } else {
        health(
            HealthStatus::Progressing,
            "Waiting for the definition to be established",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "established",
            include_str!("fixtures/customresourcedefinition/established.yaml"),
            Healthy,
            "",
        ),
        (
            "names not accepted",
            include_str!("fixtures/customresourcedefinition/names-not-accepted.yaml"),
            Degraded,
            "is already in use",
        ),
        (
            "not yet established",
            include_str!("fixtures/customresourcedefinition/not-established.yaml"),
            Progressing,
            "established",
        ),
    ];

    #[test]
    fn customresourcedefinition_fixtures() {
        assert_cases(CASES);
    }
}
