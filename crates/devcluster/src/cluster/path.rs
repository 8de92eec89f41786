//! The one path every change of an object takes, whatever the verb: subresource rules, admission (with the
//! immutable fields of updates), ownership, versioning (uid, generation, timestamps), no-op detection,
//! finalization, then the store.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::admit::{check_namespace, fold_string_data, prune_unknown, validate};
use super::options::{Subresource, WriteOptions, Written};
use super::read::object_key;
use super::{meta_str, now_rfc3339, Tx};
use crate::error::{ApiError, ApiResult, Cause};
use crate::registry::ResourceType;
use crate::ssa::{self, SsaError};

/// The one path every change of an object takes: subresource rules, admission, ownership, versioning,
/// no-op detection, finalization, then the store.
#[allow(clippy::too_many_arguments)]
pub(crate) fn store_object(
    tx: &mut Tx<'_>,
    rt: &ResourceType,
    namespace: &str,
    old: Option<Arc<Value>>,
    mut new: Value,
    opts: &WriteOptions,
    sub: Subresource,
    ownership_tracked: bool,
) -> ApiResult<Written> {
    let name = meta_str(&new, "name").unwrap_or_default().to_string();
    let carried: &[&str] = if ownership_tracked {
        &["resourceVersion", "managedFields"]
    } else {
        &["resourceVersion"]
    };
    restrict_to_subresource(rt, sub, &mut new, old.as_deref(), carried);
    if old.is_none() {
        check_namespace(tx.state, rt, namespace, &name)?;
        apply_create_defaults(rt, &mut new);
    }
    if rt.group.is_empty() && rt.kind == "Service" {
        super::service_ip::settle(&tx.state.store, old.as_deref(), &mut new);
    }
    let warnings = prune_unknown(tx.state, rt, &mut new, opts.field_validation)?;
    validate(tx.state, rt, &mut new)?;
    if rt.group.is_empty() && rt.kind == "Secret" {
        fold_string_data(&mut new);
    }
    if let (Some(old), Subresource::Main) = (&old, sub) {
        super::immutable::check(rt, old, &new)?;
    }
    let now = now_rfc3339();
    if !ownership_tracked {
        let shape = tx.state.schemas.get(&rt.group, &rt.version, &rt.kind);
        ssa::track_update(
            shape,
            old.as_deref(),
            &mut new,
            &opts.field_manager,
            sub.managed_fields_name(),
            &now,
        )
        .map_err(|e| ssa_error(rt, &name, e))?;
    }
    stamp(&mut new, old.as_deref(), &now);
    if let Some(old) = &old {
        if **old == new {
            return Ok(Written {
                object: old.clone(),
                created: false,
                warnings,
            });
        }
    }
    let key = object_key(rt, namespace, &name);
    if is_finalized(&new) {
        let gone = tx.remove(key, new);
        return Ok(Written {
            object: gone,
            created: false,
            warnings,
        });
    }
    let created = old.is_none();
    let object = tx.put(rt, key, new, old);
    Ok(Written {
        object,
        created,
        warnings,
    })
}

/// The stored object, or 404.
pub(crate) fn existing(
    tx: &Tx<'_>,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
) -> ApiResult<Arc<Value>> {
    tx.state
        .store
        .get(&object_key(rt, namespace, name))
        .cloned()
        .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
}

/// A write that names a resourceVersion must name the current one.
pub(super) fn check_precondition(
    rt: &ResourceType,
    name: &str,
    old: &Value,
    new: &Value,
) -> ApiResult<()> {
    match (
        meta_str(new, "resourceVersion"),
        meta_str(old, "resourceVersion"),
    ) {
        (Some(want), Some(have)) if !want.is_empty() && want != have => {
            Err(ApiError::stale(&rt.group, &rt.plural, name))
        }
        _ => Ok(()),
    }
}

/// With a status subresource, the main endpoint keeps the stored status and /status keeps everything else.
///
/// A status write keeps only the status of `new`, plus the metadata fields named in `carried` (its
/// resourceVersion precondition; the managedFields a server-side apply computed).
pub(super) fn restrict_to_subresource(
    rt: &ResourceType,
    sub: Subresource,
    new: &mut Value,
    old: Option<&Value>,
    carried: &[&str],
) {
    if !rt.status {
        return;
    }
    let Some(map) = new.as_object_mut() else {
        return;
    };
    match sub {
        Subresource::Main => match old.and_then(|o| o.get("status")) {
            Some(status) => {
                map.insert("status".into(), status.clone());
            }
            None => {
                map.remove("status");
            }
        },
        Subresource::Status => {
            let status = map.remove("status");
            match old {
                Some(old) => {
                    let mut base = old.clone();
                    for field in carried {
                        if let Some(value) = map.get("metadata").and_then(|m| m.get(*field)) {
                            if let Some(m) = base.get_mut("metadata").and_then(Value::as_object_mut)
                            {
                                m.insert((*field).to_string(), value.clone());
                            }
                        }
                    }
                    if let Some(base_map) = base.as_object_mut() {
                        match status {
                            Some(s) => base_map.insert("status".into(), s),
                            None => base_map.remove("status"),
                        };
                    }
                    *new = base;
                }
                None => {
                    map.retain(|k, _| k == "apiVersion" || k == "kind" || k == "metadata");
                    if let Some(s) = status {
                        map.insert("status".into(), s);
                    }
                }
            }
        }
    }
}

/// The finalizer every CustomResourceDefinition carries until its custom resources are deleted.
pub const CRD_CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Defaults kube-apiserver sets on creation of some kinds.
fn apply_create_defaults(rt: &ResourceType, object: &mut Value) {
    let Some(map) = object.as_object_mut() else {
        return;
    };
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Namespace") => {
            let spec = map
                .entry("spec")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(spec) = spec.as_object_mut() {
                spec.entry("finalizers")
                    .or_insert_with(|| serde_json::json!(["kubernetes"]));
            }
            map.insert("status".into(), serde_json::json!({"phase": "Active"}));
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            add_finalizer(object, CRD_CLEANUP_FINALIZER);
        }
        _ => {}
    }
}

/// Adds a finalizer to metadata.finalizers unless present.
pub(crate) fn add_finalizer(object: &mut Value, finalizer: &str) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let list = meta
        .entry("finalizers")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Some(list) = list.as_array_mut() {
        if !list.iter().any(|f| f.as_str() == Some(finalizer)) {
            list.push(Value::String(finalizer.to_string()));
        }
    }
}

/// Sets uid, creationTimestamp and generation (bumped only when something besides metadata and status changed);
/// keeps fields clients may not change.
fn stamp(new: &mut Value, old: Option<&Value>, now: &str) {
    let spec_changed = old.is_none_or(|o| !same_spec(o, new));
    let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    match old.and_then(|o| o.get("metadata")) {
        Some(old_meta) => {
            for field in [
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "resourceVersion",
            ] {
                match old_meta.get(field) {
                    Some(v) => meta.insert(field.into(), v.clone()),
                    None => meta.remove(field),
                };
            }
            let generation = old_meta
                .get("generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            meta.insert(
                "generation".into(),
                (generation + i64::from(spec_changed)).into(),
            );
        }
        None => {
            meta.insert(
                "uid".into(),
                Value::String(uuid::Uuid::new_v4().to_string()),
            );
            meta.insert("creationTimestamp".into(), Value::String(now.to_string()));
            meta.insert("generation".into(), 1.into());
            for field in [
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "resourceVersion",
            ] {
                meta.remove(field);
            }
        }
    }
    meta.remove("selfLink");
}

/// Whether two objects are equal outside metadata and status (compared in place, without copies).
fn same_spec(a: &Value, b: &Value) -> bool {
    fn spec(v: &Value) -> impl Iterator<Item = (&String, &Value)> {
        v.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| *k != "metadata" && *k != "status")
    }
    spec(a).eq(spec(b))
}

/// An object being deleted whose finalizers are all gone is removed.
/// A namespace also waits for its `spec.finalizers` (the namespace controller empties them).
pub(crate) fn is_finalized(object: &Value) -> bool {
    let empty = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_array)
            .is_none_or(|f| f.is_empty())
    };
    object.pointer("/metadata/deletionTimestamp").is_some()
        && empty("/metadata/finalizers")
        && (object.get("kind").and_then(Value::as_str) != Some("Namespace")
            || empty("/spec/finalizers"))
}

/// A server-side apply failure as the API reports it: conflicts are 409 with one cause per field.
pub(super) fn ssa_error(rt: &ResourceType, name: &str, e: SsaError) -> ApiError {
    match e {
        SsaError::Conflicts(conflicts) => {
            let causes = conflicts
                .iter()
                .map(|c| Cause {
                    reason: "FieldManagerConflict".into(),
                    message: c.message(),
                    field: c.field.clone(),
                })
                .collect();
            let message = SsaError::Conflicts(conflicts).to_string();
            ApiError::conflict(message)
                .about(&rt.group, &rt.plural, name)
                .with_causes(causes)
        }
        other => ApiError::bad_request(other.to_string()),
    }
}
