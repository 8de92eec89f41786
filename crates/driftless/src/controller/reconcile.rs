//! One reconcile of one Application: decide what to do from its spec, its operation and why
//! it was triggered; sync or compare; write the status only when it changed; tell events,
//! metrics and dependents; and return what to do next (the error policy decides retries).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use driftless_core::application::{Application, ApplicationStatus, Condition, SyncStatusCode};
use driftless_core::health::HealthStatus;
use driftless_core::tracking::app_label_value;

use super::drift::DriftWatches;
use super::events::{self, AppEvent};
use super::finalizer;
use super::hub::{Hub, Trigger};
use super::memory::{is_ready, AppMemory};
use super::policy::{interval_with_jitter, retry_delay, Action};
use super::requests;
use crate::cluster::{AppliedState, Destination, LiveCache};
use crate::sync::heal::interval_of;
use crate::sync::status::{now_rfc3339, status_after, write_status, Times};
use crate::sync::{rollback_request, Engine, SyncOutcome, SyncRequest};

/// How often an Application waiting for its dependencies looks again, besides being woken
/// when one becomes Ready.
const DEPENDENCY_RECHECK: Duration = Duration::from_secs(30);

/// What every reconcile shares.
pub struct Context {
    /// The hub (client, destinations, metrics, events, triggers).
    pub hub: Hub,
    /// The drift router.
    pub drift: DriftWatches,
    /// The Applications as last seen by the watch.
    pub store: Mutex<HashMap<String, Application>>,
    /// What is remembered per Application.
    pub memory: Mutex<HashMap<String, Arc<AppMemory>>>,
}

impl Context {
    /// The Application `key` as last seen.
    pub fn app(&self, key: &str) -> Option<Application> {
        lock(&self.store).get(key).cloned()
    }

    /// `key`'s memory, created from `app`'s status the first time.
    pub fn memory_of(&self, key: &str, app: &Application) -> Arc<AppMemory> {
        Arc::clone(
            lock(&self.memory)
                .entry(key.to_owned())
                .or_insert_with(|| AppMemory::from_app(app)),
        )
    }
}

/// Locks a mutex, recovering from a panic elsewhere (the data stays consistent per entry).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reconciles `key` for `reasons` and returns what to do next.
pub async fn reconcile(ctx: &Context, key: &str, reasons: &BTreeSet<Trigger>) -> Action {
    let started = Instant::now();
    let Some(app) = ctx.app(key) else {
        return Action::AwaitChange;
    };
    let memory = ctx.memory_of(key, &app);
    // The store keeps no status once the memory holds the one written.
    let app = with_written_status(&app, &memory);
    let (action, result) = reconcile_app(ctx, &app, &memory, reasons).await;
    ctx.hub
        .metrics()
        .observe_reconcile(result, started.elapsed());
    tracing::debug!(app = %key, ?reasons, result, duration_ms = started.elapsed().as_millis() as u64, "reconciled");
    action
}

async fn reconcile_app(
    ctx: &Context,
    app: &Application,
    memory: &Arc<AppMemory>,
    reasons: &BTreeSet<Trigger>,
) -> (Action, &'static str) {
    if app.metadata.deletion_timestamp.is_some() {
        return (finalize(ctx, app).await, "deleting");
    }
    if app.spec.suspend {
        return (Action::AwaitChange, "suspended");
    }
    let interval = match interval_of(app) {
        Ok(interval) => interval,
        Err(message) => return (stall(ctx, app, memory, message).await, "stalled"),
    };
    if let Some(waiting) = unready_dependency(ctx, app) {
        wait_for_dependency(ctx, app, memory, &waiting).await;
        return (
            Action::Requeue(DEPENDENCY_RECHECK, Trigger::Dependency),
            "waiting",
        );
    }
    let destination = match ctx.hub.destinations().destination_for(app).await {
        Ok(destination) => destination,
        Err(error) if error.is_terminal() => {
            return (stall(ctx, app, memory, error.to_string()).await, "stalled")
        }
        Err(error) => {
            let outcome = failed_outcome(error.to_string(), false);
            return finish(ctx, app, memory, &outcome, interval).await;
        }
    };
    let request = match request_for(app, memory, reasons, interval) {
        Ok(request) => request,
        Err(message) => {
            let mut outcome = failed_outcome(message, true);
            outcome.compared_only = false;
            return finish(ctx, app, memory, &outcome, interval).await;
        }
    };
    let outcome = sync(ctx, app, memory, &destination.engine, request).await;
    if !outcome.resources.is_empty() {
        follow(ctx, app, memory, &destination, &outcome);
    }
    finish(ctx, app, memory, &outcome, interval).await
}

/// How long a deleting Application whose objects could not all be deleted waits to try again.
const DELETION_RETRY: Duration = Duration::from_secs(10);

/// A deleting Application: with the resources finalizer, deletes the objects it manages and
/// then removes the finalizer (the Application goes); without it, nothing.
async fn finalize(ctx: &Context, app: &Application) -> Action {
    if !finalizer::has_resources_finalizer(app) {
        return Action::AwaitChange;
    }
    let deleted = match ctx.hub.destinations().destination_for(app).await {
        Ok(destination) => destination
            .engine
            .delete_managed(app)
            .await
            .map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    let failure = match &deleted {
        Ok(changes) if !changes.has_failures() => None,
        Ok(changes) => Some(
            changes
                .entries
                .iter()
                .filter(|e| e.action == driftless_core::Action::Failed)
                .map(|e| format!("{}: {}", e.object, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(error) => Some(error.clone()),
    };
    let event = match (&failure, &deleted) {
        (Some(failure), _) => AppEvent::new(app, "DeletionFailed", true, "", failure),
        (None, Ok(changes)) => AppEvent::new(app, "Deleted", false, "", &changes.summary()),
        (None, Err(_)) => return Action::Requeue(DELETION_RETRY, Trigger::Retry),
    };
    if let Err(error) = events::record(ctx.hub.client(), app, &event).await {
        tracing::warn!(app = %app.key(), %error, "recording the Kubernetes Event failed");
    }
    ctx.hub.publish(event);
    if failure.is_some() {
        return Action::Requeue(DELETION_RETRY, Trigger::Retry);
    }
    match finalizer::remove_resources_finalizers(ctx.hub.client(), app).await {
        Ok(()) => Action::AwaitChange,
        Err(error) => {
            tracing::warn!(app = %app.key(), %error, "removing the resources finalizer failed");
            Action::Requeue(DELETION_RETRY, Trigger::Retry)
        }
    }
}

/// The request this reconcile makes: the Application's operation when it has one; otherwise
/// a sync of the target revision when automated (a drift repair re-syncs the last commit, and
/// compares only without selfHeal), or a comparison.
fn request_for(
    app: &Application,
    memory: &AppMemory,
    reasons: &BTreeSet<Trigger>,
    interval: Duration,
) -> Result<SyncRequest, String> {
    let pending = app
        .operation
        .as_ref()
        .filter(|operation| memory.lock().handled_operation.as_ref() != Some(*operation));
    if let Some(operation) = pending {
        if let Some(rollback) = &operation.rollback {
            let mut request =
                rollback_request(app, rollback.id, rollback.force).map_err(|e| e.to_string())?;
            request.wait = true;
            return Ok(request);
        }
        let sync = operation.sync.clone().unwrap_or_default();
        return Ok(SyncRequest {
            revision: Some(sync.revision).filter(|r| !r.is_empty()),
            prune: sync.prune,
            force: true,
            wait: true,
            ..SyncRequest::default()
        });
    }
    let automated = app.spec.sync_policy.automated.as_ref();
    let drift_only = reasons.iter().all(|r| *r == Trigger::Drift);
    let revision = memory.lock().revision.clone();
    let refs_max_age = if reasons.iter().all(|r| *r == Trigger::Interval) {
        poll_listing_max_age(interval)
    } else {
        Duration::ZERO
    };
    Ok(match automated {
        Some(policy) if drift_only => SyncRequest {
            revision,
            dry_run: !policy.self_heal,
            ..SyncRequest::default()
        },
        Some(_) => SyncRequest {
            refs_max_age,
            ..SyncRequest::default()
        },
        None => SyncRequest {
            dry_run: true,
            revision: if drift_only { revision } else { None },
            refs_max_age,
            ..SyncRequest::default()
        },
    })
}

/// How old a listing of the remote's refs an interval poll may use: a tenth of the interval
/// (the spread of the polls' jitter), at most 30 s. Webhooks, refreshes, changes and
/// operations always list afresh.
fn poll_listing_max_age(interval: Duration) -> Duration {
    (interval / 10).min(Duration::from_secs(30))
}

/// Runs the sync with the Application's live cache, forwarding progress lines of an
/// operation to its status and the event stream.
async fn sync(
    ctx: &Context,
    app: &Application,
    memory: &Arc<AppMemory>,
    engine: &Engine,
    mut request: SyncRequest,
) -> SyncOutcome {
    request.live_cache = Some(memory.cache.clone());
    let (progress, lines) = tokio::sync::mpsc::unbounded_channel();
    request.progress = Some(progress);
    let forwarder = tokio::spawn(forward_progress(ctx.hub.clone(), app.clone(), lines));
    let mut applied = std::mem::take(&mut memory.lock().applied);
    let outcome = engine.sync(app, &mut applied, &request).await;
    let changed_meanwhile = changed_during_sync(&applied, &memory.cache);
    memory.lock().applied = applied;
    if changed_meanwhile {
        ctx.hub.trigger(&app.key(), Trigger::Drift);
    }
    drop(request);
    let _ = forwarder.await;
    if let Some(took) = outcome.fetch_duration {
        ctx.hub.metrics().observe_git_fetch(took);
    }
    outcome
}

/// True when the watches saw a managed object at another resourceVersion than the one the
/// sync recorded: a change made while the sync ran, which the drift router could not judge
/// then (the applied state was being rewritten).
fn changed_during_sync(applied: &AppliedState, cache: &LiveCache) -> bool {
    applied.iter().any(|(key, recorded)| {
        cache
            .resource_version_at(key)
            .is_some_and(|live| live != recorded.resource_version)
    })
}

/// Writes each progress line as `status.operationState` (phase Running) and publishes it.
async fn forward_progress(
    hub: Hub,
    app: Application,
    mut lines: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let started = now_rfc3339();
    while let Some(line) = lines.recv().await {
        hub.publish(AppEvent::new(&app, "Progress", false, "", &line));
        let patch = serde_json::json!({"status": {"operationState": {
            "phase": "Running", "message": line, "startedAt": started, "finishedAt": null,
        }}});
        let api: kube::Api<Application> =
            kube::Api::namespaced(hub.client().clone(), app.namespace());
        if let Err(error) = api
            .patch_status(
                app.name(),
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(&patch),
            )
            .await
        {
            tracing::warn!(app = %app.key(), %error, "writing sync progress failed");
        }
    }
}

/// Follows the kinds of the outcome's resources for drift.
fn follow(
    ctx: &Context,
    app: &Application,
    memory: &Arc<AppMemory>,
    destination: &Destination,
    outcome: &SyncOutcome,
) {
    let kinds = outcome.kinds();
    ctx.drift.register(
        &app.key(),
        &destination.key,
        &app_label_value(app.namespace(), app.name()),
        kinds,
        app.spec
            .ignore_differences
            .iter()
            .any(|rule| !rule.managed_fields_managers.is_empty()),
        Arc::clone(&destination.engine),
        Arc::clone(memory),
    );
}

/// Writes the status after `outcome`, records events and metrics, clears the operation and
/// refresh request, wakes dependents, and decides the next step.
async fn finish(
    ctx: &Context,
    app: &Application,
    memory: &Arc<AppMemory>,
    outcome: &SyncOutcome,
    interval: Duration,
) -> (Action, &'static str) {
    let now = now_rfc3339();
    let times = Times {
        started: &now,
        finished: &now,
    };
    let base = with_written_status(app, memory);
    let status = status_after(&base, outcome, &memory.lock().applied, &times);
    if !outcome.revision.is_empty() && outcome.error.is_none() && !outcome.compared_only {
        memory.lock().revision = Some(outcome.revision.clone());
    }
    write_if_changed(ctx, app, memory, status.clone()).await;
    report(ctx, app, memory, outcome, &status).await;
    if app.operation.is_some() {
        memory.lock().handled_operation = app.operation.clone();
        if let Err(error) = requests::clear_operation(ctx.hub.client(), app).await {
            tracing::warn!(app = %app.key(), %error, "clearing the operation failed");
        }
    }
    if requests::wants_refresh(app) {
        if let Err(error) = requests::clear_refresh(ctx.hub.client(), app).await {
            tracing::warn!(app = %app.key(), %error, "clearing the refresh request failed");
        }
    }
    wake_dependents(ctx, app, memory, &status);
    let key = app.key();
    match &outcome.error {
        None if !outcome.changes.has_failures() => {
            memory.lock().failures = 0;
            (
                Action::Requeue(interval_with_jitter(&key, interval), Trigger::Interval),
                "success",
            )
        }
        _ if outcome.terminal => (Action::AwaitChange, "stalled"),
        _ => {
            let failures = {
                let mut remembered = memory.lock();
                remembered.failures = remembered.failures.saturating_add(1);
                remembered.failures
            };
            let action = match retry_delay(app, failures) {
                Some(delay) => Action::Requeue(delay, Trigger::Retry),
                None => Action::Requeue(interval_with_jitter(&key, interval), Trigger::Interval),
            };
            (action, "error")
        }
    }
}

/// `app` with the status this controller last wrote (the watch may not have delivered it yet).
fn with_written_status(app: &Application, memory: &AppMemory) -> Application {
    let mut base = app.clone();
    if let Some(written) = memory.lock().written.clone() {
        base.status = Some(written);
    }
    base
}

/// Writes `status` unless it is the one last written: a steady-state pass writes nothing.
async fn write_if_changed(
    ctx: &Context,
    app: &Application,
    memory: &AppMemory,
    status: ApplicationStatus,
) {
    if memory.lock().written.as_ref() == Some(&status) {
        return;
    }
    match write_status(ctx.hub.client(), app, &status).await {
        Ok(()) => memory.lock().written = Some(status),
        Err(error) => tracing::warn!(app = %app.key(), %error, "writing the status failed"),
    }
}

/// Events (a Kubernetes Event for every sync result, and for a new error or a newly
/// OutOfSync comparison), the event stream, and the metrics.
async fn report(
    ctx: &Context,
    app: &Application,
    memory: &AppMemory,
    outcome: &SyncOutcome,
    status: &ApplicationStatus,
) {
    let metrics = ctx.hub.metrics();
    metrics.set_app_status(
        app.namespace(),
        app.name(),
        &format!("{:?}", status.sync.status),
        &format!("{:?}", status.health.status),
    );
    let event = match (&outcome.error, outcome.operated) {
        (None, true) if outcome.succeeded() => {
            metrics.count_sync("succeeded");
            Some(AppEvent::new(
                app,
                "Synced",
                false,
                &outcome.revision,
                &outcome.changes.summary(),
            ))
        }
        (error, true) => {
            metrics.count_sync("failed");
            let message = error.clone().unwrap_or_else(|| outcome.changes.summary());
            Some(AppEvent::new(
                app,
                "SyncFailed",
                true,
                &outcome.revision,
                &message,
            ))
        }
        (Some(error), false) => {
            let reason = if outcome.terminal {
                "Stalled"
            } else {
                "SyncFailed"
            };
            let new = memory.lock().last_error.as_ref() != Some(error);
            new.then(|| AppEvent::new(app, reason, true, &outcome.revision, error))
        }
        (None, false) => {
            let was = memory.lock().written_sync;
            let out_of_sync =
                outcome.sync == SyncStatusCode::OutOfSync && was != Some(SyncStatusCode::OutOfSync);
            out_of_sync.then(|| {
                AppEvent::new(
                    app,
                    "OutOfSync",
                    false,
                    &outcome.revision,
                    "the cluster differs from Git",
                )
            })
        }
    };
    {
        let mut remembered = memory.lock();
        remembered.last_error = outcome.error.clone();
        remembered.written_sync = Some(status.sync.status);
    }
    if let Some(event) = event {
        if let Err(error) = events::record(ctx.hub.client(), app, &event).await {
            tracing::warn!(app = %app.key(), %error, "recording the Kubernetes Event failed");
        }
        ctx.hub.publish(event);
    }
}

/// A dependency of `app` that is not Ready (`namespace/name`), if any. What this controller
/// last wrote for the dependency is believed before the watch's copy, which may lag behind.
fn unready_dependency(ctx: &Context, app: &Application) -> Option<String> {
    let memory = lock(&ctx.memory);
    let store = lock(&ctx.store);
    app.spec.depends_on.iter().find_map(|dependency| {
        let namespace = if dependency.namespace.is_empty() {
            app.namespace()
        } else {
            &dependency.namespace
        };
        let key = format!("{namespace}/{}", dependency.name);
        let ready = match memory.get(&key) {
            Some(remembered) => remembered.lock().ready,
            None => store
                .get(&key)
                .and_then(|d| d.status.as_ref())
                .is_some_and(is_ready),
        };
        (!ready).then_some(key)
    })
}

/// Marks `app` as waiting for `dependency` (Ready=False, Reconciling=True).
async fn wait_for_dependency(
    ctx: &Context,
    app: &Application,
    memory: &AppMemory,
    dependency: &str,
) {
    let message = format!("waiting for {dependency} to be Ready");
    let mut status = with_written_status(app, memory).status.unwrap_or_default();
    status.conditions = vec![
        condition(app, &status, "Ready", false, "DependencyNotReady", &message),
        condition(
            app,
            &status,
            "Reconciling",
            true,
            "DependencyNotReady",
            &message,
        ),
    ];
    write_if_changed(ctx, app, memory, status).await;
}

/// Marks `app` Stalled for an error only a change to it fixes, and waits for that change.
async fn stall(
    ctx: &Context,
    app: &Application,
    memory: &Arc<AppMemory>,
    message: String,
) -> Action {
    let outcome = failed_outcome(message, true);
    let _ = finish(ctx, app, memory, &outcome, Duration::MAX).await;
    Action::AwaitChange
}

/// An outcome that failed before the engine ran.
fn failed_outcome(message: String, terminal: bool) -> SyncOutcome {
    SyncOutcome {
        error: Some(message),
        terminal,
        compared_only: true,
        ..SyncOutcome::default()
    }
}

/// A condition that keeps its transition time when its status did not change.
fn condition(
    app: &Application,
    status: &ApplicationStatus,
    type_: &str,
    value: bool,
    reason: &str,
    message: &str,
) -> Condition {
    let value = if value { "True" } else { "False" };
    let previous = status
        .conditions
        .iter()
        .find(|c| c.type_ == type_ && c.status == value);
    Condition {
        type_: type_.to_owned(),
        status: value.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        last_transition_time: previous
            .map(|c| c.last_transition_time.clone())
            .unwrap_or_else(now_rfc3339),
        observed_generation: app.metadata.generation,
    }
}

/// When `app` just became Ready, triggers every Application that depends on it.
fn wake_dependents(
    ctx: &Context,
    app: &Application,
    memory: &AppMemory,
    status: &ApplicationStatus,
) {
    let ready = is_ready(status) && status.health.status == HealthStatus::Healthy;
    let became_ready = {
        let mut remembered = memory.lock();
        let became = ready && !remembered.ready;
        remembered.ready = ready;
        became
    };
    if !became_ready {
        return;
    }
    let (namespace, name) = (app.namespace(), app.name());
    let dependents: Vec<String> = lock(&ctx.store)
        .values()
        .filter(|other| {
            other.spec.depends_on.iter().any(|d| {
                d.name == name
                    && (d.namespace == namespace
                        || (d.namespace.is_empty() && other.namespace() == namespace))
            })
        })
        .map(Application::key)
        .collect();
    for dependent in dependents {
        ctx.hub.trigger(&dependent, Trigger::Dependency);
    }
}
