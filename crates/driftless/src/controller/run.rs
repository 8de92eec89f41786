//! The controller's main loop: the Applications' watch, the triggers and the timers feed the
//! work queue; reconciles run as tasks, at most one per Application and `concurrency` in
//! all, and only while this process leads.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use driftless_core::application::Application;
use futures::StreamExt;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Api;
use tokio::sync::{mpsc, watch};
use tokio::task::{Id, JoinSet};
use tokio::time::Instant;

use super::drift::DriftWatches;
use super::hub::{Hub, Trigger, Triggered};
use super::policy::Action;
use super::queue::WorkQueue;
use super::reconcile::{lock, reconcile, Context};
use super::requests::wants_refresh;

/// How the controller runs.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// Reconcile the Applications of this namespace only (all namespaces when `None`).
    pub namespace: Option<String>,
    /// Most reconciles running at once.
    pub concurrency: usize,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        Self {
            namespace: None,
            concurrency: 8,
        }
    }
}

/// What the Application watch reports.
enum Seen {
    Applied(Box<Application>),
    Deleted(String),
}

/// Runs the controller until `shutdown` completes. Reconciles run only while `leading` says
/// true; when leadership is lost, the reconciles in flight are stopped at once.
pub async fn run(
    hub: Hub,
    mut triggers: mpsc::UnboundedReceiver<Triggered>,
    config: ControllerConfig,
    mut leading: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()>,
) {
    let (drift, router) = DriftWatches::start(hub.clone());
    let ctx = Arc::new(Context {
        hub: hub.clone(),
        drift,
        store: Mutex::new(HashMap::new()),
        memory: Mutex::new(HashMap::new()),
    });
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let watch_task = tokio::spawn(watch_applications(
        hub.clone(),
        config.namespace.clone(),
        seen_tx,
    ));
    let mut queue = WorkQueue::new(config.concurrency);
    let mut tasks: JoinSet<(String, Action)> = JoinSet::new();
    let mut running: HashMap<Id, String> = HashMap::new();
    let mut is_leader = *leading.borrow_and_update();
    hub.set_leading(is_leader);
    if is_leader {
        tracing::info!("leading: reconciling every Application");
    } else {
        tracing::info!("standing by until this replica leads");
    }
    tokio::pin!(shutdown);
    loop {
        let next_timer = queue.next_timer();
        tokio::select! {
            () = &mut shutdown => break,
            changed = leading.changed() => {
                if changed.is_err() {
                    break;
                }
                let now_leading = *leading.borrow_and_update();
                if now_leading != is_leader {
                    is_leader = now_leading;
                    hub.set_leading(is_leader);
                    if is_leader {
                        tracing::info!("leading: reconciling every Application");
                        for key in lock(&ctx.store).keys() {
                            queue.push(key, Trigger::Changed);
                        }
                    } else {
                        tracing::warn!("leadership lost: reconciles stopped");
                        tasks.abort_all();
                    }
                }
            }
            Some((key, trigger)) = triggers.recv() => queue.push(&key, trigger),
            Some(event) = seen.recv() => application_seen(&ctx, &mut queue, event),
            Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let (id, result) = match joined {
                    Ok((id, result)) => (id, Some(result)),
                    Err(error) => (error.id(), None),
                };
                if let Some(key) = running.remove(&id) {
                    queue.done(&key);
                    match result {
                        Some((_, Action::Requeue(delay, trigger))) => {
                            queue.schedule(&key, Instant::now() + delay, trigger);
                        }
                        Some((_, Action::AwaitChange)) => {}
                        None => tracing::warn!(app = %key, "a reconcile ended abnormally"),
                    }
                }
            }
            () = sleep_until(next_timer) => queue.fire_due(Instant::now()),
        }
        if is_leader {
            while let Some((key, reasons)) = queue.pop() {
                let ctx = Arc::clone(&ctx);
                let task_key = key.clone();
                let handle = tasks.spawn(async move {
                    let action = reconcile(&ctx, &task_key, &reasons).await;
                    (task_key, action)
                });
                running.insert(handle.id(), key);
            }
        }
        hub.metrics().set_queue_depth(queue.depth());
    }
    hub.set_leading(false);
    tasks.abort_all();
    watch_task.abort();
    drop(ctx);
    router.abort();
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Updates the store and queues a reconcile when what changed is not just the status.
fn application_seen(ctx: &Context, queue: &mut WorkQueue, seen: Seen) {
    match seen {
        Seen::Applied(mut app) => {
            let key = app.key();
            if let Some(memory) = lock(&ctx.memory).get(&key) {
                if app.operation.is_none() {
                    memory.lock().handled_operation = None;
                }
                // The memory holds the status this controller wrote; a second copy is not kept.
                app.status = None;
            }
            let previous = lock(&ctx.store).insert(key.clone(), (*app).clone());
            if wants_reconcile(previous.as_ref(), &app) {
                queue.push(&key, Trigger::Changed);
            }
        }
        Seen::Deleted(key) => {
            if let Some(app) = lock(&ctx.store).remove(&key) {
                ctx.hub.metrics().forget_app(app.namespace(), app.name());
            }
            lock(&ctx.memory).remove(&key);
            ctx.drift.unregister(&key);
            queue.forget(&key);
        }
    }
}

/// True for a new Application, a changed spec (generation), a deletion, or a new operation or
/// refresh request; false for a change of status only (our own writes).
fn wants_reconcile(previous: Option<&Application>, app: &Application) -> bool {
    let Some(previous) = previous else {
        return true;
    };
    previous.metadata.generation != app.metadata.generation
        || previous.metadata.deletion_timestamp != app.metadata.deletion_timestamp
        || previous.operation != app.operation
        || (wants_refresh(app) && previous.metadata.annotations != app.metadata.annotations)
        || previous.spec != app.spec
}

/// Watches the Applications (all namespaces or one) and reports each change.
async fn watch_applications(
    hub: Hub,
    namespace: Option<String>,
    seen: mpsc::UnboundedSender<Seen>,
) {
    let api: Api<Application> = match &namespace {
        Some(namespace) => Api::namespaced(hub.client().clone(), namespace),
        None => Api::all(hub.client().clone()),
    };
    let stream = watcher::watcher(api, watcher::Config::default()).default_backoff();
    tokio::pin!(stream);
    while let Some(event) = stream.next().await {
        let message = match event {
            Ok(Event::Apply(mut app) | Event::InitApply(mut app)) => {
                // Never read, and a good part of each Application's size.
                app.metadata.managed_fields = None;
                Seen::Applied(Box::new(app))
            }
            Ok(Event::Delete(app)) => Seen::Deleted(app.key()),
            Ok(Event::Init | Event::InitDone) => continue,
            Err(error) => {
                tracing::warn!(%error, "the watch of Applications failed; retrying");
                continue;
            }
        };
        if seen.send(message).is_err() {
            return;
        }
    }
}
