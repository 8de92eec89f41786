//! Namespaces: delete everything in a terminating namespace, then release the namespace.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;

/// Deletes everything in a terminating namespace; once it is empty, releases the namespace.
pub(super) fn terminate_namespace(tx: &mut Tx<'_>, namespace: &str) -> ApiResult<()> {
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
    update(
        tx,
        &cluster_scoped(ResourceKey::namespaces(), namespace),
        NAMESPACE_MANAGER,
        Subresource::Main,
        |ns| {
            if let Some(spec) = ns.get_mut("spec").and_then(Value::as_object_mut) {
                spec.insert("finalizers".into(), json!([]));
            }
        },
    )
}
