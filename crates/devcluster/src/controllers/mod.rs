//! The built-in controllers, all clients of the one write path, fed by committed events:
//! CustomResourceDefinitions (serve the new types, set Established/NamesAccepted, delete their objects on
//! removal), namespaces (delete the contents of a terminating namespace, then the namespace) and the garbage
//! collector (ownerReferences with Background, Foreground and Orphan propagation).

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::mpsc;

use crate::cluster::{
    delete_object, meta_str, now_rfc3339, store_object, Cluster, Propagation, State, Subresource,
    Tx, WriteOptions, CRD_CLEANUP_FINALIZER, FOREGROUND_FINALIZER, ORPHAN_FINALIZER,
};
use crate::error::ApiResult;
use crate::events::{Event, EventType};
use crate::registry::{ResourceKey, ResourceType, ScalePaths};
use crate::store::{owner_uids, ObjectKey};

/// The finalizer every CustomResourceDefinition carries until its custom resources are deleted.
mod crd;
mod gc;
mod namespace;

pub(crate) use crd::register_crd;
use crd::{cleanup_crd, establish_crd, unregister_crd};
use gc::{after_delete, propagate_deletion};
use namespace::terminate_namespace;

const CRD_MANAGER: &str = "devcluster-apiextensions";
const NAMESPACE_MANAGER: &str = "devcluster-namespace-controller";
const GC_MANAGER: &str = "devcluster-garbage-collector";

/// Where a cluster-scoped object of `resource` named `name` lives.
fn cluster_scoped(resource: ResourceKey, name: &str) -> ObjectKey {
    ObjectKey {
        resource,
        namespace: String::new(),
        name: name.to_string(),
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
        [ResourceKey::crds(), ResourceKey::namespaces()]
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
    if event.resource == ResourceKey::crds() {
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
    if event.resource == ResourceKey::namespaces() && deleting && event.kind != EventType::Deleted {
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

/// Writes `change` to the stored object under `key` through the write path as `manager`; nothing when the
/// object is gone or the change changes nothing.
fn update(
    tx: &mut Tx<'_>,
    key: &ObjectKey,
    manager: &str,
    sub: Subresource,
    change: impl FnOnce(&mut Value),
) -> ApiResult<()> {
    let Some((rt, current)) = lookup(tx, key) else {
        return Ok(());
    };
    let mut new = current.as_ref().clone();
    change(&mut new);
    if new != *current {
        store_object(
            tx,
            &rt,
            &key.namespace,
            Some(current),
            new,
            &internal(manager),
            sub,
            false,
        )?;
    }
    Ok(())
}

/// Removes one finalizer from an object (which the write path then deletes if it was the last one).
fn remove_finalizer(
    tx: &mut Tx<'_>,
    key: &ObjectKey,
    finalizer: &str,
    manager: &str,
) -> ApiResult<()> {
    update(tx, key, manager, Subresource::Main, |object| {
        if let Some(list) = object
            .pointer_mut("/metadata/finalizers")
            .and_then(Value::as_array_mut)
        {
            list.retain(|f| f.as_str() != Some(finalizer));
        }
    })
}

fn internal(manager: &str) -> WriteOptions {
    WriteOptions {
        field_manager: manager.to_string(),
        ..WriteOptions::default()
    }
}
