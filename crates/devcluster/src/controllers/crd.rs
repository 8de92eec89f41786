//! CustomResourceDefinitions: serve the types a CRD defines, write its Established and NamesAccepted
//! conditions, and delete its objects before the CRD itself goes.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;

/// Registers the types a CRD defines and writes its Established/NamesAccepted conditions.
pub(super) async fn establish_crd(cluster: &Cluster, crd: &Value) -> ApiResult<()> {
    let name = meta_str(crd, "name").unwrap_or_default().to_string();
    cluster
        .transact(false, |tx| {
            let accepted = register_crd(tx.state, crd);
            update(
                tx,
                &cluster_scoped(ResourceKey::crds(), &name),
                CRD_MANAGER,
                Subresource::Status,
                |crd| crd["status"] = crd_status(crd, accepted),
            )
        })
        .await
}

pub(super) fn crd_status(crd: &Value, accepted: Result<(), String>) -> Value {
    let existing = crd
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| {
        let keep = existing.iter().find(|c| {
            c.get("type").and_then(Value::as_str) == Some(type_)
                && c.get("status").and_then(Value::as_str) == Some(status)
        });
        keep.cloned().unwrap_or_else(|| {
            json!({"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": now_rfc3339()})
        })
    };
    let conditions = match &accepted {
        Ok(()) => vec![
            condition("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
            condition(
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
            ),
        ],
        Err(message) => vec![
            condition("NamesAccepted", "False", "NameConflict", message),
            condition(
                "Established",
                "False",
                "NotAccepted",
                "not all names are accepted",
            ),
        ],
    };
    let storage: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage") == Some(&Value::Bool(true)))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    let names = if accepted.is_ok() {
        crd.pointer("/spec/names").cloned().unwrap_or(json!({}))
    } else {
        json!({"plural": "", "kind": ""})
    };
    json!({"conditions": conditions, "acceptedNames": names, "storedVersions": storage})
}

/// Serves the CRD's types (replacing earlier versions of them). Err when its names collide with another type.
pub(crate) fn register_crd(state: &mut State, crd: &Value) -> Result<(), String> {
    let types = crd_types(crd)?;
    let Some(first) = types.first() else {
        return Err("the CRD serves no version".into());
    };
    let key = first.0.resource_key();
    let taken = state
        .registry
        .all()
        .any(|rt| rt.group == first.0.group && rt.plural == first.0.plural && !rt.custom);
    if taken {
        return Err(format!("\"{}\" is already in use", first.0.plural));
    }
    unregister_types(state, &key);
    for (rt, schema) in types {
        if let Some(schema) = schema {
            if let Err(e) = state
                .schemas
                .set_custom(&rt.group, &rt.version, &rt.kind, &schema)
            {
                tracing::warn!(error = %e, kind = %rt.kind, "CRD schema not usable; serving without validation");
            }
        }
        state.registry.insert(rt);
    }
    Ok(())
}

pub(super) fn unregister_crd(state: &mut State, crd: &Value) {
    if let Ok(types) = crd_types(crd) {
        if let Some((rt, _)) = types.first() {
            unregister_types(state, &rt.resource_key());
        }
    }
}

pub(super) fn unregister_types(state: &mut State, key: &ResourceKey) {
    for old in state.registry.remove_resource(key) {
        state
            .schemas
            .remove_custom(&old.group, &old.version, &old.kind);
    }
}

/// The served types of a CRD with their schemas.
pub(super) fn crd_types(crd: &Value) -> Result<Vec<(ResourceType, Option<Value>)>, String> {
    let spec = crd.get("spec").ok_or("spec is required")?;
    let text = |p: &str| spec.pointer(p).and_then(Value::as_str).map(str::to_string);
    let strings = |p: &str| -> Vec<String> {
        spec.pointer(p)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let group = text("/group").ok_or("spec.group is required")?;
    let plural = text("/names/plural").ok_or("spec.names.plural is required")?;
    let kind = text("/names/kind").ok_or("spec.names.kind is required")?;
    let singular = text("/names/singular").unwrap_or_else(|| kind.to_lowercase());
    let namespaced = text("/scope").as_deref() != Some("Cluster");
    let versions = spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or("spec.versions is required")?;
    Ok(versions
        .iter()
        .filter(|v| v.get("served") != Some(&Value::Bool(false)))
        .filter_map(|v| {
            let version = v.get("name")?.as_str()?.to_string();
            let scale = v.pointer("/subresources/scale").map(|s| ScalePaths {
                spec_replicas: s
                    .get("specReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".spec.replicas")
                    .to_string(),
                status_replicas: s
                    .get("statusReplicasPath")
                    .and_then(Value::as_str)
                    .unwrap_or(".status.replicas")
                    .to_string(),
                label_selector: s
                    .get("labelSelectorPath")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
            let rt = ResourceType {
                group: group.clone(),
                version,
                kind: kind.clone(),
                plural: plural.clone(),
                singular: singular.clone(),
                namespaced,
                short_names: strings("/names/shortNames"),
                categories: strings("/names/categories"),
                status: v.pointer("/subresources/status").is_some(),
                scale,
                storage: v.get("storage") == Some(&Value::Bool(true)),
                printer_columns: v
                    .get("additionalPrinterColumns")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                custom: true,
            };
            Some((rt, v.pointer("/schema/openAPIV3Schema").cloned()))
        })
        .collect())
}

/// Deletes every object of a CRD being deleted, then releases its finalizer.
pub(super) async fn cleanup_crd(cluster: &Cluster, crd: &Value) -> ApiResult<()> {
    let Ok(types) = crd_types(crd) else {
        return Ok(());
    };
    let name = meta_str(crd, "name").unwrap_or_default().to_string();
    cluster
        .transact(false, |tx| {
            if let Some((rt, _)) = types.first() {
                let objects: Vec<Arc<Value>> = tx
                    .state
                    .store
                    .list(&rt.resource_key(), None, None)
                    .map(|(_, o)| o.clone())
                    .collect();
                for object in objects {
                    let ns = meta_str(&object, "namespace")
                        .unwrap_or_default()
                        .to_string();
                    delete_object(tx, rt, &ns, object, None);
                }
                if tx
                    .state
                    .store
                    .list(&rt.resource_key(), None, None)
                    .next()
                    .is_some()
                {
                    return Ok(());
                }
            }
            remove_finalizer(
                tx,
                &cluster_scoped(ResourceKey::crds(), &name),
                CRD_CLEANUP_FINALIZER,
                CRD_MANAGER,
            )
        })
        .await
}
