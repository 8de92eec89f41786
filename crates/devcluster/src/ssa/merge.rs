//! Merging an applied configuration into a live object, and removing what an applier stopped
//! applying, as structured-merge-diff does.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::shape::Shape;

use super::fieldset::FieldSet;
use super::list::{KeyedList, ShapeError};
use super::path::PathElement;
use super::schema::{ListKind, Ty};

/// Merges `config` into `live`: objects recursively (atomic ones replaced), set and map-lists
/// element by element (see [`merge_elements`]), everything else replaced. Untracked fields
/// (apiVersion, kind, metadata.name, uid, ...) keep their live values. `config` must have passed
/// validation (no duplicate keys); live duplicates are tolerated.
pub fn merge_into<S: Shape>(live: &mut Value, config: &Value, ty: Ty<S>) -> Result<(), ShapeError> {
    match (&mut *live, config) {
        (Value::Object(l), Value::Object(c)) if !ty.is_atomic_map() => merge_entries(l, c, ty),
        (Value::Array(l), Value::Array(c)) => match ty.list_kind() {
            ListKind::Atomic => {
                *live = config.clone();
                Ok(())
            }
            kind => merge_elements(l, c, &kind, ty.items()),
        },
        _ => {
            *live = config.clone();
            Ok(())
        }
    }
}

fn merge_entries<S: Shape>(
    live: &mut Map<String, Value>,
    config: &Map<String, Value>,
    ty: Ty<S>,
) -> Result<(), ShapeError> {
    for (name, value) in config {
        let child_ty = ty.field(name);
        if child_ty.is_untracked() {
            continue;
        }
        match live.get_mut(name) {
            Some(existing) => merge_into(existing, value, child_ty)
                .map_err(|e| e.within(&PathElement::Field(name.clone())))?,
            None => {
                live.insert(name.clone(), value.clone());
            }
        }
    }
    Ok(())
}

/// Merges the elements of an associative list, in the order [`merged_order`] gives.
fn merge_elements<S: Shape>(
    live: &mut Vec<Value>,
    config: &[Value],
    kind: &ListKind,
    item_ty: Ty<S>,
) -> Result<(), ShapeError> {
    let lhs = KeyedList::new(live, kind)?;
    let rhs = KeyedList::new(config, kind)?;
    let mut live_items: Vec<Option<Value>> = std::mem::take(live).into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(live_items.len().max(config.len()));
    for emit in merged_order(&lhs, &rhs) {
        match emit {
            Emit::Live(l) => out.extend(live_items[l].take()),
            Emit::Config(r) => {
                let element = &rhs.elements()[r];
                out.push(merged_item(
                    &lhs,
                    &mut live_items,
                    &config[r],
                    element,
                    item_ty,
                )?);
            }
        }
    }
    *live = out;
    Ok(())
}

/// One element of a merged list: a live element no config element matches, or a config element
/// (merged into its live counterpart when there is one).
#[derive(Debug, PartialEq)]
enum Emit {
    Live(usize),
    Config(usize),
}

/// structured-merge-diff's order for a merged associative list: elements only in live keep their
/// place, elements shared with the config follow the config's order, and new elements come where
/// the config puts them relative to the shared ones.
fn merged_order(lhs: &KeyedList, rhs: &KeyedList) -> Vec<Emit> {
    let (left, right) = (lhs.elements(), rhs.elements());
    let mut shared = right.iter().filter(|e| lhs.position(e).is_some());
    let mut next_shared = shared.next();
    let mut emitted: BTreeSet<&PathElement> = BTreeSet::new();
    let mut out = Vec::with_capacity(left.len().max(right.len()));
    let (mut l, mut r) = (0, 0);
    while l < left.len() || r < right.len() {
        if l < left.len() && r < right.len() {
            if left[l] == right[r] {
                emitted.insert(&left[l]);
                out.push(Emit::Config(r));
                (l, r) = (l + 1, r + 1);
                next_shared = shared.next();
                continue;
            }
            let in_config = rhs.position(&left[l]).is_some();
            if in_config && next_shared.is_some_and(|n| *n != left[l]) {
                l += 1; // a shared element the config wants later
                continue;
            }
        }
        if l < left.len() {
            if rhs.position(&left[l]).is_none() {
                out.push(Emit::Live(l));
                l += 1;
                continue;
            }
            if emitted.contains(&left[l]) {
                l += 1;
                continue;
            }
        }
        if r < right.len() {
            emitted.insert(&right[r]);
            out.push(Emit::Config(r));
            if next_shared == Some(&right[r]) {
                next_shared = shared.next();
            }
            r += 1;
        }
    }
    out
}

/// The config element `config` merged into the live element with the same key, or taken as is
/// when live has none (or several, which kube does not merge into).
fn merged_item<S: Shape>(
    lhs: &KeyedList,
    live_items: &mut [Option<Value>],
    config: &Value,
    element: &PathElement,
    item_ty: Ty<S>,
) -> Result<Value, ShapeError> {
    let existing = match lhs.position(element) {
        Some(i) if !lhs.is_duplicated(element) => live_items[i].take(),
        _ => None,
    };
    match existing {
        Some(mut item) => {
            merge_into(&mut item, config, item_ty).map_err(|e| e.within(element))?;
            Ok(item)
        }
        None => Ok(config.clone()),
    }
}

/// Removes from `value` the fields of `last` (what the applier owned before) that nobody owns
/// any more: a node goes, with everything below it, when no set in `owners` (the applier's new
/// set and every other manager's) has any path at or below it. `metadata` itself always stays.
pub fn prune<S: Shape>(value: &mut Value, last: &FieldSet, owners: &[&FieldSet], ty: Ty<S>) {
    if let Value::Object(map) = value {
        prune_entries(map, last, owners, ty, &[]);
    }
}

/// Prunes below one node; `keys` are the key fields of a map-list element, which stay while the
/// element does.
fn prune_node<S: Shape>(
    value: &mut Value,
    last: &FieldSet,
    owners: &[&FieldSet],
    ty: Ty<S>,
    keys: &[String],
) {
    match value {
        Value::Object(map) if !ty.is_atomic_map() => prune_entries(map, last, owners, ty, keys),
        Value::Array(items) => match ty.list_kind() {
            ListKind::Atomic => {}
            kind => prune_elements(items, last, owners, &kind, ty.items()),
        },
        _ => {}
    }
}

fn prune_entries<S: Shape>(
    map: &mut Map<String, Value>,
    last: &FieldSet,
    owners: &[&FieldSet],
    ty: Ty<S>,
    keys: &[String],
) {
    for (element, last_child) in last.children() {
        let PathElement::Field(name) = element else {
            continue;
        };
        if keys.contains(name) {
            continue;
        }
        let child_ty = ty.field(name);
        let child_owners: Vec<&FieldSet> = owners.iter().filter_map(|o| o.child(element)).collect();
        if child_owners.is_empty() && !matches!(child_ty, Ty::Meta) {
            map.remove(name);
        } else if let Some(child) = map.get_mut(name) {
            prune_node(child, last_child, &child_owners, child_ty, &[]);
        }
    }
}

fn prune_elements<S: Shape>(
    items: &mut Vec<Value>,
    last: &FieldSet,
    owners: &[&FieldSet],
    kind: &ListKind,
    item_ty: Ty<S>,
) {
    let Ok(list) = KeyedList::new(items, kind) else {
        return;
    };
    let keys = match kind {
        ListKind::Map(keys) => keys.as_slice(),
        _ => &[],
    };
    let mut keep = vec![true; items.len()];
    for (index, element) in list.elements().iter().enumerate() {
        let Some(last_child) = last.child(element) else {
            continue;
        };
        let child_owners: Vec<&FieldSet> = owners.iter().filter_map(|o| o.child(element)).collect();
        if child_owners.is_empty() {
            keep[index] = false;
        } else {
            prune_node(&mut items[index], last_child, &child_owners, item_ty, keys);
        }
    }
    let mut flags = keep.into_iter();
    items.retain(|_| flags.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(live: &[&str], config: &[&str]) -> Vec<String> {
        let values = |names: &[&str]| -> Vec<Value> { names.iter().map(|n| json!(n)).collect() };
        let (live, config) = (values(live), values(config));
        let lhs = KeyedList::new(&live, &ListKind::Set).unwrap();
        let rhs = KeyedList::new(&config, &ListKind::Set).unwrap();
        merged_order(&lhs, &rhs)
            .into_iter()
            .map(|e| match e {
                Emit::Live(l) => format!("live:{}", live[l].as_str().unwrap()),
                Emit::Config(r) => format!("config:{}", config[r].as_str().unwrap()),
            })
            .collect()
    }

    #[test]
    fn merged_order_keeps_live_only_elements_in_place() {
        assert_eq!(
            order(&["x", "a"], &["a", "y"]),
            ["live:x", "config:a", "config:y"]
        );
        assert_eq!(
            order(&["a", "b", "c"], &["a", "b", "c", "d"]),
            ["config:a", "config:b", "config:c", "config:d"]
        );
        assert_eq!(order(&[], &["a"]), ["config:a"]);
        assert_eq!(order(&["a"], &[]), ["live:a"]);
    }

    #[test]
    fn merged_order_follows_the_config_for_shared_elements() {
        assert_eq!(order(&["a", "b"], &["b", "a"]), ["config:b", "config:a"]);
        assert_eq!(
            order(&["a", "b", "c"], &["c", "a"]),
            ["live:b", "config:c", "config:a"]
        );
        assert_eq!(
            order(&["a", "b"], &["c", "a"]),
            ["config:c", "config:a", "live:b"]
        );
    }

    #[test]
    fn live_duplicates_collapse_into_the_config_element() {
        let mut live = json!([{"name": "a", "x": 1}, {"name": "a", "x": 2}, {"name": "b"}]);
        let config = json!([{"name": "a", "y": 3}]);
        let kind = ListKind::Map(vec!["name".into()]);
        let (Value::Array(l), Value::Array(c)) = (&mut live, &config) else {
            unreachable!()
        };
        merge_elements::<Never>(l, c, &kind, Ty::Unknown).unwrap();
        assert_eq!(live, json!([{"name": "a", "y": 3}, {"name": "b"}]));
    }

    #[test]
    fn prune_removes_unowned_fields_and_keeps_element_keys() {
        let mut value = json!({
            "metadata": {"name": "x", "ownerReferences": [{"uid": "a", "name": "n", "kind": "K"}]},
            "spec": {"gone": 1, "kept": 2}
        });
        let last = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:ownerReferences": {"k:{\"uid\":\"a\"}": {".": {}, "f:uid": {}, "f:name": {}, "f:kind": {}}}},
            "f:spec": {"f:gone": {}, "f:kept": {}}
        }))
        .unwrap();
        let other = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:ownerReferences": {"k:{\"uid\":\"a\"}": {"f:kind": {}}}},
            "f:spec": {"f:kept": {}}
        }))
        .unwrap();
        prune(&mut value, &last, &[&other], Ty::<Never>::Root(None));
        assert_eq!(
            value,
            json!({"metadata": {"name": "x", "ownerReferences": [{"uid": "a", "kind": "K"}]}, "spec": {"kept": 2}})
        );
        let nobody = FieldSet::default();
        prune(&mut value, &last, &[&nobody], Ty::<Never>::Root(None));
        assert_eq!(
            value,
            json!({"metadata": {"name": "x"}}),
            "metadata itself always stays"
        );
    }

    /// A shape with no instances: tests that need no schema.
    #[derive(Clone, Copy)]
    enum Never {}

    impl Shape for Never {
        fn field(self, _: &str) -> Option<Self> {
            match self {}
        }
        fn items(self) -> Option<Self> {
            match self {}
        }
        fn list_type(self) -> crate::shape::ListType {
            match self {}
        }
        fn is_atomic(self) -> bool {
            match self {}
        }
        fn patch_merge_key(self) -> Option<String> {
            match self {}
        }
        fn patch_strategies(self) -> Vec<String> {
            match self {}
        }
    }
}
