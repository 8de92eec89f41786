//! The set of fields a value sets (structured-merge-diff's `ToFieldSet`): what an applier owns,
//! what a newly added subtree gives an updater, what `before-first-apply` gets.

use serde_json::{Map, Value};

use crate::shape::Shape;

use super::fieldset::FieldSet;
use super::list::{KeyedList, ShapeError};
use super::path::PathElement;
use super::schema::{ListKind, Ty};

/// Where a value comes from, which decides membership details and strictness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// An applied configuration: duplicate keys are an error.
    Applied,
    /// A subtree an update added: duplicate keys are an error, and a new open map (labels, data)
    /// or associative list (finalizers, ownerReferences) is owned itself (`.`), as kube does for
    /// such fields that did not exist before.
    Added,
    /// A stored object: duplicates are tolerated.
    Existing,
}

/// The fields set by `object` (an object at the root of a resource, or any object when `ty`
/// says so). Untracked fields (apiVersion, kind, metadata.name, ...) are left out.
pub fn fields_of<S: Shape>(
    object: &Value,
    ty: Ty<S>,
    origin: Origin,
) -> Result<FieldSet, ShapeError> {
    let mut root = FieldSet::default();
    if let Value::Object(map) = object {
        collect_entries(map, ty, origin, &mut root)?;
    }
    Ok(root)
}

/// The fields set by `value`, a field or map entry (`declared` says which) of type `ty`,
/// including the node itself when kube owns it.
pub fn node_fields<S: Shape>(
    value: &Value,
    ty: Ty<S>,
    declared: bool,
    origin: Origin,
) -> Result<FieldSet, ShapeError> {
    let mut node = FieldSet::default();
    match value {
        Value::Object(map) if !ty.is_atomic_map() && !map.is_empty() => {
            let open = collect_entries(map, ty, origin, &mut node)?;
            if !declared || (origin == Origin::Added && open) {
                node.mark();
            }
        }
        Value::Array(items) => match ty.list_kind() {
            ListKind::Atomic => node.mark(),
            kind => {
                collect_elements(items, &kind, ty.items(), origin, &mut node)?;
                if !declared || origin == Origin::Added {
                    node.mark();
                }
            }
        },
        _ => node.mark(),
    }
    Ok(node)
}

/// The fields set by one list element (always owned itself).
pub fn element_fields<S: Shape>(
    item: &Value,
    ty: Ty<S>,
    origin: Origin,
) -> Result<FieldSet, ShapeError> {
    let mut node = node_fields(item, ty, true, origin)?;
    node.mark();
    Ok(node)
}

/// Adds the entries of an object to `node`; returns whether the object is an open map.
fn collect_entries<S: Shape>(
    map: &Map<String, Value>,
    ty: Ty<S>,
    origin: Origin,
    node: &mut FieldSet,
) -> Result<bool, ShapeError> {
    let entries = ty.map_entries();
    for (name, value) in map {
        let child_ty = ty.field(name);
        if child_ty.is_untracked() {
            continue;
        }
        let element = PathElement::Field(name.clone());
        match node_fields(value, child_ty, entries.is_declared(name), origin) {
            Ok(child) => node.insert_child(element, child),
            Err(e) => return Err(e.within(&element)),
        }
    }
    Ok(entries.is_open())
}

fn collect_elements<S: Shape>(
    items: &[Value],
    kind: &ListKind,
    item_ty: Ty<S>,
    origin: Origin,
    node: &mut FieldSet,
) -> Result<(), ShapeError> {
    let list = KeyedList::new(items, kind)?;
    if origin != Origin::Existing {
        list.reject_duplicates()?;
    }
    for (item, element) in items.iter().zip(list.elements()) {
        if node.has_child(element) {
            continue;
        }
        match element_fields(item, item_ty, origin) {
            Ok(child) => node.insert_child(element.clone(), child),
            Err(e) => return Err(e.within(element)),
        }
    }
    Ok(())
}
