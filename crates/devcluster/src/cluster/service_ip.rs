//! Service cluster IPs, allocated when a Service is created as kube-apiserver does: the first free address of
//! 10.96.0.0/16 from 10.96.0.10 on, none for ExternalName and headless (`clusterIP: None`) Services, and an
//! update that leaves the address out keeps the one the Service has.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::registry::ResourceKey;
use crate::store::Store;

const FIRST_OFFSET: u32 = 10;
const LAST_OFFSET: u32 = 0xffff;

/// Gives `service` its cluster IP: the one it asks for, the one `old` had, or a free one.
pub(super) fn settle(store: &Store, old: Option<&Value>, service: &mut Value) {
    if service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName") {
        return;
    }
    let requested = service
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .filter(|ip| !ip.is_empty());
    let kept = old
        .and_then(|o| o.pointer("/spec/clusterIP"))
        .and_then(Value::as_str);
    let ip = match requested.or(kept) {
        Some(ip) => ip.to_string(),
        None => match free_address(store) {
            Some(ip) => ip,
            None => return,
        },
    };
    if let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) {
        spec.entry("clusterIPs").or_insert_with(|| json!([ip]));
        spec.insert("clusterIP".into(), Value::String(ip));
    }
}

fn free_address(store: &Store) -> Option<String> {
    let services = ResourceKey::services();
    let taken: BTreeSet<&str> = store
        .list(&services, None, None)
        .filter_map(|(_, s)| s.pointer("/spec/clusterIP")?.as_str())
        .collect();
    (FIRST_OFFSET..=LAST_OFFSET)
        .map(|offset| format!("10.96.{}.{}", offset >> 8, offset & 0xff))
        .find(|ip| !taken.contains(ip.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn stored(store: &mut Store, name: &str, ip: &str) {
        let key = crate::store::ObjectKey {
            resource: ResourceKey::services(),
            namespace: "default".into(),
            name: name.into(),
        };
        store.put(&key, Arc::new(json!({"spec": {"clusterIP": ip}})));
    }

    #[test]
    fn allocates_the_first_free_address_and_keeps_what_is_asked_for() {
        let mut store = Store::default();
        stored(&mut store, "a", "10.96.0.10");
        let mut fresh = json!({"spec": {"ports": [{"port": 80}]}});
        settle(&store, None, &mut fresh);
        assert_eq!(fresh["spec"]["clusterIP"], "10.96.0.11");
        assert_eq!(fresh["spec"]["clusterIPs"], json!(["10.96.0.11"]));
        let mut asked = json!({"spec": {"clusterIP": "10.96.5.5"}});
        settle(&store, None, &mut asked);
        assert_eq!(asked["spec"]["clusterIP"], "10.96.5.5");
    }

    #[test]
    fn headless_external_and_updated_services() {
        let store = Store::default();
        let mut headless = json!({"spec": {"clusterIP": "None"}});
        settle(&store, None, &mut headless);
        assert_eq!(headless["spec"]["clusterIP"], "None");
        let mut external = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
        settle(&store, None, &mut external);
        assert!(external["spec"].get("clusterIP").is_none());
        let old = json!({"spec": {"clusterIP": "10.96.0.42"}});
        let mut updated = json!({"spec": {"ports": []}});
        settle(&store, Some(&old), &mut updated);
        assert_eq!(updated["spec"]["clusterIP"], "10.96.0.42");
    }
}
