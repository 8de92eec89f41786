//! Deletion: preconditions, finalizers (the object stays, with deletionTimestamp, until they are gone),
//! propagation policies (Foreground and Orphan add the finalizers the garbage collector acts on), namespaces
//! (always terminate through the namespace controller), and deletecollection.

use std::sync::Arc;

use serde_json::Value;

use super::path::{add_finalizer, existing, is_finalized};
use super::read::{object_key, ListOptions};
use super::{meta_str, now_rfc3339, Cluster, Tx};
use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;

/// What happens to dependents (objects whose ownerReferences point at the deleted one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Delete the owner now; the garbage collector deletes dependents afterwards.
    Background,
    /// Delete dependents first; the owner stays (finalizer `foregroundDeletion`) until they are gone.
    Foreground,
    /// Keep dependents and remove their ownerReferences to the owner (finalizer `orphan`).
    Orphan,
}

/// DeleteOptions of a request.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// `propagationPolicy` (Background when unset).
    pub propagation: Option<Propagation>,
    /// `preconditions.uid`.
    pub precondition_uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub precondition_resource_version: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
}

/// The outcome of a delete.
#[derive(Debug, Clone)]
pub enum Deleted {
    /// The object is gone; its last state.
    Gone(Arc<Value>),
    /// The object is being deleted and waits for finalizers; its current state.
    Pending(Arc<Value>),
}

/// Finalizer the garbage collector removes once dependents are deleted.
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";
/// Finalizer the garbage collector removes once dependents are orphaned.
pub const ORPHAN_FINALIZER: &str = "orphan";

impl Cluster {
    /// DELETE of one object.
    pub async fn delete(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> ApiResult<Deleted> {
        self.transact(opts.dry_run, |tx| {
            let old = existing(tx, rt, namespace, name)?;
            check_preconditions(rt, name, &old, opts)?;
            Ok(delete_object(tx, rt, namespace, old, opts.propagation))
        })
        .await
    }

    /// DELETE of a collection: every object matching the selectors.
    pub async fn delete_collection(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        list: &ListOptions,
        opts: &DeleteOptions,
    ) -> ApiResult<Vec<Arc<Value>>> {
        let targets = self.list(
            rt,
            namespace,
            &ListOptions {
                limit: None,
                continue_token: None,
                ..list.clone()
            },
        )?;
        self.transact(opts.dry_run, |tx| {
            let mut out = Vec::new();
            for item in targets.items {
                let ns = meta_str(&item, "namespace").unwrap_or_default().to_string();
                let name = meta_str(&item, "name").unwrap_or_default().to_string();
                if let Some(current) = tx.state.store.get(&object_key(rt, &ns, &name)).cloned() {
                    match delete_object(tx, rt, &ns, current, opts.propagation) {
                        Deleted::Gone(o) | Deleted::Pending(o) => out.push(o),
                    }
                }
            }
            Ok(out)
        })
        .await
    }
}

fn check_preconditions(
    rt: &ResourceType,
    name: &str,
    old: &Value,
    opts: &DeleteOptions,
) -> ApiResult<()> {
    let failed = |what: &str, want: &str, have: &str| {
        Err(ApiError::conflict(format!(
            "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}",
            rt.plural
        ))
        .about(&rt.group, &rt.plural, name))
    };
    let uid = meta_str(old, "uid").unwrap_or_default();
    if let Some(want) = opts.precondition_uid.as_deref().filter(|w| *w != uid) {
        return failed("UID", want, uid);
    }
    let rv = meta_str(old, "resourceVersion").unwrap_or_default();
    if let Some(want) = opts
        .precondition_resource_version
        .as_deref()
        .filter(|w| *w != rv)
    {
        return failed("ResourceVersion", want, rv);
    }
    Ok(())
}

/// Deletes `old` inside a transaction: removes it, or marks it terminating while finalizers remain.
pub(crate) fn delete_object(
    tx: &mut Tx<'_>,
    rt: &ResourceType,
    namespace: &str,
    old: Arc<Value>,
    propagation: Option<Propagation>,
) -> Deleted {
    let name = meta_str(&old, "name").unwrap_or_default().to_string();
    let key = object_key(rt, namespace, &name);
    if old.pointer("/metadata/deletionTimestamp").is_some() {
        return Deleted::Pending(old);
    }
    let mut new = old.as_ref().clone();
    match propagation {
        Some(Propagation::Foreground) => add_finalizer(&mut new, FOREGROUND_FINALIZER),
        Some(Propagation::Orphan) => add_finalizer(&mut new, ORPHAN_FINALIZER),
        _ => {}
    }
    if let Some(meta) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("deletionTimestamp".into(), Value::String(now_rfc3339()));
        meta.insert("deletionGracePeriodSeconds".into(), 0.into());
    }
    if rt.group.is_empty() && rt.kind == "Namespace" {
        if let Some(status) = new.get_mut("status").and_then(Value::as_object_mut) {
            status.insert("phase".into(), Value::String("Terminating".into()));
        }
    }
    if is_finalized(&new) {
        return Deleted::Gone(tx.remove(key, old.as_ref().clone()));
    }
    Deleted::Pending(tx.put(rt, key, new, Some(old)))
}
