//! Health of an Ingress (`networking.k8s.io/v1`).

use serde_json::Value;

use super::{has_load_balancer_address, health, Health, HealthStatus};

/// Progressing until the ingress controller reports an address in
/// `status.loadBalancer.ingress`; Healthy then.
pub(super) fn assess(live: &Value) -> Health {
    if has_load_balancer_address(live) {
        health(HealthStatus::Healthy, "")
    } else {
        health(
            HealthStatus::Progressing,
            "Waiting for the ingress controller to assign an address",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "with address",
            include_str!("fixtures/ingress/ready.yaml"),
            Healthy,
            "",
        ),
        (
            "without address",
            include_str!("fixtures/ingress/pending.yaml"),
            Progressing,
            "ingress controller",
        ),
    ];

    #[test]
    fn ingress_fixtures() {
        assert_cases(CASES);
    }
}
