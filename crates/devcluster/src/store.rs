//! The in-memory object store: every object of every resource, indexed by resource, namespace and name, with
//! the one resourceVersion counter. Only the write path changes it; reads take snapshots.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::registry::ResourceKey;

/// (namespace, name); the namespace is "" for cluster-scoped objects. Ordering gives kube's list order.
pub type NsName = (String, String);

/// Where one object lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// The resource (group, plural).
    pub resource: ResourceKey,
    /// Namespace, "" when cluster-scoped.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl ObjectKey {
    /// The string a durable backend stores the key under: `group/plural/namespace/name`.
    pub fn storage_id(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.resource.group, self.resource.plural, self.namespace, self.name
        )
    }
}

/// All objects and the current resourceVersion.
#[derive(Debug, Default)]
pub struct Store {
    objects: BTreeMap<ResourceKey, BTreeMap<NsName, Arc<Value>>>,
    resource_version: u64,
    /// uid -> where the object lives.
    uids: HashMap<String, ObjectKey>,
    /// owner uid -> objects whose ownerReferences name it.
    dependents: HashMap<String, BTreeSet<ObjectKey>>,
}

impl Store {
    /// The latest resourceVersion handed out (0 before the first write).
    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// Hands out the next resourceVersion.
    pub fn next_resource_version(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    /// Raises the counter to at least `rv` (used when loading durable state).
    pub fn observe_resource_version(&mut self, rv: u64) {
        self.resource_version = self.resource_version.max(rv);
    }

    /// One object.
    pub fn get(&self, key: &ObjectKey) -> Option<&Arc<Value>> {
        self.objects
            .get(&key.resource)?
            .get(&(key.namespace.clone(), key.name.clone()))
    }

    /// Stores (or replaces) an object.
    pub fn put(&mut self, key: &ObjectKey, object: Arc<Value>) {
        self.index(key, &object);
        let previous = self
            .objects
            .entry(key.resource.clone())
            .or_default()
            .insert((key.namespace.clone(), key.name.clone()), object.clone());
        if let Some(previous) = previous {
            self.unindex_owners(key, &previous, Some(&object));
        }
    }

    /// Removes an object, returning it.
    pub fn remove(&mut self, key: &ObjectKey) -> Option<Arc<Value>> {
        let gone = self
            .objects
            .get_mut(&key.resource)?
            .remove(&(key.namespace.clone(), key.name.clone()))?;
        if let Some(uid) = uid_of(&gone) {
            self.uids.remove(uid);
        }
        self.unindex_owners(key, &gone, None);
        Some(gone)
    }

    /// Where the object with this uid lives, if it exists.
    pub fn by_uid(&self, uid: &str) -> Option<&ObjectKey> {
        self.uids.get(uid)
    }

    /// The objects whose ownerReferences name `owner_uid`.
    pub fn dependents_of(&self, owner_uid: &str) -> Vec<ObjectKey> {
        self.dependents
            .get(owner_uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn index(&mut self, key: &ObjectKey, object: &Value) {
        if let Some(uid) = uid_of(object) {
            self.uids.insert(uid.to_string(), key.clone());
        }
        for owner in owner_uids(object) {
            self.dependents
                .entry(owner.to_string())
                .or_default()
                .insert(key.clone());
        }
    }

    fn unindex_owners(&mut self, key: &ObjectKey, old: &Value, new: Option<&Value>) {
        let kept: Vec<&str> = new.map(owner_uids).unwrap_or_default();
        for owner in owner_uids(old).into_iter().filter(|o| !kept.contains(o)) {
            if let Some(set) = self.dependents.get_mut(owner) {
                set.remove(key);
                if set.is_empty() {
                    self.dependents.remove(owner);
                }
            }
        }
    }

    /// Objects of a resource in list order, optionally within one namespace, starting after `after`.
    pub fn list<'a>(
        &'a self,
        resource: &ResourceKey,
        namespace: Option<&'a str>,
        after: Option<&'a NsName>,
    ) -> impl Iterator<Item = (&'a NsName, &'a Arc<Value>)> + 'a {
        use std::ops::Bound;
        let lower = match after {
            Some(k) => Bound::Excluded(k.clone()),
            None => match namespace {
                Some(ns) => Bound::Included((ns.to_string(), String::new())),
                None => Bound::Unbounded,
            },
        };
        self.objects
            .get(resource)
            .into_iter()
            .flat_map(move |m| m.range((lower.clone(), Bound::Unbounded)))
            .take_while(move |((ns, _), _)| namespace.is_none_or(|want| want == ns))
    }

    /// Every resource that has objects, with its objects (for garbage collection and namespace cleanup).
    pub fn resources(&self) -> impl Iterator<Item = (&ResourceKey, &BTreeMap<NsName, Arc<Value>>)> {
        self.objects.iter()
    }

    /// Number of objects stored.
    pub fn len(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Whether no object is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn uid_of(object: &Value) -> Option<&str> {
    object.pointer("/metadata/uid").and_then(Value::as_str)
}

/// The uids named in metadata.ownerReferences.
pub fn owner_uids(object: &Value) -> Vec<&str> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(ns: &str, name: &str) -> ObjectKey {
        ObjectKey {
            resource: ResourceKey {
                group: String::new(),
                plural: "configmaps".into(),
            },
            namespace: ns.into(),
            name: name.into(),
        }
    }

    #[test]
    fn list_is_ordered_and_scoped_to_namespace() {
        let mut s = Store::default();
        for (ns, n) in [("b", "x"), ("a", "z"), ("a", "y"), ("c", "w")] {
            s.put(&key(ns, n), Arc::new(json!({"n": n})));
        }
        let res = key("", "").resource;
        let all: Vec<_> = s.list(&res, None, None).map(|(k, _)| k.1.clone()).collect();
        assert_eq!(all, vec!["y", "z", "x", "w"]);
        let in_a: Vec<_> = s
            .list(&res, Some("a"), None)
            .map(|(k, _)| k.1.clone())
            .collect();
        assert_eq!(in_a, vec!["y", "z"]);
        let after = ("a".to_string(), "y".to_string());
        let rest: Vec<_> = s
            .list(&res, Some("a"), Some(&after))
            .map(|(k, _)| k.1.clone())
            .collect();
        assert_eq!(rest, vec!["z"]);
    }
}
