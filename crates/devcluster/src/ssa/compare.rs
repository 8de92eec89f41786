//! What changed between two versions of an object, as field sets: the fields a write set (added
//! or modified, which its manager takes) and the subtrees it removed (which every manager loses).

use serde_json::{Map, Value};

use crate::shape::Shape;

use super::collect::{element_fields, node_fields, Origin};
use super::fieldset::FieldSet;
use super::list::{KeyedList, ShapeError};
use super::path::PathElement;
use super::schema::{ListKind, Ty};

/// The difference between an old and a new object.
#[derive(Debug, Default)]
pub struct Changes {
    /// Fields added or given a different value (members are owned paths, as kube records them).
    pub changed: FieldSet,
    /// Subtrees that exist in the old object only: a member means the path and all below it.
    pub removed: FieldSet,
}

impl Changes {
    /// Whether no field was added, modified or removed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }

    /// Records the changes below one child, building its path element only when there are any.
    fn add_child(&mut self, element: impl Fn() -> PathElement, child: Changes) {
        if !child.changed.is_empty() {
            self.changed.insert_child(element(), child.changed);
        }
        if !child.removed.is_empty() {
            self.removed.insert_child(element(), child.removed);
        }
    }
}

/// Compares two objects of type `ty`. Duplicate keys in `new` are an error; in `old` the first
/// element with a key stands for it.
pub fn compare<S: Shape>(old: &Value, new: &Value, ty: Ty<S>) -> Result<Changes, ShapeError> {
    let mut changes = Changes::default();
    let empty = Map::new();
    let old_map = old.as_object().unwrap_or(&empty);
    let new_map = new.as_object().unwrap_or(&empty);
    compare_entries(old_map, new_map, ty, &mut changes)?;
    Ok(changes)
}

fn compare_node<S: Shape>(
    old: &Value,
    new: &Value,
    ty: Ty<S>,
    changes: &mut Changes,
) -> Result<(), ShapeError> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) if is_granular(ty, o, n) => {
            compare_entries(o, n, ty, changes)
        }
        (Value::Array(o), Value::Array(n)) => match ty.list_kind() {
            ListKind::Atomic => {
                compare_leaf(old, new, changes);
                Ok(())
            }
            kind => compare_elements(o, n, &kind, ty.items(), changes),
        },
        _ => {
            compare_leaf(old, new, changes);
            Ok(())
        }
    }
}

/// Whether two objects compare entry by entry: not atomic, and not both empty (two empty objects
/// compare as leaves, keeping the empty/absent distinction).
fn is_granular<S: Shape>(ty: Ty<S>, old: &Map<String, Value>, new: &Map<String, Value>) -> bool {
    let both_empty = old.is_empty() && new.is_empty();
    !ty.is_atomic_map() && !both_empty
}

/// A value compared as a whole; when a granular object or list becomes something else, whatever
/// was owned below it is gone too.
fn compare_leaf(old: &Value, new: &Value, changes: &mut Changes) {
    if old != new {
        changes.changed.mark();
        if matches!(old, Value::Object(_) | Value::Array(_)) {
            changes.removed.mark();
        }
    }
}

fn compare_entries<S: Shape>(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    ty: Ty<S>,
    changes: &mut Changes,
) -> Result<(), ShapeError> {
    let entries = ty.map_entries();
    let field = |name: &String| PathElement::Field(name.clone());
    for (name, new_value) in new {
        let child_ty = ty.field(name);
        if child_ty.is_untracked() {
            continue;
        }
        match old.get(name) {
            Some(old_value) => {
                let child = compare_child(old_value, new_value, child_ty)
                    .map_err(|e| e.within(&field(name)))?;
                changes.add_child(|| field(name), child);
            }
            None => {
                let added = node_fields(
                    new_value,
                    child_ty,
                    entries.is_declared(name),
                    Origin::Added,
                )
                .map_err(|e| e.within(&field(name)))?;
                changes.changed.insert_child(field(name), added);
            }
        }
    }
    for name in old.keys() {
        if !new.contains_key(name) && !ty.field(name).is_untracked() {
            mark_removed(changes, field(name));
        }
    }
    Ok(())
}

fn compare_elements<S: Shape>(
    old: &[Value],
    new: &[Value],
    kind: &ListKind,
    item_ty: Ty<S>,
    changes: &mut Changes,
) -> Result<(), ShapeError> {
    let old_list = KeyedList::new(old, kind)?;
    let new_list = KeyedList::new(new, kind)?;
    new_list.reject_duplicates()?;
    for (new_item, element) in new.iter().zip(new_list.elements()) {
        match old_list.position(element) {
            Some(i) => {
                let child =
                    compare_child(&old[i], new_item, item_ty).map_err(|e| e.within(element))?;
                changes.add_child(|| element.clone(), child);
            }
            None => {
                let added = element_fields(new_item, item_ty, Origin::Added)
                    .map_err(|e| e.within(element))?;
                changes.changed.insert_child(element.clone(), added);
            }
        }
    }
    for element in old_list.elements() {
        if new_list.position(element).is_none() {
            mark_removed(changes, element.clone());
        }
    }
    Ok(())
}

fn compare_child<S: Shape>(old: &Value, new: &Value, ty: Ty<S>) -> Result<Changes, ShapeError> {
    let mut child = Changes::default();
    compare_node(old, new, ty, &mut child)?;
    Ok(child)
}

fn mark_removed(changes: &mut Changes, element: PathElement) {
    let mut gone = FieldSet::default();
    gone.mark();
    changes.removed.insert_child(element, gone);
}
