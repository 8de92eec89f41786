//! Services (a cluster IP, and a load balancer on the node's address) and Ingresses (a load balancer).

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::pod::NODE_IP;
use super::rules::{fnv32, Seen, Stage};
use crate::registry::ResourceKey;

/// Cluster IPs are handed out in 10.96.0.0/16, from offset 10 on.
const FIRST_OFFSET: u32 = 10;
const OFFSETS: u32 = 65_000;

/// A Service: a cluster IP at once (kept when it has one; none for ExternalName and headless Services), and
/// for type LoadBalancer, after the delay, a load balancer ingress on 127.0.0.1.
pub(crate) fn service(seen: &Seen<'_>) -> Value {
    let mut out = Map::new();
    if let Some(ip) = cluster_ip(seen) {
        out.insert("spec".into(), json!({"clusterIP": ip, "clusterIPs": [ip]}));
    }
    if seen.stage == Stage::Settled && seen.str("/spec/type") == "LoadBalancer" {
        out.insert(
            "status".into(),
            json!({"loadBalancer": {"ingress": [{"ip": NODE_IP, "ipMode": "VIP"}]}}),
        );
    }
    Value::Object(out)
}

/// An Ingress: after the delay, a load balancer on 127.0.0.1.
pub(crate) fn ingress(seen: &Seen<'_>) -> Value {
    match seen.stage {
        Stage::Observed => json!({}),
        Stage::Settled => json!({"status": {"loadBalancer": {"ingress": [{"ip": NODE_IP}]}}}),
    }
}

/// The Service's cluster IP: the one it has, or the first free address from a start derived from its name.
fn cluster_ip(seen: &Seen<'_>) -> Option<String> {
    if seen.str("/spec/type") == "ExternalName" {
        return None;
    }
    match seen.str("/spec/clusterIP") {
        "None" => None,
        "" => allocate(seen),
        ip => Some(ip.to_string()),
    }
}

fn allocate(seen: &Seen<'_>) -> Option<String> {
    let services = ResourceKey {
        group: String::new(),
        plural: "services".into(),
    };
    let taken: BTreeSet<&str> = seen
        .state
        .store
        .list(&services, None, None)
        .filter_map(|(_, s)| s.pointer("/spec/clusterIP")?.as_str())
        .collect();
    let id = format!("{}/{}", seen.str("/metadata/namespace"), seen.name());
    let start = fnv32(&id) % OFFSETS;
    (0..OFFSETS)
        .map(|i| FIRST_OFFSET + (start + i) % OFFSETS)
        .map(|offset| format!("10.96.{}.{}", offset >> 8, offset & 0xff))
        .find(|ip| !taken.contains(ip.as_str()))
}
