//! Part 2: re-syncs with nothing changed: their times, the requests they make, the
//! resourceVersions they leave alone, what their parts cost alone, and the same re-syncs with
//! a status-less Application, with a watch-fed live cache and with force.

use std::path::Path;
use std::time::{Duration, Instant};

use driftless::sync::status::{now_rfc3339, status_after, Times};
use driftless::sync::{AppliedState, Engine, LiveCache, SyncOutcome, SyncRequest};
use driftless_core::application::Application;
use driftless_core::{tracking, ObjectRef};
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;

use crate::cluster::{create_namespace, start_cluster, versions, wait_deployments_ready};
use crate::engine::{check, counters, delta, engine, no_wait, parse_app};
use crate::fixture::{application, MIX};

pub struct Resync {
    pub wait_true_first: Duration,
    pub times: Vec<Duration>,
    pub first_run_dry_runs: u64,
    pub later_dry_runs: u64,
    pub gets: u64,
    pub lists: u64,
    pub dry_runs: u64,
    pub writes: u64,
    pub moved: usize,
    pub objects: usize,
    pub without_status: Vec<Duration>,
    pub without_status_lists: u64,
    pub after_no_wait: (Duration, u64, u64),
    pub forced: (Duration, u64, u64, u64),
    pub list_cost: Vec<Duration>,
    pub ls_remote_cost: Vec<Duration>,
    pub cached: Vec<Duration>,
    pub cached_requests: (u64, u64, u64, u64),
}

/// Runs `runs` no-op syncs; returns their times and per-run (gets, lists, dry-runs, writes).
async fn resyncs(
    engine: &Engine,
    app: &Application,
    state: &mut AppliedState,
    runs: usize,
) -> (Vec<Duration>, Vec<(u64, u64, u64, u64)>) {
    let mut times = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..runs {
        let before = counters(engine);
        let started = Instant::now();
        let outcome = engine.sync(app, state, &no_wait()).await;
        times.push(started.elapsed());
        requests.push(delta(counters(engine), before));
        check(&outcome, "no-op re-sync");
    }
    (times, requests)
}

/// The status a controller (or the watch mode) keeps after `outcome`: it carries the
/// inventory, so the next sync need not list to find it.
fn with_status(app: &Application, outcome: &SyncOutcome, state: &AppliedState) -> Application {
    let now = now_rfc3339();
    let times = Times {
        started: &now,
        finished: &now,
    };
    let mut app = app.clone();
    app.status = Some(status_after(&app, outcome, state, &times));
    app
}

/// What two parts of a re-sync cost on their own: the engine's labelled LIST of each of the
/// four kinds, and `git ls-remote` of the repository.
async fn part_costs(
    engine: &Engine,
    repo: &Path,
    app_name: &str,
    runs: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let selector = format!(
        "{}={}",
        tracking::APP_LABEL,
        tracking::app_label_value("default", app_name)
    );
    let mut lists = Vec::new();
    let mut ls_remotes = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        for (kind, _) in MIX {
            let probe = ObjectRef {
                group: if kind == "Deployment" { "apps" } else { "" }.to_owned(),
                version: "v1".to_owned(),
                kind: kind.to_owned(),
                ..ObjectRef::default()
            };
            let resolved = engine.manager().resolve(&probe).await.expect("served");
            engine
                .manager()
                .list(&resolved, "", &selector)
                .await
                .expect("list");
        }
        lists.push(started.elapsed());
        let started = Instant::now();
        let status = tokio::process::Command::new("git")
            .arg("ls-remote")
            .arg(repo)
            .arg("main")
            .stdout(std::process::Stdio::null())
            .status()
            .await
            .expect("git ls-remote");
        assert!(status.success());
        ls_remotes.push(started.elapsed());
    }
    (lists, ls_remotes)
}

/// The kinds of the mix as the engine keys them: (group, version, kind).
fn mix_kinds() -> Vec<(String, String, String)> {
    MIX.iter()
        .map(|(kind, _)| {
            let group = if *kind == "Deployment" { "apps" } else { "" };
            (group.to_owned(), "v1".to_owned(), (*kind).to_owned())
        })
        .collect()
}

/// Feeds `cache` from one label-selected watch per kind of the mix, as the watch mode does.
fn feed_cache(
    client: &kube::Client,
    cache: &LiveCache,
    selector: &str,
) -> Vec<tokio::task::JoinHandle<()>> {
    mix_kinds()
        .into_iter()
        .map(|kind| {
            let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(&kind.0, &kind.1, &kind.2));
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            let config = watcher::Config::default().labels(selector);
            let cache = cache.clone();
            tokio::spawn(async move {
                let stream = watcher::watcher(api, config).default_backoff();
                tokio::pin!(stream);
                while let Some(event) = stream.next().await {
                    let object = match event {
                        Ok(Event::Init) => {
                            cache.relisting(&kind);
                            continue;
                        }
                        Ok(Event::InitDone) => {
                            cache.listed(&kind);
                            continue;
                        }
                        Ok(Event::Apply(o) | Event::InitApply(o)) => (o, false),
                        Ok(Event::Delete(o)) => (o, true),
                        Err(_) => continue,
                    };
                    let (object, deleted) = object;
                    let object_ref = ObjectRef {
                        group: kind.0.clone(),
                        version: kind.1.clone(),
                        kind: kind.2.clone(),
                        namespace: object.metadata.namespace.clone().unwrap_or_default(),
                        name: object.metadata.name.clone().unwrap_or_default(),
                    };
                    if deleted {
                        cache.remove(&object_ref);
                    } else if let Ok(value) = serde_json::to_value(object) {
                        cache.upsert(&object_ref, value);
                    }
                }
            })
        })
        .collect()
}

pub async fn resync(repo: &Path, scratch: &Path, runs: usize) -> Resync {
    let cluster = start_cluster().await;
    let client = cluster.client();
    create_namespace(&client, "bench-resync").await;
    create_namespace(&client, "bench-nowait").await;
    let request = no_wait();
    let waiting = SyncRequest {
        wait: true,
        ..SyncRequest::default()
    };

    // A wait: false first sync, re-synced once the simulator has written the Deployments'
    // status; then re-synced again and again without a status on the Application.
    let nowait_app = parse_app(&application("nowait", repo, "app", "bench-nowait"));
    let nowait = engine(&cluster, &scratch.join("cache-nowait"));
    let mut nowait_state = AppliedState::default();
    check(
        &nowait.sync(&nowait_app, &mut nowait_state, &request).await,
        "wait: false first sync",
    );
    wait_deployments_ready(&client, "bench-nowait").await;
    let before = counters(&nowait);
    let started = Instant::now();
    check(
        &nowait.sync(&nowait_app, &mut nowait_state, &request).await,
        "re-sync after wait: false",
    );
    let took = started.elapsed();
    let d = delta(counters(&nowait), before);
    let after_no_wait = (took, d.2, d.3);
    let (without_status, requests) = resyncs(&nowait, &nowait_app, &mut nowait_state, runs).await;
    let without_status_lists = requests.iter().map(|r| r.1).sum();
    drop(nowait);

    // The measured engine: a wait: true first sync, then no-op re-syncs with its AppliedState
    // and the status a controller would have written.
    let app = parse_app(&application("resync", repo, "app", "bench-resync"));
    let engine = engine(&cluster, &scratch.join("cache-resync"));
    let mut state = AppliedState::default();
    let started = Instant::now();
    let outcome = engine.sync(&app, &mut state, &waiting).await;
    let wait_true_first = started.elapsed();
    check(&outcome, "wait: true first sync");
    let app = with_status(&app, &outcome, &state);
    wait_deployments_ready(&client, "bench-resync").await;
    let live_before = versions(&client, "bench-resync").await;
    let (times, requests) = resyncs(&engine, &app, &mut state, runs).await;
    let sum = |f: fn(&(u64, u64, u64, u64)) -> u64| requests.iter().map(f).sum::<u64>();
    let live_after = versions(&client, "bench-resync").await;
    let moved = live_before
        .iter()
        .filter(|(k, rv)| live_after.get(*k) != Some(*rv))
        .count()
        + live_after.len().saturating_sub(live_before.len());
    let (list_cost, ls_remote_cost) = part_costs(&engine, repo, "resync", runs).await;

    // The same re-syncs reading a live cache fed by watches, as the watch mode runs them.
    let cache = LiveCache::default();
    let selector = format!(
        "{}={}",
        tracking::APP_LABEL,
        tracking::app_label_value("default", "resync")
    );
    let feeders = feed_cache(&client, &cache, &selector);
    for _ in 0..400 {
        if mix_kinds().iter().all(|k| cache.objects_of(k).is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cached_request = SyncRequest {
        live_cache: Some(cache.clone()),
        ..no_wait()
    };
    let mut cached = Vec::new();
    let before = counters(&engine);
    for _ in 0..runs {
        let started = Instant::now();
        let outcome = engine.sync(&app, &mut state, &cached_request).await;
        cached.push(started.elapsed());
        check(&outcome, "cached re-sync");
    }
    let cached_requests = delta(counters(&engine), before);
    for feeder in feeders {
        feeder.abort();
    }

    // What `driftless sync -f` asks for: force: true (and wait: true).
    let before = counters(&engine);
    let started = Instant::now();
    let forced_request = SyncRequest {
        force: true,
        wait: true,
        ..SyncRequest::default()
    };
    check(
        &engine.sync(&app, &mut state, &forced_request).await,
        "forced re-sync",
    );
    let took = started.elapsed();
    let d = delta(counters(&engine), before);

    Resync {
        wait_true_first,
        first_run_dry_runs: requests.first().map_or(0, |r| r.2),
        later_dry_runs: requests.iter().skip(1).map(|r| r.2).sum(),
        times,
        gets: sum(|r| r.0),
        lists: sum(|r| r.1),
        dry_runs: sum(|r| r.2),
        writes: sum(|r| r.3),
        moved,
        objects: live_before.len(),
        without_status,
        without_status_lists,
        after_no_wait,
        forced: (took, d.0, d.2, d.3),
        list_cost,
        ls_remote_cost,
        cached,
        cached_requests,
    }
}
