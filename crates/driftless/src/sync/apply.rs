//! Applying a batch of desired objects concurrently: server-side apply, and with `Replace=true`
//! a delete and re-create when the API refuses to change an immutable field.

use std::time::Duration;

use driftless_core::{Action, ChangeEntry};
use futures::stream::{self, StreamExt};
use kube::api::PropagationPolicy;
use serde_json::Value;

use super::compare::{api_message, CONCURRENCY};
use super::desired::Desired;
use super::wait::wait_gone;
use crate::cluster::{ClusterError, ResourceManager};

/// The result of applying one object: its change entry and, on success, the stored object.
pub struct Applied {
    /// What happened.
    pub entry: ChangeEntry,
    /// The object as stored, when the apply succeeded.
    pub stored: Option<Value>,
}

/// Applies each `(object, create)` pair, `CONCURRENCY` at a time, in input order. `create`
/// says whether the object was missing, which decides created versus configured.
pub async fn apply_all(
    manager: &ResourceManager,
    objects: &[(&Desired, bool)],
    timeout: Duration,
) -> Vec<Applied> {
    stream::iter(objects)
        .map(|(object, create)| apply_one(manager, object, *create, timeout))
        .buffered(CONCURRENCY)
        .collect()
        .await
}

async fn apply_one(
    manager: &ResourceManager,
    object: &Desired,
    create: bool,
    timeout: Duration,
) -> Applied {
    let action = if create {
        Action::Created
    } else {
        Action::Configured
    };
    let result = match manager.apply(&object.object, &object.manifest, false).await {
        Err(error) if object.options.replace && error.is_immutable_field() => {
            replace(manager, object, timeout)
                .await
                .map(|stored| (stored, "replaced: an immutable field changed"))
        }
        other => other.map(|stored| (stored, "")),
    };
    match result {
        Ok((stored, message)) => Applied {
            entry: entry(object, action, message.to_owned()),
            stored: Some(stored),
        },
        Err(error) => Applied {
            entry: entry(object, Action::Failed, api_message(&error, object)),
            stored: None,
        },
    }
}

/// Deletes the object, waits until it is gone, and applies it again.
async fn replace(
    manager: &ResourceManager,
    object: &Desired,
    timeout: Duration,
) -> Result<Value, ClusterError> {
    manager
        .delete(&object.object, PropagationPolicy::Foreground)
        .await?;
    wait_gone(manager, &object.object, timeout).await;
    manager.apply(&object.object, &object.manifest, false).await
}

fn entry(object: &Desired, action: Action, message: String) -> ChangeEntry {
    ChangeEntry {
        object: object.object.clone(),
        action,
        message,
    }
}
