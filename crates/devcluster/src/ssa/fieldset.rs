//! Sets of field paths (what one manager owns) as a tree, with the set operations server-side apply
//! needs and the FieldsV1 encoding kube stores in `metadata.managedFields`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::path::{path_to_string, PathElement};

/// A set of paths, stored as a tree: a node is a member of the set (`.` in FieldsV1, or a leaf)
/// and/or has children. Nodes that are neither are never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    member: bool,
    children: BTreeMap<PathElement, FieldSet>,
}

/// Why a FieldsV1 value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FieldsV1Error {
    /// A node of the tree is not a JSON object.
    #[error("fieldsV1 node at {0:?} is not an object")]
    NotAnObject(String),
    /// An object key is not `.`, `f:`, `k:{...}`, `v:` or `i:`.
    #[error("fieldsV1 key {0:?} is not a path element")]
    BadKey(String),
}

impl FieldSet {
    /// Whether the set holds no path.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Puts this node's own path in the set.
    pub fn mark(&mut self) {
        self.member = true;
    }

    /// The subtree under `element`, if any path of the set goes through it.
    pub fn child(&self, element: &PathElement) -> Option<&FieldSet> {
        self.children.get(element)
    }

    /// The children of this node, in path order.
    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &FieldSet)> {
        self.children.iter()
    }

    /// Whether `element` already has a subtree here.
    pub fn has_child(&self, element: &PathElement) -> bool {
        self.children.contains_key(element)
    }

    /// Adds `subtree` under `element` unless it is empty (a subtree already there is replaced).
    pub fn insert_child(&mut self, element: PathElement, subtree: FieldSet) {
        if !subtree.is_empty() {
            self.children.insert(element, subtree);
        }
    }

    /// Adds every path of `other` to this set.
    pub fn union_with(&mut self, other: &FieldSet) {
        self.member |= other.member;
        for (element, theirs) in &other.children {
            match self.children.get_mut(element) {
                Some(ours) => ours.union_with(theirs),
                None => {
                    self.children.insert(element.clone(), theirs.clone());
                }
            }
        }
    }

    /// Removes from this set every path that is a member of `other` (paths below a removed one
    /// stay unless they are members of `other` too).
    pub fn remove_members(&mut self, other: &FieldSet) {
        if other.member {
            self.member = false;
        }
        for (element, theirs) in &other.children {
            if let Entry::Occupied(mut ours) = self.children.entry(element.clone()) {
                ours.get_mut().remove_members(theirs);
                if ours.get().is_empty() {
                    ours.remove();
                }
            }
        }
    }

    /// Removes from this set every path at or below a member of `gone` (`gone` marks subtrees
    /// that no longer exist in the object).
    pub fn remove_subtrees(&mut self, gone: &FieldSet) {
        for (element, theirs) in &gone.children {
            if theirs.member {
                self.children.remove(element);
            } else if let Entry::Occupied(mut ours) = self.children.entry(element.clone()) {
                ours.get_mut().remove_subtrees(theirs);
                if ours.get().is_empty() {
                    ours.remove();
                }
            }
        }
    }

    /// The paths that are members of both sets.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (element, ours) in &self.children {
            if let Some(theirs) = other.children.get(element) {
                out.insert_child(element.clone(), ours.intersection(theirs));
            }
        }
        out
    }

    /// Every member path in path order, printed as kube prints paths (`.spec.replicas`).
    pub fn member_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = Vec::new();
        self.collect_member_paths(&mut stack, &mut out);
        out
    }

    fn collect_member_paths<'a>(&'a self, stack: &mut Vec<&'a PathElement>, out: &mut Vec<String>) {
        if self.member {
            out.push(path_to_string(stack));
        }
        for (element, child) in &self.children {
            stack.push(element);
            child.collect_member_paths(stack, out);
            stack.pop();
        }
    }

    /// The FieldsV1 form: `{"f:spec":{"f:replicas":{}}}`, with `"."` first where a node is both
    /// a member and has children.
    pub fn to_fields_v1(&self) -> Value {
        let mut map = Map::new();
        self.write_children(&mut map);
        Value::Object(map)
    }

    fn write_children(&self, map: &mut Map<String, Value>) {
        for (element, child) in &self.children {
            let mut inner = Map::new();
            if child.member && !child.children.is_empty() {
                inner.insert(".".to_string(), Value::Object(Map::new()));
            }
            child.write_children(&mut inner);
            map.insert(element.to_fields_v1_key(), Value::Object(inner));
        }
    }

    /// Reads a FieldsV1 value (the root of an entry's `fieldsV1`).
    pub fn from_fields_v1(value: &Value) -> Result<FieldSet, FieldsV1Error> {
        let Value::Object(map) = value else {
            return Err(FieldsV1Error::NotAnObject(String::new()));
        };
        let mut root = FieldSet::default();
        for (key, child) in map {
            if key == "." {
                continue;
            }
            let element = parse_key(key)?;
            root.insert_child(element, read_node(key, child)?);
        }
        Ok(root)
    }
}

fn parse_key(key: &str) -> Result<PathElement, FieldsV1Error> {
    PathElement::from_fields_v1_key(key).ok_or_else(|| FieldsV1Error::BadKey(key.to_string()))
}

/// A non-root node: `{}` is a member leaf, `"."` marks a member with children.
fn read_node(at: &str, value: &Value) -> Result<FieldSet, FieldsV1Error> {
    let Value::Object(map) = value else {
        return Err(FieldsV1Error::NotAnObject(at.to_string()));
    };
    let mut node = FieldSet {
        member: map.is_empty() || map.contains_key("."),
        children: BTreeMap::new(),
    };
    for (key, child) in map {
        if key == "." {
            continue;
        }
        node.insert_child(parse_key(key)?, read_node(key, child)?);
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(v: Value) -> FieldSet {
        FieldSet::from_fields_v1(&v).unwrap()
    }

    #[test]
    fn fields_v1_round_trips_with_dot_first() {
        let v = json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {}}}}
        });
        let s = set(v.clone());
        assert_eq!(s.to_fields_v1(), v);
        let text = serde_json::to_string(&s.to_fields_v1()).unwrap();
        assert!(
            text.contains(r#"{".":{},"f:image":{},"f:name":{}}"#),
            "{text}"
        );
    }

    #[test]
    fn bad_fields_v1_is_an_error() {
        assert!(FieldSet::from_fields_v1(&json!({"x:y": {}})).is_err());
        assert!(FieldSet::from_fields_v1(&json!({"f:a": 1})).is_err());
        assert!(FieldSet::from_fields_v1(&json!([])).is_err());
    }

    #[test]
    fn union_intersection_and_removal() {
        let mut a = set(json!({"f:spec": {"f:replicas": {}, "f:paused": {}}}));
        let b = set(json!({"f:spec": {"f:replicas": {}, "f:minReadySeconds": {}}}));
        assert_eq!(
            a.intersection(&b),
            set(json!({"f:spec": {"f:replicas": {}}}))
        );
        let mut u = a.clone();
        u.union_with(&b);
        assert_eq!(
            u.member_paths(),
            [".spec.minReadySeconds", ".spec.paused", ".spec.replicas"]
        );
        a.remove_members(&b);
        assert_eq!(a, set(json!({"f:spec": {"f:paused": {}}})));
        a.remove_members(&a.clone());
        assert!(a.is_empty());
    }

    #[test]
    fn remove_members_keeps_children_but_remove_subtrees_does_not() {
        let owned = set(json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}}));
        let labels_node = set(json!({"f:metadata": {"f:labels": {}}}));
        let mut m = owned.clone();
        m.remove_members(&labels_node);
        assert_eq!(m, set(json!({"f:metadata": {"f:labels": {"f:a": {}}}})));
        let mut s = owned.clone();
        s.remove_subtrees(&labels_node);
        assert!(s.is_empty());
    }
}
