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

/// Merges the elements of an associative list in structured-merge-diff's order: elements only in
/// live keep their place, elements shared with the config follow the config's order, and new
/// elements come where the config puts them relative to the shared ones.
fn merge_elements<S: Shape>(
    live: &mut Vec<Value>,
    config: &[Value],
    kind: &ListKind,
    item_ty: Ty<S>,
) -> Result<(), ShapeError> {
    let lhs = KeyedList::new(live, kind)?;
    let rhs = KeyedList::new(config, kind)?;
    let mut live_items: Vec<Option<Value>> = std::mem::take(live).into_iter().map(Some).collect();
    let mut shared = rhs
        .elements()
        .iter()
        .filter(|e| lhs.position(e).is_some())
        .collect::<Vec<_>>()
        .into_iter();
    let mut next_shared = shared.next();
    let mut merged: BTreeSet<&PathElement> = BTreeSet::new();
    let mut out = Vec::with_capacity(live_items.len().max(config.len()));
    let (l_len, r_len) = (lhs.elements().len(), rhs.elements().len());
    let (mut l, mut r) = (0, 0);
    while l < l_len || r < r_len {
        if l < l_len && r < r_len {
            let pe = &lhs.elements()[l];
            if *pe == rhs.elements()[r] {
                merged.insert(pe);
                out.push(merged_item(&lhs, &mut live_items, &config[r], pe, item_ty)?);
                l += 1;
                r += 1;
                next_shared = shared.next();
                continue;
            }
            if rhs.position(pe).is_some() && next_shared.is_some_and(|n| n != pe) {
                l += 1;
                continue;
            }
        }
        if l < l_len {
            let pe = &lhs.elements()[l];
            if rhs.position(pe).is_none() {
                if let Some(item) = live_items[l].take() {
                    out.push(item);
                }
                l += 1;
                continue;
            }
            if merged.contains(pe) {
                l += 1;
                continue;
            }
        }
        if r < r_len {
            let pe = &rhs.elements()[r];
            merged.insert(pe);
            out.push(merged_item(&lhs, &mut live_items, &config[r], pe, item_ty)?);
            r += 1;
            if next_shared == Some(pe) {
                next_shared = shared.next();
            }
        }
    }
    *live = out;
    Ok(())
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
