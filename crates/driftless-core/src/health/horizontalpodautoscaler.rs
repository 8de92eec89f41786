//! Health of a HorizontalPodAutoscaler (`autoscaling/v2`).

use serde_json::Value;

use super::{condition, health, Health, HealthStatus};

/// Degraded when `AbleToScale` or `ScalingActive` is False with a failure reason (the
/// autoscaler cannot read metrics or the scale of its target); Healthy otherwise, with
/// the message of `ScalingActive`.
pub(super) fn assess(live: &Value) -> Health {
    let failing = ["AbleToScale", "ScalingActive"]
        .into_iter()
        .find_map(|condition_type| {
            condition(live, condition_type)
                .filter(|condition| condition.is_false() && condition.reason_is_failure())
        });
    match failing {
        Some(failing) => health(HealthStatus::Degraded, failing.describe("Cannot scale")),
        None => health(
            HealthStatus::Healthy,
            condition(live, "ScalingActive")
                .map(|active| active.message)
                .unwrap_or_default(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "scaling active",
            include_str!("fixtures/horizontalpodautoscaler/active.yaml"),
            Healthy,
            "the HPA was able to successfully calculate a replica count",
        ),
        (
            "metrics unavailable",
            include_str!("fixtures/horizontalpodautoscaler/failed-get-metric.yaml"),
            Degraded,
            "FailedGetResourceMetric",
        ),
        (
            "scaling disabled on purpose",
            include_str!("fixtures/horizontalpodautoscaler/scaling-disabled.yaml"),
            Healthy,
            "scaling is disabled",
        ),
    ];

    #[test]
    fn horizontalpodautoscaler_fixtures() {
        assert_cases(CASES);
    }
}
