//! Removing the fields that one field manager owns, read from `metadata.managedFields`.
//!
//! A `fieldsV1` tree mirrors the object: `f:<name>` selects a map field, `k:{...}` the
//! elements of a list-map whose key fields have those values, `v:<json>` the elements of a
//! set equal to that value, `i:<n>` an element by index, and `.` the node itself. A node
//! with no children besides `.` is a leaf: the manager owns that whole field. A node with
//! children says the manager owns something inside it; the field itself goes only when the
//! node also holds `.` and nothing that another manager owns is left in it.

use serde_json::{Map, Value};

use super::DiffError;

/// Removes from `object` every leaf field that `manager` owns according to any of its
/// entries in `managed_fields` (the `metadata.managedFields` array; anything else owns
/// nothing). A map or list element that merely contains owned fields is kept, unless the
/// manager owns it too (`.`) and nothing is left in it.
pub(crate) fn remove_owned_by(
    object: &mut Value,
    managed_fields: &Value,
    manager: &str,
) -> Result<(), DiffError> {
    let entries = managed_fields.as_array().map(Vec::as_slice).unwrap_or(&[]);
    for entry in entries {
        if entry.get("manager").and_then(Value::as_str) != Some(manager) {
            continue;
        }
        if let Some(fields) = entry.get("fieldsV1").and_then(Value::as_object) {
            remove_owned(object, fields, manager)?;
        }
    }
    Ok(())
}

/// One key of a `fieldsV1` node, decoded.
enum Selector {
    /// `.`: the node itself.
    Itself,
    /// `f:<name>`: a field of a map.
    Field(String),
    /// `k:{...}`: list-map elements whose key fields hold these values.
    Keys(Map<String, Value>),
    /// `v:<json>`: set elements equal to this value.
    Element(Value),
    /// `i:<n>`: the element at this index.
    Index(usize),
}

impl Selector {
    fn parse(key: &str, manager: &str) -> Result<Self, DiffError> {
        let invalid = |reason| DiffError::InvalidFieldsKey {
            manager: manager.to_owned(),
            key: key.to_owned(),
            reason,
        };
        if key == "." {
            return Ok(Self::Itself);
        }
        let (prefix, rest) = key
            .split_once(':')
            .ok_or_else(|| invalid("no `f:`, `k:`, `v:` or `i:` prefix"))?;
        match prefix {
            "f" => Ok(Self::Field(rest.to_owned())),
            "k" => serde_json::from_str(rest)
                .map(Self::Keys)
                .map_err(|_| invalid("`k:` is not followed by a JSON object")),
            "v" => serde_json::from_str(rest)
                .map(Self::Element)
                .map_err(|_| invalid("`v:` is not followed by a JSON value")),
            "i" => rest
                .parse()
                .map(Self::Index)
                .map_err(|_| invalid("`i:` is not followed by an index")),
            _ => Err(invalid("unknown prefix")),
        }
    }

    /// Whether this selector picks `item`, the element at `index` of a list.
    fn picks(&self, index: usize, item: &Value) -> bool {
        match self {
            Self::Keys(keys) => keys
                .iter()
                .all(|(name, value)| item.get(name) == Some(value)),
            Self::Element(value) => item == value,
            Self::Index(wanted) => *wanted == index,
            Self::Itself | Self::Field(_) => false,
        }
    }
}

/// The children of a `fieldsV1` node, or `None` when the node is a leaf (it has no children
/// besides `.`) and so owns its field outright.
fn inner_node(node: &Value) -> Option<&Map<String, Value>> {
    node.as_object()
        .filter(|children| children.keys().any(|key| key != "."))
}

/// Removes what `node` owns inside `value` and tells whether `value` itself must go too:
/// when the node is a leaf, or when it owns the value itself (`.`) and nothing else is left
/// in it.
fn strip_owned(value: &mut Value, node: &Value, manager: &str) -> Result<bool, DiffError> {
    let Some(children) = inner_node(node) else {
        return Ok(true);
    };
    remove_owned(value, children, manager)?;
    Ok(children.contains_key(".") && is_empty_container(value))
}

fn is_empty_container(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// Applies the children of one `fieldsV1` node to the value it describes.
fn remove_owned(
    value: &mut Value,
    node: &Map<String, Value>,
    manager: &str,
) -> Result<(), DiffError> {
    match value {
        Value::Object(map) => remove_owned_fields(map, node, manager),
        Value::Array(items) => remove_owned_elements(items, node, manager),
        _ => Ok(()),
    }
}

fn remove_owned_fields(
    map: &mut Map<String, Value>,
    node: &Map<String, Value>,
    manager: &str,
) -> Result<(), DiffError> {
    for (key, child) in node {
        let Selector::Field(name) = Selector::parse(key, manager)? else {
            continue;
        };
        if let Some(field) = map.get_mut(&name) {
            if strip_owned(field, child, manager)? {
                map.remove(&name);
            }
        }
    }
    Ok(())
}

fn remove_owned_elements(
    items: &mut Vec<Value>,
    node: &Map<String, Value>,
    manager: &str,
) -> Result<(), DiffError> {
    let mut owned = Vec::new();
    for (key, child) in node {
        let selector = Selector::parse(key, manager)?;
        for (index, item) in items.iter_mut().enumerate() {
            if selector.picks(index, item) && strip_owned(item, child, manager)? {
                owned.push(index);
            }
        }
    }
    owned.sort_unstable();
    owned.dedup();
    for index in owned.into_iter().rev() {
        items.remove(index);
    }
    Ok(())
}
