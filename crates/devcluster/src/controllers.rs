//! The built-in controllers, all clients of the one write path, fed by committed events:
//! CustomResourceDefinitions (serve the new types, set Established/NamesAccepted, delete their objects on
//! removal), namespaces (delete the contents of a terminating namespace, then the namespace) and the garbage
//! collector (ownerReferences with Background, Foreground and Orphan propagation).

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::cluster::{
    delete_object, meta_str, now_rfc3339, object_key, store_object, Cluster, Propagation, State,
    Subresource, Tx, WriteOptions, FOREGROUND_FINALIZER, ORPHAN_FINALIZER,
};
use crate::error::ApiResult;
use crate::events::{Event, EventType};
use crate::registry::{ResourceKey, ResourceType, ScalePaths};
use crate::store::{owner_uids, ObjectKey};

/// The finalizer every CustomResourceDefinition carries until its custom resources are deleted.
pub const CRD_CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

const CRD_MANAGER: &str = "devcluster-apiextensions";
const NAMESPACE_MANAGER: &str = "devcluster-namespace-controller";
const GC_MANAGER: &str = "devcluster-garbage-collector";

fn crd_resource() -> ResourceKey {
    ResourceKey {
        group: "apiextensions.k8s.io".into(),
        plural: "customresourcedefinitions".into(),
    }
}

fn namespace_resource() -> ResourceKey {
    ResourceKey {
        group: String::new(),
        plural: "namespaces".into(),
    }
}

/// Runs the controllers until the event channel closes.
pub async fn run(cluster: Arc<Cluster>, mut events: mpsc::UnboundedReceiver<Arc<Event>>) {
    resync(&cluster).await;
    while let Some(event) = events.recv().await {
        if let Err(e) = handle(&cluster, &event).await {
            tracing::warn!(error = %e, resource = %event.resource.plural, "controller step failed");
        }
    }
}

/// Picks up work left from before a restart: terminating namespaces and CRDs, unestablished CRDs.
async fn resync(cluster: &Cluster) {
    let pending: Vec<(ResourceKey, Arc<Value>)> = cluster.read(|s| {
        [crd_resource(), namespace_resource()]
            .into_iter()
            .flat_map(|r| {
                s.store
                    .list(&r, None, None)
                    .map(move |(_, o)| (r.clone(), o.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    });
    for (resource, object) in pending {
        let event = Event {
            rv: 0,
            kind: EventType::Modified,
            resource,
            object,
            previous: None,
        };
        if let Err(e) = handle(cluster, &event).await {
            tracing::warn!(error = %e, "controller resync step failed");
        }
    }
}

async fn handle(cluster: &Cluster, event: &Event) -> ApiResult<()> {
    let deleting = event
        .object
        .pointer("/metadata/deletionTimestamp")
        .is_some();
    if event.resource == crd_resource() {
        match (event.kind, deleting) {
            (EventType::Deleted, _) => {
                cluster
                    .transact(false, |tx| {
                        unregister_crd(tx.state, &event.object);
                        Ok(())
                    })
                    .await?
            }
            (_, true) => cleanup_crd(cluster, &event.object).await?,
            (_, false) => establish_crd(cluster, &event.object).await?,
        }
    }
    if event.resource == namespace_resource() && deleting && event.kind != EventType::Deleted {
        let name = meta_str(&event.object, "name")
            .unwrap_or_default()
            .to_string();
        cluster
            .transact(false, |tx| terminate_namespace(tx, &name))
            .await?;
    }
    if event.kind == EventType::Deleted {
        cluster
            .transact(false, |tx| after_delete(tx, &event.object))
            .await?;
    } else if deleting {
        cluster
            .transact(false, |tx| propagate_deletion(tx, &event.object))
            .await?;
    }
    Ok(())
}

// ---- CustomResourceDefinitions ----

/// Registers the types a CRD defines and writes its Established/NamesAccepted conditions.
async fn establish_crd(cluster: &Cluster, crd: &Value) -> ApiResult<()> {
    let name = meta_str(crd, "name").unwrap_or_default().to_string();
    cluster
        .transact(false, |tx| {
            let accepted = register_crd(tx.state, crd);
            let Some(crd_type) = tx.state.registry.storage_type(&crd_resource()) else {
                return Ok(());
            };
            let Some(current) = tx
                .state
                .store
                .get(&object_key(&crd_type, "", &name))
                .cloned()
            else {
                return Ok(());
            };
            let mut desired = current.as_ref().clone();
            desired["status"] = crd_status(&current, accepted);
            if desired != *current {
                store_object(
                    tx,
                    &crd_type,
                    "",
                    Some(current),
                    desired,
                    &internal(CRD_MANAGER),
                    Subresource::Status,
                    false,
                )?;
            }
            Ok(())
        })
        .await
}

fn crd_status(crd: &Value, accepted: Result<(), String>) -> Value {
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

fn unregister_crd(state: &mut State, crd: &Value) {
    if let Ok(types) = crd_types(crd) {
        if let Some((rt, _)) = types.first() {
            unregister_types(state, &rt.resource_key());
        }
    }
}

fn unregister_types(state: &mut State, key: &ResourceKey) {
    for old in state.registry.remove_resource(key) {
        state
            .schemas
            .remove_custom(&old.group, &old.version, &old.kind);
    }
}

/// The served types of a CRD with their schemas.
fn crd_types(crd: &Value) -> Result<Vec<(ResourceType, Option<Value>)>, String> {
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
async fn cleanup_crd(cluster: &Cluster, crd: &Value) -> ApiResult<()> {
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
                &crd_resource(),
                "",
                &name,
                CRD_CLEANUP_FINALIZER,
                CRD_MANAGER,
            )
        })
        .await
}

// ---- namespaces ----

/// Deletes everything in a terminating namespace; once it is empty, releases the namespace.
fn terminate_namespace(tx: &mut Tx<'_>, namespace: &str) -> ApiResult<()> {
    let namespaced: Vec<Arc<ResourceType>> = tx
        .state
        .registry
        .all()
        .filter(|rt| rt.namespaced && rt.storage)
        .cloned()
        .collect();
    let mut remaining = false;
    for rt in namespaced {
        let objects: Vec<Arc<Value>> = tx
            .state
            .store
            .list(&rt.resource_key(), Some(namespace), None)
            .map(|(_, o)| o.clone())
            .collect();
        for object in objects {
            delete_object(tx, &rt, namespace, object, None);
        }
        remaining |= tx
            .state
            .store
            .list(&rt.resource_key(), Some(namespace), None)
            .next()
            .is_some();
    }
    if remaining {
        return Ok(());
    }
    let Some(ns_type) = tx.state.registry.storage_type(&namespace_resource()) else {
        return Ok(());
    };
    let Some(current) = tx
        .state
        .store
        .get(&object_key(&ns_type, "", namespace))
        .cloned()
    else {
        return Ok(());
    };
    let mut finalized = current.as_ref().clone();
    if let Some(spec) = finalized.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("finalizers".into(), json!([]));
    }
    if finalized != *current {
        store_object(
            tx,
            &ns_type,
            "",
            Some(current),
            finalized,
            &internal(NAMESPACE_MANAGER),
            Subresource::Main,
            false,
        )?;
    }
    Ok(())
}

// ---- garbage collection ----

/// After an object is gone: delete dependents left without any owner, drop dangling references, finish the
/// foreground deletion of owners waiting for this object, and re-check a terminating namespace.
fn after_delete(tx: &mut Tx<'_>, gone: &Value) -> ApiResult<()> {
    if let Some(uid) = meta_str(gone, "uid") {
        for dependent in tx.state.store.dependents_of(uid) {
            let Some((rt, object)) = lookup(tx, &dependent) else {
                continue;
            };
            let alive: Vec<&str> = owner_uids(&object)
                .into_iter()
                .filter(|o| tx.state.store.by_uid(o).is_some())
                .collect();
            if alive.is_empty() {
                delete_object(
                    tx,
                    &rt,
                    &dependent.namespace,
                    object,
                    Some(Propagation::Background),
                );
            } else {
                let mut kept = object.as_ref().clone();
                retain_owner_refs(&mut kept, |u| u != uid);
                store_object(
                    tx,
                    &rt,
                    &dependent.namespace,
                    Some(object),
                    kept,
                    &internal(GC_MANAGER),
                    Subresource::Main,
                    false,
                )?;
            }
        }
    }
    for owner in owner_uids(gone) {
        if let Some(key) = tx.state.store.by_uid(owner).cloned() {
            if tx.state.store.dependents_of(owner).is_empty() {
                remove_finalizer(
                    tx,
                    &key.resource,
                    &key.namespace,
                    &key.name,
                    FOREGROUND_FINALIZER,
                    GC_MANAGER,
                )?;
            }
        }
    }
    if let Some(ns) = meta_str(gone, "namespace").filter(|n| !n.is_empty()) {
        let terminating = tx
            .state
            .registry
            .storage_type(&namespace_resource())
            .and_then(|t| tx.state.store.get(&object_key(&t, "", ns)).cloned())
            .is_some_and(|o| o.pointer("/metadata/deletionTimestamp").is_some());
        if terminating {
            terminate_namespace(tx, ns)?;
        }
    }
    Ok(())
}

/// For an owner being deleted: orphan its dependents or delete them first, then release its finalizer.
fn propagate_deletion(tx: &mut Tx<'_>, owner: &Value) -> ApiResult<()> {
    let Some(uid) = meta_str(owner, "uid") else {
        return Ok(());
    };
    let finalizers: Vec<&str> = owner
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(owner_key) = tx.state.store.by_uid(uid).cloned() else {
        return Ok(());
    };
    if finalizers.contains(&ORPHAN_FINALIZER) {
        for dependent in tx.state.store.dependents_of(uid) {
            let Some((rt, object)) = lookup(tx, &dependent) else {
                continue;
            };
            let mut orphaned = object.as_ref().clone();
            retain_owner_refs(&mut orphaned, |u| u != uid);
            store_object(
                tx,
                &rt,
                &dependent.namespace,
                Some(object),
                orphaned,
                &internal(GC_MANAGER),
                Subresource::Main,
                false,
            )?;
        }
        remove_finalizer(
            tx,
            &owner_key.resource,
            &owner_key.namespace,
            &owner_key.name,
            ORPHAN_FINALIZER,
            GC_MANAGER,
        )?;
    } else if finalizers.contains(&FOREGROUND_FINALIZER) {
        let dependents = tx.state.store.dependents_of(uid);
        if dependents.is_empty() {
            return remove_finalizer(
                tx,
                &owner_key.resource,
                &owner_key.namespace,
                &owner_key.name,
                FOREGROUND_FINALIZER,
                GC_MANAGER,
            );
        }
        for dependent in dependents {
            if let Some((rt, object)) = lookup(tx, &dependent) {
                delete_object(
                    tx,
                    &rt,
                    &dependent.namespace,
                    object,
                    Some(Propagation::Foreground),
                );
            }
        }
    }
    Ok(())
}

fn lookup(tx: &Tx<'_>, key: &ObjectKey) -> Option<(Arc<ResourceType>, Arc<Value>)> {
    let rt = tx.state.registry.storage_type(&key.resource)?;
    let object = tx.state.store.get(key)?.clone();
    Some((rt, object))
}

fn retain_owner_refs(object: &mut Value, keep: impl Fn(&str) -> bool) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(refs) = meta
        .get_mut("ownerReferences")
        .and_then(Value::as_array_mut)
    {
        refs.retain(|r| r.get("uid").and_then(Value::as_str).is_none_or(&keep));
        if refs.is_empty() {
            meta.remove("ownerReferences");
        }
    }
}

/// Removes one finalizer from an object (which the write path then deletes if it was the last one).
fn remove_finalizer(
    tx: &mut Tx<'_>,
    resource: &ResourceKey,
    namespace: &str,
    name: &str,
    finalizer: &str,
    manager: &str,
) -> ApiResult<()> {
    let Some(rt) = tx.state.registry.storage_type(resource) else {
        return Ok(());
    };
    let Some(current) = tx
        .state
        .store
        .get(&object_key(&rt, namespace, name))
        .cloned()
    else {
        return Ok(());
    };
    let mut new = current.as_ref().clone();
    if let Some(list) = new
        .pointer_mut("/metadata/finalizers")
        .and_then(Value::as_array_mut)
    {
        list.retain(|f| f.as_str() != Some(finalizer));
    }
    if new != *current {
        store_object(
            tx,
            &rt,
            namespace,
            Some(current),
            new,
            &internal(manager),
            Subresource::Main,
            false,
        )?;
    }
    Ok(())
}

fn internal(manager: &str) -> WriteOptions {
    WriteOptions {
        field_manager: manager.to_string(),
        ..WriteOptions::default()
    }
}
