//! What the engine last applied per object: the manifest's hash, the resourceVersion right
//! after, and a digest of the live object's content (status and server fields left out). An
//! object whose manifest is unchanged and whose live version, or at least live content, has
//! not moved needs no dry-run: a workload whose controller only wrote its status costs nothing.

use std::collections::HashMap;

use driftless_core::application::ResourceStatus;
use driftless_core::diff::normalize;
use driftless_core::tracking::fnv1a;
use driftless_core::ObjectRef;
use serde_json::Value;

use super::keys::{key, Key};

/// What was recorded about one object.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Hash of the manifest applied (or verified unchanged).
    pub hash: String,
    /// The live resourceVersion at that time.
    pub resource_version: String,
    /// Digest of the live object's normalised content at that time.
    pub live_digest: String,
}

/// What was recorded per object, as of the last sync.
#[derive(Debug, Default, Clone)]
pub struct AppliedState {
    entries: HashMap<Key, Recorded>,
}

/// Digest of a live object's content without status and server-set fields (hex FNV-1a).
pub fn live_digest(live: &Value) -> String {
    format!("{:016x}", fnv1a(normalize(live).to_string().as_bytes()))
}

impl AppliedState {
    /// The state recorded in an Application's `status.resources`.
    pub fn from_resources(resources: &[ResourceStatus]) -> Self {
        let entries = resources
            .iter()
            .filter(|r| !r.applied_hash.is_empty() && !r.resource_version.is_empty())
            .map(|r| {
                let recorded = Recorded {
                    hash: r.applied_hash.clone(),
                    resource_version: r.resource_version.clone(),
                    live_digest: r.live_digest.clone(),
                };
                (key(&r.object), recorded)
            })
            .collect();
        Self { entries }
    }

    /// True when `object` was last applied (or verified) with this manifest hash and its live
    /// state has not moved since, by resourceVersion or, failing that, by content: nothing can
    /// differ, so no dry-run is needed.
    pub fn is_current(&self, object: &ObjectRef, hash: &str, live: Option<&Value>) -> bool {
        let (Some(recorded), Some(live)) = (self.entries.get(&key(object)), live) else {
            return false;
        };
        if recorded.hash != hash {
            return false;
        }
        let version = live
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        version == Some(recorded.resource_version.as_str())
            || (!recorded.live_digest.is_empty() && live_digest(live) == recorded.live_digest)
    }

    /// Records that `object` matches manifest `hash` as `live` shows it now (nothing to do, and
    /// no digest computed, when that is what is recorded already).
    pub fn record(&mut self, object: &ObjectRef, hash: &str, live: &Value) {
        let resource_version = live
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let key = key(object);
        if self
            .entries
            .get(&key)
            .is_some_and(|r| r.hash == hash && r.resource_version == resource_version)
        {
            return;
        }
        let recorded = Recorded {
            hash: hash.to_owned(),
            resource_version,
            live_digest: live_digest(live),
        };
        self.entries.insert(key, recorded);
    }

    /// What was recorded about `object`.
    pub fn get(&self, object: &ObjectRef) -> Option<&Recorded> {
        self.entries.get(&key(object))
    }

    /// Every recorded object, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Recorded)> {
        self.entries.iter()
    }

    /// Forgets `object` (after it was pruned or failed).
    pub fn forget(&mut self, object: &ObjectRef) {
        self.entries.remove(&key(object));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web() -> ObjectRef {
        ObjectRef {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
        }
    }

    fn live(rv: &str, replicas: i64, ready: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop", "resourceVersion": rv},
               "spec": {"replicas": replicas}, "status": {"readyReplicas": ready}})
    }

    #[test]
    fn a_status_only_change_keeps_the_object_current() {
        let mut state = AppliedState::default();
        state.record(&web(), "h", &live("7", 2, 0));
        assert!(state.is_current(&web(), "h", Some(&live("7", 2, 0))));
        assert!(
            state.is_current(&web(), "h", Some(&live("8", 2, 2))),
            "only status moved"
        );
        assert!(
            !state.is_current(&web(), "h", Some(&live("9", 5, 2))),
            "spec moved"
        );
        assert!(
            !state.is_current(&web(), "other", Some(&live("7", 2, 0))),
            "manifest moved"
        );
        assert!(!state.is_current(&web(), "h", None), "gone");
    }
}
