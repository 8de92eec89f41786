//! Health of a Service (`v1`).

use serde_json::Value;

use super::{has_load_balancer_address, health, str_at, Health, HealthStatus};

/// A LoadBalancer Service is Progressing until its load balancer has an address; every
/// other type is Healthy.
pub(super) fn assess(live: &Value) -> Health {
    if str_at(live, &["spec", "type"]) != Some("LoadBalancer") || has_load_balancer_address(live) {
        health(HealthStatus::Healthy, "")
    } else {
        health(
            HealthStatus::Progressing,
            "Waiting for the load balancer to get an address",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::health::tests::{assert_cases, Case};
    use crate::health::HealthStatus::*;

    const CASES: &[Case] = &[
        (
            "load balancer with address",
            include_str!("fixtures/service/loadbalancer-ready.yaml"),
            Healthy,
            "",
        ),
        (
            "load balancer without address",
            include_str!("fixtures/service/loadbalancer-pending.yaml"),
            Progressing,
            "load balancer",
        ),
        (
            "cluster IP",
            include_str!("fixtures/service/clusterip.yaml"),
            Healthy,
            "",
        ),
    ];

    #[test]
    fn service_fixtures() {
        assert_cases(CASES);
    }
}
