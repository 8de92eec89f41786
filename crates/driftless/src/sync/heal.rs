//! Keeping one Application in sync on its own: sync, then watch the managed objects (one
//! label-selected watch per kind) and sync again when one of them changes in a way our own
//! writes do not explain (self-heal), and poll the source every interval. Our writes never
//! trigger a loop: an event whose resourceVersion is the one the last sync recorded is ours.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use driftless_core::application::Application;
use driftless_core::ObjectRef;
use futures::StreamExt;
use kube::api::DynamicObject;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Api;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::status::{now_rfc3339, status_after, Times};
use super::{AppliedState, Engine, SyncOutcome, SyncRequest};
use crate::cluster::{KindKey, LiveCache};

/// How long to wait after a change for more changes before syncing, so a burst is one sync.
const DEBOUNCE: Duration = Duration::from_millis(10);
/// While a sync runs, the target revision is checked at most this far apart for a newer commit.
const NEWER_COMMIT_CHECK: Duration = Duration::from_secs(10);
/// The source is polled this often when the Application does not say (`spec.interval`).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(180);

/// Receives every sync result of [`keep_in_sync`], to print it or write the status.
pub trait Reporter {
    /// Called after each sync with the Application (its status already updated from the
    /// outcome) and what the sync did.
    fn report(
        &mut self,
        app: &Application,
        outcome: &SyncOutcome,
    ) -> impl Future<Output = ()> + Send;
}

/// A managed object changed (`resource_version` set) or disappeared (`None`).
#[derive(Debug)]
struct Change {
    object: ObjectRef,
    resource_version: Option<String>,
}

/// The poll interval of `app`: `spec.interval` as a Go duration, [`DEFAULT_INTERVAL`] when
/// unset, and an error naming the field when it does not parse or is not positive.
pub fn interval_of(app: &Application) -> Result<Duration, String> {
    let text = app.spec.interval.trim();
    if text.is_empty() {
        return Ok(DEFAULT_INTERVAL);
    }
    let parsed: kube::core::Duration = text
        .parse()
        .map_err(|e| format!("spec.interval {text:?} is not a duration: {e}"))?;
    let duration: Duration = parsed.into();
    if parsed.is_negative() || duration.is_zero() {
        return Err(format!("spec.interval {text:?} must be positive"));
    }
    Ok(duration)
}

/// Syncs `app` now and then keeps it in sync until `shutdown` completes: on every change to a
/// managed object that our own writes do not explain, a sync of the last revision (with
/// `selfHeal`; without it a comparison only, so the status shows OutOfSync), and every
/// `interval` a sync of the target revision. A sync still running (waiting for a wave's
/// health, say) when a newer commit arrives is abandoned for it, and `shutdown` stops it too.
/// Each result goes to `reporter`.
pub async fn keep_in_sync(
    engine: Arc<Engine>,
    mut app: Application,
    mut state: AppliedState,
    interval: Duration,
    reporter: &mut impl Reporter,
    shutdown: impl Future<Output = ()>,
) {
    let (changes_tx, mut changes) = mpsc::channel::<Change>(1024);
    let mut watches = Watches::default();
    let cache = LiveCache::default();
    let mut revision: Option<String> = None;
    let mut next_poll = Instant::now();
    tokio::pin!(shutdown);
    if app.spec.suspend {
        tracing::info!(app = %app.key(), "spec.suspend is set: nothing is synced until it is cleared");
        shutdown.await;
        return;
    }
    loop {
        let mut poll = false;
        let mut drift = false;
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep_until(next_poll) => poll = true,
            Some(change) = changes.recv() => drift = is_drift(&change, &state),
        }
        if drift {
            drift = drain_burst(&mut changes, &state).await || drift;
        }
        if !poll && !drift {
            continue;
        }
        let mut request = request_for(&app, poll, revision.as_deref());
        request.live_cache = Some(cache.clone());
        if poll {
            if let Ok(commit) = engine.target_commit(&app).await {
                request.revision = Some(commit);
            }
        }
        let pinned = request.revision.clone();
        let started = now_rfc3339();
        let clock = Instant::now();
        let outcome = tokio::select! {
            outcome = engine.sync(&app, &mut state, &request) => outcome,
            () = &mut shutdown => break,
            newer = newer_commit(&engine, &app, pinned.as_deref(), interval.min(NEWER_COMMIT_CHECK)) => {
                tracing::info!(
                    app = %app.key(),
                    abandoned = pinned.as_deref().unwrap_or_default(),
                    newer = %newer,
                    "a newer revision arrived; the sync in progress is abandoned"
                );
                next_poll = Instant::now();
                continue;
            }
        };
        tracing::info!(
            app = %app.key(),
            revision = %outcome.revision,
            trigger = if poll { "interval" } else { "drift" },
            duration_ms = clock.elapsed().as_millis() as u64,
            result = %outcome.error.clone().unwrap_or_else(|| outcome.changes.summary()),
            "synced"
        );
        if !outcome.revision.is_empty() {
            revision = Some(outcome.revision.clone());
        }
        let times = Times {
            started: &started,
            finished: &now_rfc3339(),
        };
        app.status = Some(status_after(&app, &outcome, &state, &times));
        if !outcome.resources.is_empty() {
            watches.follow(&engine, &app, &outcome, &cache, &changes_tx);
        }
        reporter.report(&app, &outcome).await;
        if poll {
            next_poll = Instant::now() + interval;
        }
    }
    watches.stop();
}

/// Completes with the target revision's commit once it is no longer `pinned`, checking every
/// `every`; never completes when nothing is pinned. A sync waiting for health is abandoned for
/// a newer revision instead of holding it back (kustomize-controller#701).
async fn newer_commit(
    engine: &Engine,
    app: &Application,
    pinned: Option<&str>,
    every: Duration,
) -> String {
    let Some(pinned) = pinned else {
        return std::future::pending().await;
    };
    loop {
        tokio::time::sleep(every).await;
        if let Ok(commit) = engine.target_commit(app).await {
            if commit != pinned {
                return commit;
            }
        }
    }
}

/// A poll syncs the target revision; a drift repair re-syncs the last revision (no listing of
/// the remote) and, without selfHeal, only compares.
fn request_for(app: &Application, poll: bool, revision: Option<&str>) -> SyncRequest {
    let self_heal = app
        .spec
        .sync_policy
        .automated
        .as_ref()
        .is_some_and(|a| a.self_heal);
    let automated = app.is_automated();
    SyncRequest {
        revision: if poll {
            None
        } else {
            revision.map(str::to_owned)
        },
        dry_run: if poll { !automated } else { !self_heal },
        ..SyncRequest::default()
    }
}

/// True when `change` is not explained by the last sync: a managed object deleted, or at
/// another resourceVersion than the one recorded after our write.
fn is_drift(change: &Change, state: &AppliedState) -> bool {
    match (state.get(&change.object), &change.resource_version) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(recorded), Some(live)) => &recorded.resource_version != live,
    }
}

/// Takes the changes that arrive within [`DEBOUNCE`]; true when one of them is drift.
async fn drain_burst(changes: &mut mpsc::Receiver<Change>, state: &AppliedState) -> bool {
    let mut drift = false;
    let deadline = Instant::now() + DEBOUNCE;
    while let Ok(Some(change)) = tokio::time::timeout_at(deadline, changes.recv()).await {
        drift |= is_drift(&change, state);
    }
    drift
}

/// One watch task per managed kind, restarted when the set of kinds changes.
#[derive(Default)]
struct Watches {
    tasks: BTreeMap<KindKey, JoinHandle<()>>,
}

impl Watches {
    /// Watches exactly the kinds of the outcome's resources.
    fn follow(
        &mut self,
        engine: &Arc<Engine>,
        app: &Application,
        outcome: &SyncOutcome,
        cache: &LiveCache,
        changes: &mpsc::Sender<Change>,
    ) {
        let kinds = outcome.kinds();
        self.tasks.retain(|kind, task| {
            let keep = kinds.contains(kind);
            if !keep {
                task.abort();
                cache.forget_kind(kind);
            }
            keep
        });
        let selector = app.selector();
        for kind in kinds {
            if self.tasks.contains_key(&kind) {
                continue;
            }
            let watch = KindWatch {
                engine: Arc::clone(engine),
                kind: kind.clone(),
                selector: selector.clone(),
                cache: cache.clone(),
                changes: changes.clone(),
            };
            let task = tokio::spawn(watch.run());
            self.tasks.insert(kind, task);
        }
    }

    fn stop(self) {
        for task in self.tasks.into_values() {
            task.abort();
        }
    }
}

/// The watch of the labelled objects of one kind: feeds the cache and reports each change.
struct KindWatch {
    engine: Arc<Engine>,
    kind: KindKey,
    selector: String,
    cache: LiveCache,
    changes: mpsc::Sender<Change>,
}

impl KindWatch {
    /// Runs until the receiver of changes is gone or the kind cannot be resolved.
    async fn run(self) {
        let probe = ObjectRef {
            group: self.kind.0.clone(),
            version: self.kind.1.clone(),
            kind: self.kind.2.clone(),
            ..ObjectRef::default()
        };
        let Ok(resolved) = self.engine.manager().resolve(&probe).await else {
            return;
        };
        let api: Api<DynamicObject> =
            Api::all_with(self.engine.manager().client().clone(), &resolved.resource);
        let config = watcher::Config::default().labels(&self.selector);
        let stream = watcher::watcher(api, config).default_backoff();
        tokio::pin!(stream);
        while let Some(event) = stream.next().await {
            let (object, deleted) = match event {
                Ok(Event::Apply(object) | Event::InitApply(object)) => (object, false),
                Ok(Event::Delete(object)) => (object, true),
                Ok(Event::Init) => {
                    self.cache.relisting(&self.kind);
                    continue;
                }
                Ok(Event::InitDone) => {
                    self.cache.listed(&self.kind);
                    continue;
                }
                Err(error) => {
                    tracing::warn!(kind = %probe.kind, %error, "watch of managed objects failed; retrying");
                    continue;
                }
            };
            let object_ref = ObjectRef {
                namespace: object.metadata.namespace.clone().unwrap_or_default(),
                name: object.metadata.name.clone().unwrap_or_default(),
                ..probe.clone()
            };
            let resource_version = if deleted {
                self.cache.remove(&object_ref);
                None
            } else {
                let resource_version = object.metadata.resource_version.clone();
                if let Ok(value) = serde_json::to_value(object) {
                    self.cache.upsert(&object_ref, value);
                }
                resource_version
            };
            let change = Change {
                object: object_ref,
                resource_version,
            };
            if self.changes.send(change).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn app(interval: &str) -> Application {
        serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"source": {"repoURL": "r"}, "interval": interval}
        }))
        .unwrap()
    }

    #[test]
    fn interval_reads_go_durations() {
        assert_eq!(interval_of(&app("")).unwrap(), DEFAULT_INTERVAL);
        assert_eq!(interval_of(&app("1m30s")).unwrap(), Duration::from_secs(90));
        assert!(interval_of(&app("soon"))
            .unwrap_err()
            .contains("spec.interval"));
        assert!(interval_of(&app("0s")).unwrap_err().contains("positive"));
    }

    #[test]
    fn our_own_resource_version_is_not_drift() {
        let object = ObjectRef {
            version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: "n".into(),
            name: "c".into(),
            ..ObjectRef::default()
        };
        let mut state = AppliedState::default();
        let live = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "resourceVersion": "7"}});
        state.record(&object, "h", &live);
        let change = |rv: Option<&str>| Change {
            object: object.clone(),
            resource_version: rv.map(str::to_owned),
        };
        assert!(!is_drift(&change(Some("7")), &state));
        assert!(is_drift(&change(Some("8")), &state));
        assert!(is_drift(&change(None), &state));
        assert!(
            !is_drift(&change(Some("8")), &AppliedState::default()),
            "not managed"
        );
    }
}
