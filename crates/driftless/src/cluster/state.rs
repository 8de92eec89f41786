//! What the engine last applied per object (manifest hash and the resourceVersion right after),
//! so that an object whose manifest and live version are both unchanged needs no dry-run.

use std::collections::HashMap;

use driftless_core::application::ResourceStatus;
use driftless_core::ObjectRef;

use super::keys::{key, Key};

/// Hash and resourceVersion per object, as of the last sync.
#[derive(Debug, Default, Clone)]
pub struct AppliedState {
    entries: HashMap<Key, (String, String)>,
}

impl AppliedState {
    /// The state recorded in an Application's `status.resources`.
    pub fn from_resources(resources: &[ResourceStatus]) -> Self {
        let entries = resources
            .iter()
            .filter(|r| !r.applied_hash.is_empty() && !r.resource_version.is_empty())
            .map(|r| {
                (
                    key(&r.object),
                    (r.applied_hash.clone(), r.resource_version.clone()),
                )
            })
            .collect();
        Self { entries }
    }

    /// True when `object` was last applied (or verified) with this manifest hash and its live
    /// resourceVersion has not moved since: nothing can differ, so no dry-run is needed.
    pub fn is_current(&self, object: &ObjectRef, hash: &str, live_version: Option<&str>) -> bool {
        match (self.entries.get(&key(object)), live_version) {
            (Some((h, rv)), Some(live)) => h == hash && rv == live,
            _ => false,
        }
    }

    /// Records that `object` matches manifest `hash` at `resource_version`.
    pub fn record(&mut self, object: &ObjectRef, hash: &str, resource_version: &str) {
        self.entries
            .insert(key(object), (hash.to_owned(), resource_version.to_owned()));
    }

    /// The recorded (hash, resourceVersion) of `object`.
    pub fn get(&self, object: &ObjectRef) -> Option<(&str, &str)> {
        self.entries
            .get(&key(object))
            .map(|(h, rv)| (h.as_str(), rv.as_str()))
    }

    /// Forgets `object` (after it was pruned or failed).
    pub fn forget(&mut self, object: &ObjectRef) {
        self.entries.remove(&key(object));
    }
}
