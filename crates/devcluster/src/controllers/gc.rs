//! Garbage collection through ownerReferences: Background, Foreground and Orphan propagation.

use serde_json::Value;

use super::*;

/// After an object is gone: delete dependents left without any owner, drop dangling references, finish the
/// foreground deletion of owners waiting for this object, and re-check a terminating namespace.
pub(super) fn after_delete(tx: &mut Tx<'_>, gone: &Value) -> ApiResult<()> {
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
                update(tx, &dependent, GC_MANAGER, Subresource::Main, |o| {
                    retain_owner_refs(o, |u| u != uid)
                })?;
            }
        }
    }
    for owner in owner_uids(gone) {
        if let Some(key) = tx.state.store.by_uid(owner).cloned() {
            if tx.state.store.dependents_of(owner).is_empty() {
                remove_finalizer(tx, &key, FOREGROUND_FINALIZER, GC_MANAGER)?;
            }
        }
    }
    if let Some(ns) = meta_str(gone, "namespace").filter(|n| !n.is_empty()) {
        let terminating = lookup(tx, &cluster_scoped(ResourceKey::namespaces(), ns))
            .is_some_and(|(_, o)| o.pointer("/metadata/deletionTimestamp").is_some());
        if terminating {
            terminate_namespace(tx, ns)?;
        }
    }
    Ok(())
}

/// For an owner being deleted: orphan its dependents or delete them first, then release its finalizer.
pub(super) fn propagate_deletion(tx: &mut Tx<'_>, owner: &Value) -> ApiResult<()> {
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
            update(tx, &dependent, GC_MANAGER, Subresource::Main, |o| {
                retain_owner_refs(o, |u| u != uid)
            })?;
        }
        remove_finalizer(tx, &owner_key, ORPHAN_FINALIZER, GC_MANAGER)?;
    } else if finalizers.contains(&FOREGROUND_FINALIZER) {
        let dependents = tx.state.store.dependents_of(uid);
        if dependents.is_empty() {
            return remove_finalizer(tx, &owner_key, FOREGROUND_FINALIZER, GC_MANAGER);
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
