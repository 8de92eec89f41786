//! Lists: merging by key or as sets, `$patch` elements, `$deleteFromPrimitiveList` and
//! `$setElementOrder`.

use serde_json::Value;

use super::order::{identities, reorder};
use super::{
    child_path, clean_list, clean_map, merge_map, missing_key, text, Field, Object, StrategicError,
    Strategy, PATCH, SET_ELEMENT_ORDER,
};
use crate::shape::Shape;

/// Merges a list field present in both the object and the patch. Lists are replaced unless the
/// field's strategy is `merge` or the patch is a `$deleteFromPrimitiveList` list.
pub(super) fn merge_list<S: Shape>(
    field: &Field<S>,
    current: Vec<Value>,
    patch: Vec<Value>,
    delete_list: bool,
    path: &str,
) -> Result<Vec<Value>, StrategicError> {
    if field.strategy != Strategy::Merge && !delete_list {
        return Ok(clean_list(patch));
    }
    if current.is_empty() && patch.is_empty() {
        return Ok(current);
    }
    match classify(current, patch, path)? {
        Elements::Scalars { current, patch } if delete_list => {
            Ok(current.into_iter().filter(|v| !patch.contains(v)).collect())
        }
        Elements::Scalars { current, patch } => merge_scalars(current, patch, path),
        Elements::Maps { current, patch } => {
            let key = field
                .merge_key
                .as_deref()
                .ok_or_else(|| StrategicError::ListElements {
                    path: path.to_string(),
                    reason: "cannot merge lists of maps without a merge key".into(),
                })?;
            let items = field.shape.and_then(Shape::items);
            merge_maps(items, current, patch, key, path)
        }
    }
}

/// The elements of two lists, all scalars or all maps.
enum Elements {
    Scalars {
        current: Vec<Value>,
        patch: Vec<Value>,
    },
    Maps {
        current: Vec<Object>,
        patch: Vec<Object>,
    },
}

/// Sorts the elements of both lists into scalars or maps; mixed kinds and lists of lists are errors.
fn classify(
    current: Vec<Value>,
    patch: Vec<Value>,
    path: &str,
) -> Result<Elements, StrategicError> {
    let error = |reason: &str| StrategicError::ListElements {
        path: path.to_string(),
        reason: reason.into(),
    };
    let first = current.iter().chain(&patch).next().map(kind);
    if current.iter().chain(&patch).any(|v| Some(kind(v)) != first) {
        return Err(error("list element types are not identical"));
    }
    match first {
        Some(Kind::List) => Err(error("lists of lists are not supported")),
        Some(Kind::Map) => {
            let maps = |list: Vec<Value>| -> Vec<Object> {
                list.into_iter()
                    .filter_map(|v| match v {
                        Value::Object(m) => Some(m),
                        _ => None,
                    })
                    .collect()
            };
            Ok(Elements::Maps {
                current: maps(current),
                patch: maps(patch),
            })
        }
        _ => Ok(Elements::Scalars { current, patch }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    List,
    Map,
}

fn kind(value: &Value) -> Kind {
    match value {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::List,
        Value::Object(_) => Kind::Map,
    }
}

/// A set of scalars: the union, patch values in patch order, the others where they were.
fn merge_scalars(
    current: Vec<Value>,
    patch: Vec<Value>,
    path: &str,
) -> Result<Vec<Value>, StrategicError> {
    let server_order = current.clone();
    let mut merged = current;
    for value in &patch {
        if !merged.contains(value) {
            merged.push(value.clone());
        }
    }
    reorder(merged, &patch, &server_order, None, path)
}

/// A list of maps merged by `key`: `$patch` elements first, then each patch element merges into the
/// element with its key or is appended; patch elements come in patch order.
fn merge_maps<S: Shape>(
    items: Option<S>,
    current: Vec<Object>,
    patch: Vec<Object>,
    key: &str,
    path: &str,
) -> Result<Vec<Value>, StrategicError> {
    let (mut current, patch) = special_elements(current, patch, key, path)?;
    let server_order: Vec<Value> = current.iter().filter_map(|m| m.get(key).cloned()).collect();
    let patch_order = patch
        .iter()
        .map(|m| merge_key_value(m, key, path).cloned())
        .collect::<Result<Vec<_>, _>>()?;
    for (element, id) in patch.into_iter().zip(&patch_order) {
        match current.iter().position(|m| m.get(key) == Some(id)) {
            Some(i) => {
                let target = std::mem::take(&mut current[i]);
                let element_path = format!("{path}[{key}={}]", text(id));
                current[i] = merge_map(items, target, element, &element_path)?;
            }
            None => current.push(clean_map(element)),
        }
    }
    let merged = current.into_iter().map(Value::Object).collect();
    reorder(merged, &patch_order, &server_order, Some(key), path)
}

/// Handles `$patch` elements: `delete` removes the element with that key, `replace` makes the other
/// patch elements the whole list. Returns the list to merge into and the remaining patch elements.
fn special_elements(
    mut current: Vec<Object>,
    patch: Vec<Object>,
    key: &str,
    path: &str,
) -> Result<(Vec<Object>, Vec<Object>), StrategicError> {
    let mut replace = false;
    let mut rest = Vec::new();
    for element in patch {
        let Some(directive) = element.get(PATCH) else {
            rest.push(element);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let id = merge_key_value(&element, key, path)?;
                current.retain(|m| m.get(key) != Some(id));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(list_directive(
                    path,
                    "merging lists cannot yet be specified in the patch".into(),
                ))
            }
            _ => {
                return Err(list_directive(
                    path,
                    format!("unknown patch type: {} in list element", text(directive)),
                ))
            }
        }
    }
    if replace {
        return Ok((rest.into_iter().map(clean_map).collect(), Vec::new()));
    }
    Ok((current, rest))
}

fn list_directive(path: &str, reason: String) -> StrategicError {
    StrategicError::ListDirective {
        path: path.to_string(),
        reason,
    }
}

/// The merge key's value of a list element, or the error naming the element.
fn merge_key_value<'a>(
    element: &'a Object,
    key: &str,
    path: &str,
) -> Result<&'a Value, StrategicError> {
    element
        .get(key)
        .ok_or_else(|| missing_key(path, key, Value::Object(element.clone()).to_string()))
}

/// Processes every `$setElementOrder/<field>` of a patch map: merges the field's patch list (if any)
/// into the object's list, then orders the result as the directive says; the patch list is consumed.
pub(super) fn set_element_orders<S: Shape>(
    shape: Option<S>,
    original: &mut Object,
    patch: &mut Object,
    path: &str,
) -> Result<(), StrategicError> {
    let keys: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for key in keys {
        let error = |reason: String| StrategicError::SetElementOrder {
            path: path.to_string(),
            reason,
        };
        let name = key
            .strip_prefix(SET_ELEMENT_ORDER)
            .and_then(|rest| rest.strip_prefix('/'))
            .ok_or_else(|| error(format!("{key:?} does not name a field")))?
            .to_string();
        let order = as_list(patch.remove(&key), &key)
            .map_err(&error)?
            .unwrap_or_default();
        let current = as_list(original.remove(&name), &name).map_err(&error)?;
        let patch_list = as_list(patch.remove(&name), &name).map_err(&error)?;
        let field = Field::of(shape, &name);
        let merge_key = field.merge_key.as_deref();
        let child = child_path(path, &name);
        let order = identities(&order, merge_key, &child)?;
        check_order(
            patch_list.as_deref().unwrap_or_default(),
            &order,
            merge_key,
            &child,
        )?;
        let server_order = match (&current, &patch_list, merge_key) {
            (Some(current), Some(patch_list), Some(key)) if field.strategy == Strategy::Merge => {
                order_left_in_place(current, patch_list, key)
            }
            _ => identities(current.iter().flatten(), merge_key, &child)?,
        };
        let merged = match (current, patch_list) {
            (Some(current), None) => current,
            (None, Some(patch_list)) => clean_list(patch_list),
            (Some(current), Some(patch_list)) => {
                merge_list(&field, current, patch_list, false, &child)?
            }
            (None, None) => continue,
        };
        let ordered = reorder(merged, &order, &server_order, merge_key, &child)?;
        original.insert(name, Value::Array(ordered));
    }
    Ok(())
}

/// The server order upstream orders a `$setElementOrder` list by after merging a patch list into
/// it: upstream merges in place, so elements removed by `$patch: delete` close up and appended
/// elements take the freed places, within the list's original length. (Only the order of elements
/// the object had and the patch did not name depends on this.)
fn order_left_in_place(current: &[Value], patch: &[Value], key: &str) -> Vec<Value> {
    let deleted: Vec<&Value> = patch
        .iter()
        .filter(|v| directive(v) == Some("delete"))
        .filter_map(|v| v.get(key))
        .collect();
    let mut order: Vec<Value> = current
        .iter()
        .filter_map(|v| v.get(key))
        .filter(|id| !deleted.contains(id))
        .cloned()
        .collect();
    if !patch.iter().any(|v| directive(v) == Some("replace")) {
        for id in patch
            .iter()
            .filter(|v| directive(v).is_none())
            .filter_map(|v| v.get(key))
        {
            if !order.contains(id) {
                order.push(id.clone());
            }
        }
    }
    order.truncate(current.len());
    order
}

/// The `$patch` directive of a list element.
fn directive(element: &Value) -> Option<&str> {
    element.get(PATCH).and_then(Value::as_str)
}

/// A value that must be a list when present.
fn as_list(value: Option<Value>, name: &str) -> Result<Option<Vec<Value>>, String> {
    match value {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(format!("{name} is {other}, not a list")),
    }
}

/// The patch list (without its `$patch` elements) must follow the order of a non-empty
/// `$setElementOrder` (given as identities) and name no element the order leaves out.
fn check_order(
    patch: &[Value],
    order: &[Value],
    key: Option<&str>,
    path: &str,
) -> Result<(), StrategicError> {
    if order.is_empty() {
        return Ok(());
    }
    let merging = patch.iter().filter(|v| v.get(PATCH).is_none());
    let patch_ids = identities(merging, key, path)?;
    let mut remaining = order.iter();
    if patch_ids.iter().all(|id| remaining.any(|o| o == id)) {
        return Ok(());
    }
    Err(StrategicError::SetElementOrder {
        path: path.to_string(),
        reason: format!(
            "the order of the patch list {} doesn't match the $setElementOrder list {}",
            Value::Array(patch_ids),
            Value::Array(order.to_vec())
        ),
    })
}
