//! Strategic merge patch (`application/strategic-merge-patch+json`) for built-in types, with the
//! semantics of k8s.io/apimachinery's `strategicpatch` package: maps merge recursively and `null`
//! deletes a key; lists whose field has `patchStrategy: merge` merge by their `patchMergeKey` (lists
//! of scalars merge as sets); other lists and scalars are replaced. The directives `$patch`,
//! `$retainKeys`, `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` are honoured.
//! Patch metadata comes from the schema through [`Shape`]; where the schema says nothing, maps merge
//! and lists are replaced.

mod list;
mod order;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::shape::Shape;

/// A JSON object.
type Object = Map<String, Value>;

/// `$patch: replace|delete` in a map or a list element.
const PATCH: &str = "$patch";
/// `$retainKeys: [...]`: the keys of a map that survive.
const RETAIN_KEYS: &str = "$retainKeys";
/// `$setElementOrder/<field>: [...]`: the order of a merged list.
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
/// `$deleteFromPrimitiveList/<field>: [...]`: values removed from a list of scalars.
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Why a strategic merge patch could not be applied. Paths are dotted field paths (`spec.template`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategicError {
    /// The patch document is not a JSON object.
    #[error("a strategic merge patch must be a JSON object")]
    Document,
    /// `$patch` in a map is neither `replace` nor `delete` (`merge` is refused, as upstream does).
    #[error("{path}: unknown patch type: {directive} in map")]
    MapDirective {
        /// The map holding the directive.
        path: String,
        /// The directive's value.
        directive: String,
    },
    /// `$patch` in a list element is neither `replace` nor `delete`; `merge` is refused upstream too.
    #[error("{path}: {reason}")]
    ListDirective {
        /// The list holding the element.
        path: String,
        /// What is wrong with the directive.
        reason: String,
    },
    /// An element of a list merged by key lacks the key.
    #[error("{path}: map: {element} does not contain declared merge key: {key}")]
    MergeKey {
        /// The list.
        path: String,
        /// The merge key of the list.
        key: String,
        /// The element, as JSON.
        element: String,
    },
    /// The elements of a merged list are not all of one kind, are lists, or are maps without a
    /// merge key in the schema.
    #[error("{path}: {reason}")]
    ListElements {
        /// The list.
        path: String,
        /// What is wrong with the elements.
        reason: String,
    },
    /// `$retainKeys` is not a list, or the patch sets a key the list does not name.
    #[error("{path}: invalid patch format of retainKeys: {reason}")]
    RetainKeys {
        /// The map holding the directive.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `$setElementOrder/<field>` is malformed or disagrees with the patch list's order.
    #[error("{path}: invalid patch format of setElementOrder list: {reason}")]
    SetElementOrder {
        /// The map holding the directive.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `$deleteFromPrimitiveList` key does not name its field (`$deleteFromPrimitiveList/<field>`).
    #[error("{path}: invalid patch format of primitive list: {key}")]
    DeleteFromPrimitiveList {
        /// The map holding the directive.
        path: String,
        /// The malformed key.
        key: String,
    },
}

impl From<StrategicError> for ApiError {
    fn from(e: StrategicError) -> Self {
        ApiError::bad_request(e.to_string())
    }
}

/// Applies a strategic merge `patch` to `original` (a whole object) and returns the result.
/// `shape` is the schema of the object's type; `None` merges maps and replaces lists everywhere.
pub fn apply_patch<S: Shape>(
    shape: Option<S>,
    original: &Value,
    patch: &Value,
) -> Result<Value, StrategicError> {
    let Value::Object(patch) = patch else {
        return Err(StrategicError::Document);
    };
    let original = original.as_object().cloned().unwrap_or_default();
    merge_map(shape, original, patch.clone(), "").map(Value::Object)
}

/// How a field merges, from the patch metadata of its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    /// No strategy: maps merge, lists are replaced.
    Default,
    /// `patchStrategy: merge`: lists merge.
    Merge,
    /// `patchStrategy: replace`: maps are replaced.
    Replace,
}

/// The schema and patch metadata of one field.
struct Field<S> {
    shape: Option<S>,
    strategy: Strategy,
    merge_key: Option<String>,
}

impl<S: Shape> Field<S> {
    fn of(parent: Option<S>, name: &str) -> Self {
        let shape = parent.and_then(|p| p.field(name));
        let strategies = shape.map(Shape::patch_strategies).unwrap_or_default();
        // `retainKeys` only shapes the patches clients compute; applying honours `$retainKeys` anywhere.
        let strategy = match strategies.iter().find(|s| *s != "retainKeys") {
            Some(s) if s == "merge" => Strategy::Merge,
            Some(s) if s == "replace" => Strategy::Replace,
            _ => Strategy::Default,
        };
        Field {
            shape,
            strategy,
            merge_key: shape.and_then(Shape::patch_merge_key),
        }
    }
}

/// Merges `patch` into `original`, both maps at `path` whose schema is `shape`.
fn merge_map<S: Shape>(
    shape: Option<S>,
    mut original: Object,
    mut patch: Object,
    path: &str,
) -> Result<Object, StrategicError> {
    if let Some(directive) = patch.remove(PATCH) {
        return map_directive(&directive, patch, path);
    }
    retain_keys(&mut original, &mut patch, path)?;
    list::set_element_orders(shape, &mut original, &mut patch, path)?;
    for (key, value) in patch {
        merge_field(shape, &mut original, key, value, path)?;
    }
    Ok(original)
}

/// `$patch` in a map: `replace` keeps only the patch, `delete` leaves an empty map.
fn map_directive(directive: &Value, patch: Object, path: &str) -> Result<Object, StrategicError> {
    match directive.as_str() {
        Some("replace") => Ok(clean_map(patch)),
        Some("delete") => Ok(Map::new()),
        _ => Err(StrategicError::MapDirective {
            path: path.to_string(),
            directive: text(directive),
        }),
    }
}

/// `$retainKeys`: every key the patch sets must be listed; keys of `original` not listed are dropped.
fn retain_keys(
    original: &mut Object,
    patch: &mut Object,
    path: &str,
) -> Result<(), StrategicError> {
    let Some(retained) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let error = |reason: String| StrategicError::RetainKeys {
        path: path.to_string(),
        reason,
    };
    let Value::Array(retained) = retained else {
        return Err(error(format!("{} is not a list", text(&retained))));
    };
    let listed = |key: &str| retained.iter().any(|r| r.as_str() == Some(key));
    let unlisted = patch.iter().find(|(key, value)| {
        !value.is_null()
            && !key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            && !key.starts_with(SET_ELEMENT_ORDER)
            && !listed(key)
    });
    if let Some((key, _)) = unlisted {
        return Err(error(format!(
            "the patch sets {key:?}, which is not listed"
        )));
    }
    original.retain(|key, _| listed(key));
    Ok(())
}

/// Merges one key of a patch map into `original`.
fn merge_field<S: Shape>(
    shape: Option<S>,
    original: &mut Object,
    key: String,
    value: Value,
    path: &str,
) -> Result<(), StrategicError> {
    let (name, delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
        Some(rest) => match rest.strip_prefix('/') {
            Some(name) => (name.to_string(), true),
            None => {
                return Err(StrategicError::DeleteFromPrimitiveList {
                    path: path.to_string(),
                    key,
                })
            }
        },
        None => (key, false),
    };
    if value.is_null() {
        original.remove(&name);
        return Ok(());
    }
    let Some(current) = original.remove(&name) else {
        if !delete_list {
            insert_clean(original, name, value);
        }
        return Ok(());
    };
    let field = Field::of(shape, &name);
    let child = child_path(path, &name);
    let merged = match (current, value) {
        (Value::Object(current), Value::Object(patch)) => {
            merge_map_field(&field, current, patch, &child)?
        }
        (Value::Array(current), Value::Array(patch)) => Some(Value::Array(list::merge_list(
            &field,
            current,
            patch,
            delete_list,
            &child,
        )?)),
        (current, _) if delete_list => Some(current),
        (_, patch) => clean(patch),
    };
    if let Some(merged) = merged {
        original.insert(name, merged);
    }
    Ok(())
}

/// A map field present in both: replaced under `patchStrategy: replace`, merged otherwise.
fn merge_map_field<S: Shape>(
    field: &Field<S>,
    current: Object,
    patch: Object,
    path: &str,
) -> Result<Option<Value>, StrategicError> {
    if field.strategy == Strategy::Replace {
        return Ok(clean(Value::Object(patch)));
    }
    merge_map(field.shape, current, patch, path).map(|m| Some(Value::Object(m)))
}

/// Inserts a patch value that has nothing to merge with, without its directives.
fn insert_clean(map: &mut Object, key: String, value: Value) {
    if let Some(value) = clean(value) {
        map.insert(key, value);
    }
}

/// A patch value as it is stored when there is nothing to merge it with: maps carrying `$patch` are
/// dropped (`None` at the top), other directives and `null`s are removed.
fn clean(value: Value) -> Option<Value> {
    match value {
        Value::Object(map) if map.contains_key(PATCH) => None,
        Value::Object(map) => Some(Value::Object(clean_map(map))),
        Value::Array(items) => Some(Value::Array(clean_list(items))),
        other => Some(other),
    }
}

/// [`clean`] for the entries of a map.
fn clean_map(map: Object) -> Object {
    map.into_iter()
        .filter(|(key, value)| !value.is_null() && !is_directive(key))
        .filter_map(|(key, value)| clean(value).map(|v| (key, v)))
        .collect()
}

/// [`clean`] for the elements of a list.
fn clean_list(items: Vec<Value>) -> Vec<Value> {
    items.into_iter().filter_map(clean).collect()
}

fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE_LIST)
}

/// The error for a list element without its merge key.
fn missing_key(path: &str, key: &str, element: String) -> StrategicError {
    StrategicError::MergeKey {
        path: path.to_string(),
        key: key.to_string(),
        element,
    }
}

fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// A value for an error message: strings bare, anything else as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
