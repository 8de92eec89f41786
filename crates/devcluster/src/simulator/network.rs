//! Services (a load balancer on the node's address) and Ingresses (a load balancer).

use serde_json::{json, Value};

use super::pod::NODE_IP;
use super::rules::{Seen, Stage};

/// A Service of type LoadBalancer: after the delay, a load balancer ingress on 127.0.0.1. (Cluster IPs are
/// allocated by the API itself when a Service is created.)
pub(crate) fn service(seen: &Seen<'_>) -> Value {
    if seen.stage == Stage::Settled && seen.str("/spec/type") == "LoadBalancer" {
        json!({"status": {"loadBalancer": {"ingress": [{"ip": NODE_IP, "ipMode": "VIP"}]}}})
    } else {
        json!({})
    }
}

/// An Ingress: after the delay, a load balancer on 127.0.0.1.
pub(crate) fn ingress(seen: &Seen<'_>) -> Value {
    match seen.stage {
        Stage::Observed => json!({}),
        Stage::Settled => json!({"status": {"loadBalancer": {"ingress": [{"ip": NODE_IP}]}}}),
    }
}
