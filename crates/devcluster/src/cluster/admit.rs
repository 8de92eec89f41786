//! Admission: what every write checks before it is stored — the object matches the URL (apiVersion, kind,
//! namespace, name), names and metadata are valid, the namespace exists and is not terminating, and the object
//! satisfies its schema (unknown fields pruned, or refused under `fieldValidation=Strict`).

use serde_json::{Map, Value};

use super::options::FieldValidation;
use super::{meta_str, State};
use crate::error::{ApiError, ApiResult, Cause};
use crate::names;
use crate::registry::{ResourceKey, ResourceType};
use crate::schema::{FieldError, FieldErrorKind};
use crate::store::ObjectKey;

/// Checks that `object` is an object of `rt` and fills in apiVersion, kind and namespace from the URL.
pub(crate) fn conform_to_url(
    rt: &ResourceType,
    namespace: &str,
    object: &mut Value,
) -> ApiResult<()> {
    let Some(map) = object.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON or YAML object",
        ));
    };
    let api_version = rt.api_version();
    match map.get("apiVersion").and_then(Value::as_str) {
        Some(v) if v != api_version => {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({v}) does not match the expected API version ({api_version})"
            )))
        }
        _ => {}
    }
    match map.get("kind").and_then(Value::as_str) {
        Some(k) if k != rt.kind => {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                rt.kind
            )))
        }
        _ => {}
    }
    map.insert("apiVersion".into(), Value::String(api_version));
    map.insert("kind".into(), Value::String(rt.kind.clone()));
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(meta) = meta.as_object_mut() else {
        return Err(ApiError::bad_request("metadata must be an object"));
    };
    if rt.namespaced {
        match meta.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() && ns != namespace => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            _ => {}
        }
        meta.insert("namespace".into(), Value::String(namespace.to_string()));
    } else {
        meta.remove("namespace");
    }
    Ok(())
}

/// Refuses writes into a namespace that does not exist or is being deleted.
pub(crate) fn check_namespace(
    state: &State,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
) -> ApiResult<()> {
    if !rt.namespaced {
        return Ok(());
    }
    let key = ObjectKey {
        resource: ResourceKey::namespaces(),
        namespace: String::new(),
        name: namespace.to_string(),
    };
    match state.store.get(&key) {
        None => Err(ApiError::not_found("", "namespaces", namespace)),
        Some(ns) if ns.pointer("/metadata/deletionTimestamp").is_some() => Err(ApiError::forbidden(format!(
            "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            rt.plural
        ))),
        Some(_) => Ok(()),
    }
}

/// Removes the fields the schema does not declare, as decoding does, following `fieldValidation`: refused
/// under Strict, reported as warnings under Warn, dropped silently under Ignore. Returns the warnings.
pub(crate) fn prune_unknown(
    state: &State,
    rt: &ResourceType,
    object: &mut Value,
    validation: FieldValidation,
) -> ApiResult<Vec<String>> {
    let Some(schema) = state.schemas.get(&rt.group, &rt.version, &rt.kind) else {
        return Ok(Vec::new());
    };
    let unknown: Vec<String> = schema
        .prune(object)
        .iter()
        .map(|f| format!("unknown field \"{f}\""))
        .collect();
    match validation {
        FieldValidation::Strict if !unknown.is_empty() => Err(ApiError::bad_request(format!(
            "strict decoding error: {}",
            unknown.join(", ")
        ))),
        FieldValidation::Warn => Ok(unknown),
        _ => Ok(Vec::new()),
    }
}

/// Defaults custom resources from their schema, then validates names, metadata and the schema.
pub(crate) fn validate(state: &State, rt: &ResourceType, object: &mut Value) -> ApiResult<()> {
    let name = meta_str(object, "name").unwrap_or_default().to_string();
    let mut errors = Vec::new();
    if let Err(message) = names::validate_name(&rt.group, &rt.kind, &name, false) {
        errors.push(if name.is_empty() {
            FieldError {
                kind: FieldErrorKind::Required,
                field: "metadata.name".into(),
                message: format!("Required value: {message}"),
            }
        } else {
            FieldError {
                kind: FieldErrorKind::Invalid,
                field: "metadata.name".into(),
                message: format!("Invalid value: {name:?}: {message}"),
            }
        });
    }
    if let Some(meta) = object.get("metadata") {
        errors.extend(names::validate_metadata(meta));
    }
    if let Some(schema) = state.schemas.get(&rt.group, &rt.version, &rt.kind) {
        schema.apply_defaults(object);
        let mut schema_errors = schema.validate(object);
        if rt.group.is_empty() && rt.kind == "Secret" {
            redact_secret_values(object, &mut schema_errors);
        }
        if schema.is_builtin() {
            if let Some(e) = schema_errors
                .iter()
                .find(|e| e.kind == FieldErrorKind::TypeInvalid)
            {
                return Err(ApiError::bad_request(format!(
                    "{} in version \"{}\" cannot be handled as a {}: {e}",
                    rt.kind, rt.version, rt.kind
                )));
            }
        }
        errors.extend(schema_errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(invalid(rt, &name, &errors))
    }
}

/// 422 Invalid naming every failed field.
pub(crate) fn invalid(rt: &ResourceType, name: &str, errors: &[FieldError]) -> ApiError {
    let causes = errors
        .iter()
        .map(|e| Cause {
            reason: e.kind.cause_type().to_string(),
            message: e.message.clone(),
            field: e.field.clone(),
        })
        .collect();
    ApiError::invalid(&rt.group, &rt.kind, name, causes)
}

/// Secret values never appear in errors: every value of `data` and `stringData` quoted in a message is replaced.
fn redact_secret_values(secret: &Value, errors: &mut [FieldError]) {
    let values: Vec<String> = ["data", "stringData"]
        .iter()
        .filter_map(|field| secret.get(*field).and_then(Value::as_object))
        .flat_map(|map| map.values())
        .map(Value::to_string)
        .collect();
    for error in errors.iter_mut() {
        for value in &values {
            error.message = error.message.replace(value.as_str(), "\"[redacted]\"");
        }
    }
}

/// Folds a Secret's write-only `stringData` into `data` (base64), as kube-apiserver does on
/// every write: `stringData` wins on equal keys and the stored object never carries it.
pub(crate) fn fold_string_data(secret: &mut Value) {
    use base64::Engine as _;
    let Some(object) = secret.as_object_mut() else {
        return;
    };
    let Some(Value::Object(strings)) = object.remove("stringData") else {
        return;
    };
    let data = object
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    if let Some(data) = data.as_object_mut() {
        for (key, value) in strings {
            if let Some(text) = value.as_str() {
                let encoded = base64::engine::general_purpose::STANDARD.encode(text);
                data.insert(key, Value::String(encoded));
            }
        }
    }
}
