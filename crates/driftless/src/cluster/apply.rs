//! Applying a batch of desired objects concurrently: server-side apply, and with `Replace=true`
//! a delete and re-create when the API refuses to change an immutable field.

use std::time::Duration;

use driftless_core::{Action, ChangeEntry, ChangeSet};
use futures::stream::{self, StreamExt};
use kube::api::PropagationPolicy;
use serde_json::Value;

use super::desired::Desired;
use super::diff::{api_message, CONCURRENCY};
use super::{ClusterError, ResourceManager};

/// The result of applying one object: its change entry and, on success, the stored object.
struct Applied {
    entry: ChangeEntry,
    stored: Option<Value>,
}

impl ResourceManager {
    /// Applies each `(object, create)` pair, `CONCURRENCY` at a time. `create` says whether the
    /// object was missing, which decides created versus configured. Returns the ChangeSet, one
    /// entry per object in input order, and beside it each object as stored (`None` when its apply
    /// failed).
    pub async fn apply_all(
        &self,
        objects: &[(&Desired, bool)],
        timeout: Duration,
    ) -> (ChangeSet, Vec<Option<Value>>) {
        // Futures made outside the stream: see `ResourceManager::diff`.
        let applies: Vec<_> = objects
            .iter()
            .map(|(object, create)| self.apply_one(object, *create, timeout))
            .collect();
        let applied: Vec<Applied> = stream::iter(applies).buffered(CONCURRENCY).collect().await;
        let (entries, stored) = applied.into_iter().map(|a| (a.entry, a.stored)).unzip();
        (ChangeSet { entries }, stored)
    }

    async fn apply_one(&self, object: &Desired, create: bool, timeout: Duration) -> Applied {
        let action = if create {
            Action::Created
        } else {
            Action::Configured
        };
        let result = match self.apply(&object.object, &object.manifest, false).await {
            Err(error) if object.options.replace && error.is_immutable_field() => self
                .replace(object, timeout)
                .await
                .map(|stored| (stored, "replaced: an immutable field changed")),
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
    async fn replace(&self, object: &Desired, timeout: Duration) -> Result<Value, ClusterError> {
        self.delete(&object.object, PropagationPolicy::Foreground)
            .await?;
        self.wait_gone(&object.object, timeout).await;
        self.apply(&object.object, &object.manifest, false).await
    }
}

fn entry(object: &Desired, action: Action, message: String) -> ChangeEntry {
    ChangeEntry {
        object: object.object.clone(),
        action,
        message,
    }
}
