//! Watch: a stream of newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), resumable from
//! a resourceVersion, with selector transitions, bookmarks, timeouts, and streaming lists
//! (`sendInitialEvents=true`) ending with the `k8s.io/initial-events-end` bookmark.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::params::{self, flag, list_options};
use super::served;
use crate::cluster::{meta_str, Cluster, ListOptions};
use crate::error::{ApiError, ApiResult};
use crate::events::{Event, EventType};
use crate::registry::{ResourceKey, ResourceType};
use crate::table::{self, TableOptions};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
const BOOKMARK_EVERY: Duration = Duration::from_secs(30);

/// Where a watch starts.
enum Start {
    /// Send the current objects as ADDED first (no resourceVersion, or "0").
    WithCurrentState { end_bookmark: bool },
    /// Only changes after this resourceVersion.
    After(u64),
}

/// Serves a watch request for `rt` in `namespace` (or all namespaces).
pub async fn serve(
    cluster: Arc<Cluster>,
    rt: Arc<ResourceType>,
    namespace: Option<String>,
    q: &params::Query,
    table: Option<TableOptions>,
) -> ApiResult<Response> {
    let filter = list_options(q)?;
    let start = start_of(q)?;
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let bookmarks = flag(q, "allowWatchBookmarks");
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let watcher = Watcher {
        table,
        resource: rt.resource_key(),
        rt,
        namespace,
        filter,
        bookmarks,
        tx,
    };
    match start {
        Start::After(rv) => match cluster.hub.subscribe_after(rv) {
            Ok((backlog, receiver)) => {
                tokio::spawn(watcher.run(Vec::new(), backlog, receiver, rv, timeout, false));
            }
            Err(expired) => {
                let status = ApiError::expired(format!(
                    "too old resource version: {rv} ({})",
                    expired.oldest
                ))
                .to_status();
                let _ = watcher.tx.send(line("ERROR", &status)).await;
            }
        },
        Start::WithCurrentState { end_bookmark } => {
            let (initial, rv) = cluster.read(|s| {
                let objects: Vec<Arc<Value>> = s
                    .store
                    .list(
                        &watcher.rt.resource_key(),
                        watcher.namespace.as_deref(),
                        None,
                    )
                    .filter(|(_, o)| watcher.matches(o))
                    .map(|(_, o)| o.clone())
                    .collect();
                (objects, s.store.resource_version())
            });
            match cluster.hub.subscribe_after(rv) {
                Ok((backlog, receiver)) => {
                    tokio::spawn(watcher.run(
                        initial,
                        backlog,
                        receiver,
                        rv,
                        timeout,
                        end_bookmark,
                    ));
                }
                Err(_) => return Err(ApiError::internal("the event window is behind the store")),
            }
        }
    }
    let mut response = Response::new(Body::from_stream(futures::StreamExt::map(
        ReceiverStream::new(rx),
        Ok::<Bytes, std::convert::Infallible>,
    )));
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response.headers_mut().insert(
        header::TRANSFER_ENCODING,
        HeaderValue::from_static("chunked"),
    );
    Ok(response)
}

fn start_of(q: &params::Query) -> ApiResult<Start> {
    let rv = q.get("resourceVersion").map(String::as_str).unwrap_or("");
    if flag(q, "sendInitialEvents") {
        if q.get("resourceVersionMatch").map(String::as_str) != Some("NotOlderThan") {
            return Err(ApiError::invalid("", "", "", vec![crate::error::Cause {
                reason: "FieldValueForbidden".into(),
                message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan".into(),
                field: "sendInitialEvents".into(),
            }]));
        }
        if !flag(q, "allowWatchBookmarks") {
            return Err(ApiError::bad_request(
                "sendInitialEvents requires allowWatchBookmarks=true",
            ));
        }
        return Ok(Start::WithCurrentState { end_bookmark: true });
    }
    match rv {
        "" | "0" => Ok(Start::WithCurrentState {
            end_bookmark: false,
        }),
        n => n
            .parse::<u64>()
            .map(Start::After)
            .map_err(|_| ApiError::bad_request(format!("invalid resource version {n:?}"))),
    }
}

struct Watcher {
    /// Render objects as Table rows (`kubectl get -w` asks for them) instead of plain objects.
    table: Option<TableOptions>,
    /// The watched resource's key, compared with every event.
    resource: ResourceKey,
    rt: Arc<ResourceType>,
    namespace: Option<String>,
    filter: ListOptions,
    bookmarks: bool,
    tx: mpsc::Sender<Bytes>,
}

impl Watcher {
    /// The object as this watcher receives it: a one-row Table, or the object at the served version.
    fn render(&self, object: &Arc<Value>) -> Value {
        match &self.table {
            Some(options) => {
                let options = TableOptions {
                    now: jiff::Timestamp::now(),
                    ..*options
                };
                table::object(&self.rt, object, &options)
            }
            None => served(object, &self.rt),
        }
    }

    fn matches(&self, object: &Value) -> bool {
        self.filter.labels.matches(object) && self.filter.fields.matches(object)
    }

    fn in_scope(&self, event: &Event) -> bool {
        event.resource == self.resource
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| meta_str(&event.object, "namespace") == Some(ns))
    }

    /// The event type this watcher sees, given selector transitions; None when it sees nothing.
    fn translate(&self, event: &Event) -> Option<EventType> {
        if !self.in_scope(event) {
            return None;
        }
        let now = self.matches(&event.object);
        let before = event.previous.as_deref().is_some_and(|p| self.matches(p));
        match event.kind {
            EventType::Modified if now && !before => Some(EventType::Added),
            EventType::Modified if !now && before => Some(EventType::Deleted),
            EventType::Modified if now => Some(EventType::Modified),
            EventType::Added | EventType::Deleted if now => Some(event.kind),
            _ => None,
        }
    }

    async fn send_event(&self, event: &Event) -> bool {
        match self.translate(event) {
            Some(kind) => self
                .tx
                .send(line(kind.as_str(), &self.render(&event.object)))
                .await
                .is_ok(),
            None => true,
        }
    }

    async fn bookmark(&self, rv: u64, initial_end: bool) -> bool {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let object =
            json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": meta});
        self.tx.send(line("BOOKMARK", &object)).await.is_ok()
    }

    async fn run(
        self,
        initial: Vec<Arc<Value>>,
        backlog: Vec<Arc<Event>>,
        mut receiver: broadcast::Receiver<Arc<Event>>,
        start_rv: u64,
        timeout: Duration,
        end_bookmark: bool,
    ) {
        for object in initial {
            if self
                .tx
                .send(line("ADDED", &self.render(&object)))
                .await
                .is_err()
            {
                return;
            }
        }
        if end_bookmark && !self.bookmark(start_rv, true).await {
            return;
        }
        let mut last_rv = start_rv;
        for event in backlog {
            if !self.send_event(&event).await {
                return;
            }
            last_rv = event.rv;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut ticker =
            tokio::time::interval_at(tokio::time::Instant::now() + BOOKMARK_EVERY, BOOKMARK_EVERY);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                _ = ticker.tick() => {
                    if self.bookmarks && !self.bookmark(last_rv, false).await {
                        return;
                    }
                    if self.tx.is_closed() {
                        return;
                    }
                }
                received = receiver.recv() => match received {
                    Ok(event) if event.rv > last_rv => {
                        last_rv = event.rv;
                        if !self.send_event(&event).await {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let status = ApiError::expired("the watch fell too far behind; relist").to_status();
                        let _ = self.tx.send(line("ERROR", &status)).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    }
}

/// One watch event as a JSON line.
fn line(kind: &str, object: &Value) -> Bytes {
    let mut bytes =
        serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}
