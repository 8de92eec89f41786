//! The cluster: registry of types, schemas and the object store behind one lock, and the one write path every
//! verb takes: decode -> admit -> merge -> version -> persist -> notify. Controllers (CRDs, namespaces, garbage
//! collection) are clients of the same path.

mod admit;
mod delete;
mod immutable;
mod options;
mod path;
mod read;
mod scale;
mod service_ip;
mod write;

pub(crate) use delete::delete_object;
pub use delete::{DeleteOptions, Deleted, Propagation, FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
pub use options::{FieldValidation, PatchKind, Subresource, WriteOptions, Written};
pub(crate) use path::store_object;
pub use path::CRD_CLEANUP_FINALIZER;
pub use read::{ListOptions, ListPage};
pub(crate) use write::apply_patch;

use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::oneshot;

use crate::error::{ApiError, ApiResult};
use crate::events::{lock, Event, EventType, Hub};
use crate::persist::{Change, Commit, Committer};
use crate::registry::{Registry, ResourceType};
use crate::schema::SchemaSet;
use crate::store::{ObjectKey, Store};

/// Everything the lock protects.
#[derive(Debug)]
pub struct State {
    /// Served types.
    pub registry: Registry,
    /// Schemas of built-in and custom types.
    pub schemas: SchemaSet,
    /// Every object.
    pub store: Store,
}

/// The cluster shared by the HTTP layer and the controllers.
#[derive(Debug)]
pub struct Cluster {
    state: Mutex<State>,
    committer: Committer,
    /// Committed events, for watches.
    pub hub: Arc<Hub>,
}

impl Cluster {
    /// A cluster over loaded state, committing through `committer` and publishing on `hub`.
    pub fn new(state: State, committer: Committer, hub: Arc<Hub>) -> Self {
        Cluster {
            state: Mutex::new(state),
            committer,
            hub,
        }
    }

    /// Runs `f` with read access to the state.
    pub fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&lock(&self.state))
    }

    /// Runs `f` as one transaction on the state, then waits until its changes are durable and published.
    /// A dry-run transaction changes nothing.
    pub(crate) async fn transact<R>(
        &self,
        dry_run: bool,
        f: impl FnOnce(&mut Tx<'_>) -> ApiResult<R>,
    ) -> ApiResult<R> {
        let (result, pending) = {
            let mut guard = lock(&self.state);
            let mut tx = Tx {
                state: &mut guard,
                changes: Vec::new(),
                events: Vec::new(),
                dry_run,
            };
            let result = f(&mut tx)?;
            let pending = tx.submit(&self.committer)?;
            (result, pending)
        };
        if let Some(done) = pending {
            match done.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(ApiError::internal(format!("storage failed: {e}"))),
                Err(_) => return Err(ApiError::internal("storage writer stopped")),
            }
        }
        Ok(result)
    }
}

/// A transaction in progress: changes applied to the in-memory state and collected for the commit.
pub(crate) struct Tx<'a> {
    pub(crate) state: &'a mut State,
    changes: Vec<Change>,
    events: Vec<Arc<Event>>,
    dry_run: bool,
}

impl Tx<'_> {
    /// Stores `object` under `key` with the next resourceVersion (a dry run only returns it).
    pub(crate) fn put(
        &mut self,
        rt: &ResourceType,
        key: ObjectKey,
        mut object: Value,
        previous: Option<Arc<Value>>,
    ) -> Arc<Value> {
        if self.dry_run {
            return Arc::new(object);
        }
        let rv = self.state.store.next_resource_version();
        set_resource_version(&mut object, rv);
        let object = Arc::new(object);
        let kind = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.state.store.put(&key, object.clone());
        self.changes.push(Change::Put(key, object.clone()));
        self.events.push(Arc::new(Event {
            rv,
            kind,
            resource: rt.resource_key(),
            object: object.clone(),
            previous,
        }));
        object
    }

    /// Removes the object under `key`; the DELETED event carries its last state with a new resourceVersion.
    pub(crate) fn remove(&mut self, key: ObjectKey, last: Value) -> Arc<Value> {
        let mut last = last;
        if self.dry_run {
            return Arc::new(last);
        }
        let rv = self.state.store.next_resource_version();
        set_resource_version(&mut last, rv);
        let last = Arc::new(last);
        let previous = self.state.store.remove(&key);
        self.changes.push(Change::Delete(key.clone()));
        self.events.push(Arc::new(Event {
            rv,
            kind: EventType::Deleted,
            resource: key.resource,
            object: last.clone(),
            previous,
        }));
        last
    }

    fn submit(
        self,
        committer: &Committer,
    ) -> ApiResult<Option<oneshot::Receiver<Result<(), String>>>> {
        if self.changes.is_empty() {
            return Ok(None);
        }
        let (done, wait) = oneshot::channel();
        let commit = Commit {
            rv: self.state.store.resource_version(),
            changes: self.changes,
            events: self.events,
            done,
        };
        committer
            .submit(commit)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(Some(wait))
    }
}

/// Sets metadata.resourceVersion.
pub(crate) fn set_resource_version(object: &mut Value, rv: u64) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

/// The current time as Kubernetes writes timestamps (RFC 3339, seconds, UTC).
pub fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A string field of metadata.
pub(crate) fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    object.get("metadata")?.get(field)?.as_str()
}
