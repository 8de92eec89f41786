//! The live objects of one Application: listed per kind by the app label, with a GET (or a
//! namespace LIST) for desired objects that do not carry the label yet.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use driftless_core::ObjectRef;
use serde_json::Value;

use super::cache::LiveCache;
use super::keys::{key, Key, KindKey};
use super::{ClusterError, ResourceManager};

/// Above this many unlabelled objects of one kind in one namespace, one LIST replaces the GETs.
const GETS_BEFORE_LIST: usize = 8;

/// Live objects by key, shared with the watch-fed cache they may come from (never copied).
#[derive(Debug, Default, Clone)]
pub struct Live {
    objects: HashMap<Key, Arc<Value>>,
}

impl Live {
    /// The live object of `object`, if it exists.
    pub fn get(&self, object: &ObjectRef) -> Option<&Value> {
        self.objects.get(&key(object)).map(Arc::as_ref)
    }

    /// Records `value` as the live state of `object` (after an apply), or forgets it (`None`).
    pub fn set(&mut self, object: &ObjectRef, value: Option<Value>) {
        self.set_shared(object, value.map(Arc::new));
    }

    /// Like [`Live::set`], for a value shared with a cache.
    pub fn set_shared(&mut self, object: &ObjectRef, value: Option<Arc<Value>>) {
        match value {
            Some(value) => self.objects.insert(key(object), value),
            None => self.objects.remove(&key(object)),
        };
    }

    /// The resourceVersion of `object`'s live state.
    pub fn resource_version(&self, object: &ObjectRef) -> Option<&str> {
        self.get(object)?
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
    }
}

impl ResourceManager {
    /// Reads the live state of `wanted` (desired objects and inventory entries): the labelled
    /// objects of each served kind from `cache` when its watch has listed them, else one labelled
    /// LIST per kind; then the objects not found that way by GET, or by one LIST per
    /// kind and namespace when there are many. Kinds the cluster does not serve have no live objects.
    pub async fn read_live(
        &self,
        wanted: &[&ObjectRef],
        label_selector: &str,
        cache: Option<&LiveCache>,
    ) -> Result<Live, ClusterError> {
        let mut live = Live::default();
        let mut kinds: BTreeMap<KindKey, Vec<&ObjectRef>> = BTreeMap::new();
        for object in wanted {
            kinds
                .entry((
                    object.group.clone(),
                    object.version.clone(),
                    object.kind.clone(),
                ))
                .or_default()
                .push(object);
        }
        for (kind, objects) in &kinds {
            let Ok(resolved) = self.resolve(objects[0]).await else {
                continue;
            };
            let labelled: Vec<Arc<Value>> = match cache.and_then(|c| c.objects_of(kind)) {
                Some(cached) => cached,
                None => self
                    .list(&resolved, "", label_selector)
                    .await?
                    .into_iter()
                    .map(Arc::new)
                    .collect(),
            };
            for value in labelled {
                if let Ok(found) = ObjectRef::from_object(&value) {
                    live.set_shared(&found, Some(value));
                }
            }
            let missing: Vec<&ObjectRef> = objects
                .iter()
                .copied()
                .filter(|o| live.get(o).is_none())
                .collect();
            self.find_unlabelled(&resolved, &missing, &mut live).await?;
        }
        Ok(live)
    }

    async fn find_unlabelled(
        &self,
        resolved: &super::Resolved,
        missing: &[&ObjectRef],
        live: &mut Live,
    ) -> Result<(), ClusterError> {
        let mut by_namespace: BTreeMap<&str, Vec<&ObjectRef>> = BTreeMap::new();
        for object in missing {
            by_namespace
                .entry(&object.namespace)
                .or_default()
                .push(object);
        }
        for (namespace, objects) in by_namespace {
            if objects.len() > GETS_BEFORE_LIST {
                for value in self.list(resolved, namespace, "").await? {
                    if let Ok(found) = ObjectRef::from_object(&value) {
                        live.set(&found, Some(value));
                    }
                }
            } else {
                for object in objects {
                    let value = self.get(object).await?;
                    live.set(object, value);
                }
            }
        }
        Ok(())
    }
}
