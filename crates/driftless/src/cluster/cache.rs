//! The live objects of one Application as its watches see them, so that a reconcile in steady
//! state reads the cluster from memory instead of listing it.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use driftless_core::ObjectRef;
use serde_json::Value;

use super::keys::{key, Key, KindKey};

#[derive(Default)]
struct Inner {
    objects: HashMap<Key, Arc<Value>>,
    synced: HashSet<KindKey>,
}

/// A cache fed by watch events, shared between the watch tasks and the engine.
#[derive(Clone, Default)]
pub struct LiveCache {
    inner: Arc<Mutex<Inner>>,
}

impl fmt::Debug for LiveCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.lock();
        f.debug_struct("LiveCache")
            .field("objects", &inner.objects.len())
            .field("synced_kinds", &inner.synced.len())
            .finish()
    }
}

impl LiveCache {
    /// A watch of `kind` (re)started listing: its objects are forgotten and the kind is not
    /// trusted until [`LiveCache::listed`].
    pub fn relisting(&self, kind: &KindKey) {
        let mut inner = self.lock();
        inner.synced.remove(kind);
        inner
            .objects
            .retain(|(group, k, _, _), _| !(group == &kind.0 && k == &kind.2));
    }

    /// The watch of `kind` has delivered every existing object: the cache now answers for it.
    pub fn listed(&self, kind: &KindKey) {
        self.lock().synced.insert(kind.clone());
    }

    /// Records an added or modified object.
    pub fn upsert(&self, object: &ObjectRef, value: Value) {
        self.lock().objects.insert(key(object), Arc::new(value));
    }

    /// Records a deleted object.
    pub fn remove(&self, object: &ObjectRef) {
        self.lock().objects.remove(&key(object));
    }

    /// Stops trusting `kind` (its watch ended).
    pub fn forget_kind(&self, kind: &KindKey) {
        self.relisting(kind);
    }

    /// The resourceVersion of the object at `key` as last seen, when the cache holds it.
    pub fn resource_version_at(&self, key: &Key) -> Option<String> {
        self.lock()
            .objects
            .get(key)
            .and_then(|value| value.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The cached objects of `kind` when its watch has listed them, `None` otherwise (shared,
    /// not copied).
    pub fn objects_of(&self, kind: &KindKey) -> Option<Vec<Arc<Value>>> {
        let inner = self.lock();
        if !inner.synced.contains(kind) {
            return None;
        }
        let objects = inner
            .objects
            .iter()
            .filter(|((group, k, _, _), _)| group == &kind.0 && k == &kind.2)
            .map(|(_, value)| Arc::clone(value))
            .collect();
        Some(objects)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
