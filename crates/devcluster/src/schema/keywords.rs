//! Reading the keywords of one JSON schema (types, counts, patterns, `x-kubernetes-*` markers),
//! with errors that name the schema and keyword at fault.

use regex::Regex;
use serde_json::{Map, Value};

use super::error::SchemaError;
use super::node::{types, Checks, Node};
use crate::shape::ListType;

pub(super) fn invalid(path: &str, keyword: &'static str, reason: &str) -> SchemaError {
    SchemaError::InvalidKeyword {
        path: path.to_string(),
        keyword,
        reason: reason.to_string(),
    }
}

pub(super) fn has_extensions(schema: &Value) -> bool {
    schema
        .as_object()
        .is_some_and(|object| object.keys().any(|key| key.starts_with("x-kubernetes-")))
}

pub(super) fn read_types(value: Option<&Value>, path: &str) -> Result<u8, SchemaError> {
    let names: Vec<&str> = match value {
        None => return Ok(0),
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(invalid(path, "type", "must be a string")),
    };
    names.into_iter().try_fold(0, |set, name| {
        let bit = match name {
            "object" => types::OBJECT,
            "array" => types::ARRAY,
            "string" => types::STRING,
            "integer" => types::INTEGER,
            "number" => types::NUMBER,
            "boolean" => types::BOOLEAN,
            "null" => 0,
            other => {
                return Err(invalid(
                    path,
                    "type",
                    &format!("{other:?}: supported values: \"array\", \"boolean\", \"integer\", \"number\", \"object\", \"string\""),
                ))
            }
        };
        Ok(set | bit)
    })
}

pub(super) fn read_bool(
    object: &Map<String, Value>,
    keyword: &'static str,
    path: &str,
) -> Result<bool, SchemaError> {
    match object.get(keyword) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(invalid(path, keyword, "must be a boolean")),
    }
}

pub(super) fn read_strings(
    object: &Map<String, Value>,
    keyword: &'static str,
    path: &str,
) -> Result<Vec<Box<str>>, SchemaError> {
    let Some(value) = object.get(keyword) else {
        return Ok(Vec::new());
    };
    let list = value
        .as_array()
        .ok_or_else(|| invalid(path, keyword, "must be a list of strings"))?;
    list.iter()
        .map(|item| {
            item.as_str()
                .map(Box::from)
                .ok_or_else(|| invalid(path, keyword, "must be a list of strings"))
        })
        .collect()
}

fn read_count(
    object: &Map<String, Value>,
    keyword: &'static str,
    path: &str,
) -> Result<Option<u64>, SchemaError> {
    read_optional(
        object,
        keyword,
        path,
        Value::as_u64,
        "must be a non-negative integer",
    )
}

fn read_number(
    object: &Map<String, Value>,
    keyword: &'static str,
    path: &str,
) -> Result<Option<f64>, SchemaError> {
    read_optional(object, keyword, path, Value::as_f64, "must be a number")
}

/// An optional keyword read with `convert`; absent and null are `None`, a value `convert`
/// rejects is an error with `reason`.
fn read_optional<T>(
    object: &Map<String, Value>,
    keyword: &'static str,
    path: &str,
    convert: fn(&Value) -> Option<T>,
    reason: &str,
) -> Result<Option<T>, SchemaError> {
    match object.get(keyword) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => convert(value)
            .map(Some)
            .ok_or_else(|| invalid(path, keyword, reason)),
    }
}

pub(super) fn read_checks(
    object: &Map<String, Value>,
    path: &str,
) -> Result<Option<Box<Checks>>, SchemaError> {
    let pattern = match object.get("pattern") {
        None => None,
        Some(Value::String(pattern)) => {
            Some(
                Regex::new(pattern).map_err(|error| SchemaError::CompilePattern {
                    path: path.to_string(),
                    pattern: pattern.clone(),
                    reason: error.to_string(),
                })?,
            )
        }
        Some(_) => return Err(invalid(path, "pattern", "must be a string")),
    };
    let enum_values = match object.get("enum") {
        None => Vec::new(),
        Some(Value::Array(values)) => values.clone(),
        Some(_) => return Err(invalid(path, "enum", "must be a list")),
    };
    let checks = Checks {
        enum_values,
        pattern,
        minimum: read_number(object, "minimum", path)?,
        maximum: read_number(object, "maximum", path)?,
        exclusive_minimum: read_bool(object, "exclusiveMinimum", path)?,
        exclusive_maximum: read_bool(object, "exclusiveMaximum", path)?,
        multiple_of: read_number(object, "multipleOf", path)?,
        min_length: read_count(object, "minLength", path)?,
        max_length: read_count(object, "maxLength", path)?,
        min_items: read_count(object, "minItems", path)?,
        max_items: read_count(object, "maxItems", path)?,
        unique_items: read_bool(object, "uniqueItems", path)?,
        min_properties: read_count(object, "minProperties", path)?,
        max_properties: read_count(object, "maxProperties", path)?,
    };
    Ok(has_checks(&checks).then(|| Box::new(checks)))
}

pub(super) fn has_checks(checks: &Checks) -> bool {
    !checks.enum_values.is_empty()
        || checks.pattern.is_some()
        || checks.minimum.is_some()
        || checks.maximum.is_some()
        || checks.multiple_of.is_some()
        || checks.min_length.is_some()
        || checks.max_length.is_some()
        || checks.min_items.is_some()
        || checks.max_items.is_some()
        || checks.unique_items
        || checks.min_properties.is_some()
        || checks.max_properties.is_some()
}

/// Reads the `x-kubernetes-*` list, map and patch markers of `schema` into `node`.
pub(super) fn read_extensions(
    schema: &Value,
    node: &mut Node,
    path: &str,
) -> Result<(), SchemaError> {
    let Some(object) = schema.as_object() else {
        return Ok(());
    };
    if let Some(list_type) = object.get("x-kubernetes-list-type") {
        node.list_type = Some(read_list_type(object, list_type, path)?);
    }
    match object.get("x-kubernetes-map-type").map(|v| v.as_str()) {
        None | Some(Some("granular")) => {}
        Some(Some("atomic")) => node.atomic = true,
        Some(_) => {
            return Err(invalid(
                path,
                "x-kubernetes-map-type",
                "supported values: \"atomic\", \"granular\"",
            ))
        }
    }
    if let Some(key) = object.get("x-kubernetes-patch-merge-key") {
        let key = key
            .as_str()
            .ok_or_else(|| invalid(path, "x-kubernetes-patch-merge-key", "must be a string"))?;
        node.patch_merge_key = Some(key.into());
    }
    if let Some(strategies) = object.get("x-kubernetes-patch-strategy") {
        let strategies = strategies
            .as_str()
            .ok_or_else(|| invalid(path, "x-kubernetes-patch-strategy", "must be a string"))?;
        node.patch_strategies = strategies.split(',').map(Box::from).collect();
    }
    Ok(())
}

pub(super) fn read_list_type(
    object: &Map<String, Value>,
    list_type: &Value,
    path: &str,
) -> Result<ListType, SchemaError> {
    match list_type.as_str() {
        Some("atomic") => Ok(ListType::Atomic),
        Some("set") => Ok(ListType::Set),
        Some("map") => {
            let keys = read_strings(object, "x-kubernetes-list-map-keys", path)?;
            if keys.is_empty() {
                return Err(invalid(
                    path,
                    "x-kubernetes-list-map-keys",
                    "must not be empty if x-kubernetes-list-type is map",
                ));
            }
            Ok(ListType::Map(keys.iter().map(|k| k.to_string()).collect()))
        }
        _ => Err(invalid(
            path,
            "x-kubernetes-list-type",
            "supported values: \"atomic\", \"map\", \"set\"",
        )),
    }
}
