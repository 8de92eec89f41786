//! Sync engine benchmark against an in-process devcluster (in memory, workload simulator on):
//! first sync of a 1,000-object Application through the library versus `kubectl apply
//! --server-side` of the same files, a re-sync with nothing changed (time, dry-runs, writes,
//! resourceVersions), and drift repair latency of `driftless sync -f app.yaml --watch`.
//! Prints a table.
//!
//! Run: `cargo bench -p driftless --bench sync` (BENCH_ROUNDS, default 3, first-sync rounds;
//! BENCH_RESYNCS, default 20, no-op re-syncs; BENCH_DRIFTS, default 20, drift repairs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use devcluster::{DevCluster, DevClusterConfig};
use driftless::cluster::ResourceManager;
use driftless::sync::status::{now_rfc3339, status_after, Times};
use driftless::sync::{AppliedState, Engine, LiveCache, Settings, SyncOutcome, SyncRequest};
use driftless_core::application::Application;
use driftless_core::{tracking, ObjectRef};
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;

/// Delay of the workload simulator before Deployments report ready.
const SIMULATOR_DELAY: Duration = Duration::from_millis(100);
/// The mix of the big Application: (kind, count).
const MIX: [(&str, usize); 4] = [
    ("ConfigMap", 700),
    ("Secret", 150),
    ("Service", 100),
    ("Deployment", 50),
];
/// ConfigMaps in the Application whose drift is repaired.
const HEAL_OBJECTS: usize = 50;
/// The value Git declares for `data.k` of the ConfigMaps.
const GIT_VALUE: &str = "from-git";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The element at percentile `p` (0-100) of sorted `values`, nearest rank.
fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    pct(&sorted, 50.0)
}

// ---------------------------------------------------------------- the Git repository

fn configmap(name: &str, i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/part-of: bench\n    shard: \"{}\"\ndata:\n  k: {GIT_VALUE}\n  index: \"{i}\"\n  settings.yaml: |\n    replicas: 3\n    image: nginx:1.27\n    port: 8080\n",
        i % 10
    )
}

fn secret(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\ntype: Opaque\ndata:\n  username: YmVuY2g=\n  password: cGFzc3dvcmQtZm9yLWJlbmNo\n"
    )
}

fn service(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\nspec:\n  selector:\n    app: web-{:04}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n    protocol: TCP\n",
        i % 50
    )
}

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web-{i:04}\n  template:\n    metadata:\n      labels:\n        app: web-{i:04}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 8080\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n"
    )
}

fn git(repo: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// A repository with `app/` (the 1,000-object mix, one file per object) and `small/` (50
/// ConfigMaps), committed on `main`.
fn make_repo(repo: &Path) {
    let big = repo.join("app");
    let small = repo.join("small");
    std::fs::create_dir_all(&big).expect("mkdir");
    std::fs::create_dir_all(&small).expect("mkdir");
    for (kind, count) in MIX {
        for i in 0..count {
            let (file, text) = match kind {
                "ConfigMap" => (
                    format!("cm-{i:04}.yaml"),
                    configmap(&format!("cm-{i:04}"), i),
                ),
                "Secret" => (format!("secret-{i:04}.yaml"), secret(i)),
                "Service" => (format!("svc-{i:04}.yaml"), service(i)),
                _ => (format!("web-{i:04}.yaml"), deployment(i)),
            };
            std::fs::write(big.join(file), text).expect("write manifest");
        }
    }
    for i in 0..HEAL_OBJECTS {
        let name = format!("heal-{i:02}");
        std::fs::write(small.join(format!("{name}.yaml")), configmap(&name, i))
            .expect("write manifest");
    }
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "bench manifests"]);
}

fn application(name: &str, repo: &Path, path: &str, namespace: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  source: {{repoURL: \"{}\", targetRevision: main, path: {path}}}\n  destination: {{name: in-cluster, namespace: {namespace}}}\n  syncPolicy:\n    automated: {{prune: true, selfHeal: true}}\n",
        repo.display()
    )
}

// ---------------------------------------------------------------- cluster helpers

async fn start_cluster() -> DevCluster {
    DevCluster::start(DevClusterConfig {
        simulate: Some(SIMULATOR_DELAY),
        ..DevClusterConfig::default()
    })
    .await
    .expect("devcluster starts")
}

fn api_of(
    client: &kube::Client,
    group: &str,
    version: &str,
    kind: &str,
    ns: &str,
) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    Api::namespaced_with(client.clone(), ns, &ar)
}

fn kind_api(client: &kube::Client, kind: &str, ns: &str) -> Api<DynamicObject> {
    match kind {
        "Deployment" => api_of(client, "apps", "v1", kind, ns),
        _ => api_of(client, "", "v1", kind, ns),
    }
}

async fn create_namespace(client: &kube::Client, name: &str) {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", "Namespace"));
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let ns: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}
    }))
    .expect("namespace");
    api.create(&Default::default(), &ns)
        .await
        .expect("create namespace");
}

/// `kind/name -> resourceVersion` of every object of the mix in `ns`.
async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (kind, _) in MIX {
        let list = kind_api(client, kind, ns)
            .list(&ListParams::default())
            .await
            .expect("list");
        for o in list.items {
            out.insert(
                format!("{kind}/{}", o.metadata.name.unwrap_or_default()),
                o.metadata.resource_version.unwrap_or_default(),
            );
        }
    }
    out
}

async fn count_objects(client: &kube::Client, ns: &str) -> usize {
    versions(client, ns).await.len()
}

/// Waits until every Deployment in `ns` reports all replicas ready.
async fn wait_deployments_ready(client: &kube::Client, ns: &str) {
    let api = kind_api(client, "Deployment", ns);
    for _ in 0..600 {
        let list = api.list(&ListParams::default()).await.expect("list");
        let ready = list.items.iter().all(|d| {
            let want = d.data.pointer("/spec/replicas").and_then(|v| v.as_i64());
            let have = d
                .data
                .pointer("/status/readyReplicas")
                .and_then(|v| v.as_i64());
            want.is_some() && want == have
        });
        if ready && !list.items.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Deployments in {ns} never became ready");
}

fn write_kubeconfig(cluster: &DevCluster, dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, cluster.kubeconfig()).expect("write kubeconfig");
    path
}

async fn kubectl(kubeconfig: &Path, args: &[&str]) -> std::process::Output {
    let output = tokio::process::Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .await
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

// ---------------------------------------------------------------- the engine

fn engine(cluster: &DevCluster, cache: &Path) -> Engine {
    let git = Source::open(SourceConfig::new(cache)).expect("repository cache");
    Engine::new(
        Arc::new(ResourceManager::new(cluster.client())),
        Arc::new(git),
        Arc::new(Renderer::from_path()),
        Settings::default(),
    )
}

/// What the measured syncs ask for: the target revision, no final health wait.
fn no_wait() -> SyncRequest {
    SyncRequest {
        wait: false,
        ..SyncRequest::default()
    }
}

fn parse_app(text: &str) -> Application {
    serde_saphyr::from_str(text).expect("valid Application")
}

fn check(outcome: &SyncOutcome, what: &str) {
    assert!(
        outcome.succeeded(),
        "{what} failed: {:?}",
        outcome.error.as_deref()
    );
}

/// Counters of the engine's ResourceManager: (gets, lists, dry-runs, writes).
fn counters(engine: &Engine) -> (u64, u64, u64, u64) {
    let stats = engine.manager().stats();
    let (dry_runs, writes) = stats.dry_runs_and_writes();
    (
        stats.gets.load(Ordering::Relaxed),
        stats.lists.load(Ordering::Relaxed),
        dry_runs,
        writes,
    )
}

fn delta(after: (u64, u64, u64, u64), before: (u64, u64, u64, u64)) -> (u64, u64, u64, u64) {
    (
        after.0 - before.0,
        after.1 - before.1,
        after.2 - before.2,
        after.3 - before.3,
    )
}

// ---------------------------------------------------------------- part 1: first sync

struct FirstSync {
    driftless: Duration,
    kubectl: Duration,
}

/// One round on a fresh cluster: the library syncs the app into `bench-driftless`, kubectl
/// applies the same files into `bench-kubectl`; the order alternates between rounds.
async fn first_sync_round(repo: &Path, round: usize, scratch: &Path) -> FirstSync {
    let cluster = start_cluster().await;
    let client = cluster.client();
    create_namespace(&client, "bench-driftless").await;
    create_namespace(&client, "bench-kubectl").await;
    let kubeconfig = write_kubeconfig(&cluster, scratch);
    let app = parse_app(&application("bench", repo, "app", "bench-driftless"));
    let cache = scratch.join(format!("cache-{round}"));
    let total: usize = MIX.iter().map(|(_, n)| n).sum();

    let run_driftless = || async {
        let engine = engine(&cluster, &cache);
        let mut state = AppliedState::default();
        let started = Instant::now();
        let outcome = engine.sync(&app, &mut state, &no_wait()).await;
        let took = started.elapsed();
        check(&outcome, "first sync");
        took
    };
    let dir = repo.join("app");
    let dir = dir.to_str().expect("utf-8 path");
    let run_kubectl = || async {
        let started = Instant::now();
        kubectl(
            &kubeconfig,
            &["apply", "--server-side", "-n", "bench-kubectl", "-f", dir],
        )
        .await;
        started.elapsed()
    };
    let (driftless, kubectl) = if round.is_multiple_of(2) {
        let d = run_driftless().await;
        (d, run_kubectl().await)
    } else {
        let k = run_kubectl().await;
        (run_driftless().await, k)
    };
    assert_eq!(count_objects(&client, "bench-driftless").await, total);
    assert_eq!(count_objects(&client, "bench-kubectl").await, total);
    FirstSync { driftless, kubectl }
}

// ---------------------------------------------------------------- part 2: re-sync

struct Resync {
    wait_true_first: Duration,
    times: Vec<Duration>,
    first_run_dry_runs: u64,
    later_dry_runs: u64,
    gets: u64,
    lists: u64,
    dry_runs: u64,
    writes: u64,
    moved: usize,
    objects: usize,
    without_status: Vec<Duration>,
    without_status_lists: u64,
    after_no_wait: (Duration, u64, u64),
    forced: (Duration, u64, u64, u64),
    list_cost: Vec<Duration>,
    ls_remote_cost: Vec<Duration>,
    cached: Vec<Duration>,
    cached_requests: (u64, u64, u64, u64),
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

async fn resync(repo: &Path, scratch: &Path, runs: usize) -> Resync {
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

// ---------------------------------------------------------------- part 3: drift repair

struct Repair {
    from_kubectl: Vec<Duration>,
    from_event: Vec<Duration>,
    before_kubectl_returned: usize,
}

fn driftless_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_driftless"))
}

/// True when `driftless sync --help` offers `--watch`.
fn watch_mode_available() -> bool {
    std::process::Command::new(driftless_binary())
        .args(["sync", "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("--watch"))
        .unwrap_or(false)
}

fn data_k(o: &DynamicObject) -> Option<String> {
    o.data
        .pointer("/data/k")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// Patches `name` with `value` by kubectl and waits (watching) until Git's value is back.
/// Returns (restored - kubectl returned, restored - drift event seen), or None on timeout.
async fn one_drift(
    api: &Api<DynamicObject>,
    kubeconfig: &Path,
    name: &str,
    value: &str,
) -> Option<(Duration, Duration, bool)> {
    let rv = api
        .get(name)
        .await
        .ok()?
        .metadata
        .resource_version
        .unwrap_or_default();
    let mut stream = api
        .watch(&WatchParams::default().timeout(60), &rv)
        .await
        .ok()?
        .boxed();
    let target = name.to_owned();
    let drift = value.to_owned();
    let watcher = tokio::spawn(async move {
        let mut seen_drift = None;
        while let Some(event) = stream.next().await {
            let Ok(WatchEvent::Modified(o)) = event else {
                continue;
            };
            if o.metadata.name.as_deref() != Some(target.as_str()) {
                continue;
            }
            match data_k(&o).as_deref() {
                Some(v) if v == drift => seen_drift = Some(Instant::now()),
                Some(GIT_VALUE) if seen_drift.is_some() => {
                    return seen_drift.map(|d| (d, Instant::now()));
                }
                _ => {}
            }
        }
        None
    });
    let patch = format!("{{\"data\":{{\"k\":\"{value}\"}}}}");
    kubectl(
        kubeconfig,
        &[
            "patch",
            "configmap",
            name,
            "-n",
            "bench-heal",
            "--type",
            "merge",
            "-p",
            &patch,
        ],
    )
    .await;
    let returned = Instant::now();
    let (drift_seen, restored) = tokio::time::timeout(Duration::from_secs(30), watcher)
        .await
        .ok()?
        .ok()??;
    Some((
        restored.saturating_duration_since(returned),
        restored.saturating_duration_since(drift_seen),
        restored < returned,
    ))
}

async fn drift_repair(repo: &Path, scratch: &Path, n: usize) -> Result<Repair, String> {
    let cluster = start_cluster().await;
    let client = cluster.client();
    create_namespace(&client, "bench-heal").await;
    let kubeconfig = write_kubeconfig(&cluster, scratch);
    let app_file = scratch.join("heal-app.yaml");
    std::fs::write(&app_file, application("heal", repo, "small", "bench-heal"))
        .map_err(|e| e.to_string())?;
    let log = std::fs::File::create(scratch.join("watch.log")).map_err(|e| e.to_string())?;
    let mut child = tokio::process::Command::new(driftless_binary())
        .arg("sync")
        .arg("-f")
        .arg(&app_file)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(scratch.join("cache-heal"))
        .arg("--watch")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("spawning the watch mode: {e}"))?;
    let result = async {
        let api = kind_api(&client, "ConfigMap", "bench-heal");
        // Synced: every ConfigMap exists with Git's value.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the watch mode exited: {status}"));
            }
            let list = api
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let synced = list
                .items
                .iter()
                .filter(|o| data_k(o).as_deref() == Some(GIT_VALUE))
                .count();
            if synced == HEAL_OBJECTS {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "only {synced} of {HEAL_OBJECTS} objects synced after 60 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // One unmeasured repair first: the watches may still be starting.
        one_drift(&api, &kubeconfig, "heal-00", "drift-warmup")
            .await
            .ok_or("the warm-up drift was not repaired within 30 s")?;
        let mut repair = Repair {
            from_kubectl: Vec::new(),
            from_event: Vec::new(),
            before_kubectl_returned: 0,
        };
        for i in 0..n {
            let name = format!("heal-{:02}", (i * 7 + 1) % HEAL_OBJECTS);
            let (from_kubectl, from_event, early) =
                one_drift(&api, &kubeconfig, &name, &format!("drift-{i}"))
                    .await
                    .ok_or_else(|| format!("drift {i} of {name} was not repaired within 30 s"))?;
            repair.from_kubectl.push(from_kubectl);
            repair.from_event.push(from_event);
            repair.before_kubectl_returned += usize::from(early);
        }
        Ok(repair)
    }
    .await;
    let _ = child.kill().await;
    result
}

// ---------------------------------------------------------------- main

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3);
    let resyncs = env_usize("BENCH_RESYNCS", 20);
    let drifts = env_usize("BENCH_DRIFTS", 20);
    let total: usize = MIX.iter().map(|(_, n)| n).sum();
    let mix = MIX
        .iter()
        .map(|(k, n)| format!("{n} {k}s"))
        .collect::<Vec<_>>()
        .join(", ");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let scratch = tempfile::tempdir().expect("temporary directory");
    let repo = scratch.path().join("repo");
    make_repo(&repo);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut firsts = Vec::new();
        for round in 0..rounds {
            let dir = scratch.path().join(format!("round-{round}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let r = first_sync_round(&repo, round, &dir).await;
            eprintln!(
                "round {round}: driftless {} kubectl {}",
                secs(r.driftless),
                secs(r.kubectl)
            );
            firsts.push(r);
        }
        let resync_dir = scratch.path().join("resync");
        std::fs::create_dir_all(&resync_dir).expect("mkdir");
        let re = resync(&repo, &resync_dir, resyncs).await;
        let heal_dir = scratch.path().join("heal");
        std::fs::create_dir_all(&heal_dir).expect("mkdir");
        let repair = if watch_mode_available() {
            Some(drift_repair(&repo, &heal_dir, drifts).await)
        } else {
            None
        };

        let d: Vec<Duration> = firsts.iter().map(|r| r.driftless).collect();
        let k: Vec<Duration> = firsts.iter().map(|r| r.kubectl).collect();
        let (dm, km) = (median(&d), median(&k));
        let list = |v: &[Duration]| v.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(", ");
        println!(
            "driftless sync benchmark: {cores} cores, devcluster in process (in memory, simulator delay {} ms), one Application of {total} objects ({mix}) in one namespace, plain YAML, one file per object, in a local git repository",
            SIMULATOR_DELAY.as_millis()
        );
        println!("| what is compared | result | goal |");
        println!("|---|---|---|");
        println!(
            "| first sync of {total} objects: `Engine::sync` (fresh AppliedState, SyncRequest {{wait: false}}, cold discovery and caches, includes git ls-remote, fetch and render) vs `kubectl apply --server-side -f <dir>` of the same files into a second empty namespace; median of {rounds} rounds, fresh cluster each | driftless {} vs kubectl {}: **{:.1}x** faster (rounds: driftless {}; kubectl {}) | at least 3x |",
            secs(dm),
            secs(km),
            km.as_secs_f64() / dm.as_secs_f64(),
            list(&d),
            list(&k)
        );
        println!(
            "| first sync of {total} objects with SyncRequest {{wait: true}} (waits until all are healthy; Deployments ready after the simulator's {} ms), one run | {} | - |",
            SIMULATOR_DELAY.as_millis(),
            secs(re.wait_true_first)
        );
        let mut t = re.times.clone();
        t.sort();
        let n = t.len().max(1) as f64;
        println!(
            "| re-sync with nothing changed: `Engine::sync` (SyncRequest {{wait: false}}) with the AppliedState of a wait: true first sync and the status it produced (inventory from status, as a controller or the watch mode has it), same Engine (warm render cache and discovery), no live cache (lists each kind); {} runs | median {}, p99 {}, max {} (min {}) | median under 50 ms |",
            t.len(),
            ms(pct(&t, 50.0)),
            ms(pct(&t, 99.0)),
            ms(t.last().copied().unwrap_or_default()),
            ms(t.first().copied().unwrap_or_default())
        );
        println!(
            "| requests made by those {} re-syncs (ResourceManager ApiStats) | {} dry-runs ({} in the first run, {} in the others), {} writes; {:.0} LISTs and {:.0} GETs per sync | 0 dry-runs, 0 writes |",
            t.len(),
            re.dry_runs,
            re.first_run_dry_runs,
            re.later_dry_runs,
            re.writes,
            re.lists as f64 / n,
            re.gets as f64 / n
        );
        println!(
            "| objects whose resourceVersion moved during those re-syncs (LIST before and after, independent of the engine) | {} of {} | 0 |",
            re.moved, re.objects
        );
        let mut l = re.list_cost.clone();
        l.sort();
        let mut g = re.ls_remote_cost.clone();
        g.sort();
        println!(
            "| parts of that re-sync measured alone, {} runs each: the engine's 4 labelled LISTs (one per kind, {} objects decoded) / one `git ls-remote` of the repository | median {} / {} | - |",
            l.len(),
            re.objects,
            ms(pct(&l, 50.0)),
            ms(pct(&g, 50.0))
        );
        let mut c = re.cached.clone();
        c.sort();
        let cr = re.cached_requests;
        println!(
            "| the same re-sync reading a live cache fed by label-selected watches (SyncRequest {{live_cache}}, as the watch mode runs it); {} runs | median {}, p99 {}, max {}; requests in all: {} LISTs, {} GETs, {} dry-runs, {} writes | median under 50 ms |",
            c.len(),
            ms(pct(&c, 50.0)),
            ms(pct(&c, 99.0)),
            ms(c.last().copied().unwrap_or_default()),
            cr.1,
            cr.0,
            cr.2,
            cr.3
        );
        let mut w = re.without_status.clone();
        w.sort();
        println!(
            "| the same re-sync when the Application has no status (inventory found by listing: `driftless sync -f` of an Application that is not in the cluster); {} runs | median {}, max {}; {:.0} LISTs per sync | - |",
            w.len(),
            ms(pct(&w, 50.0)),
            ms(w.last().copied().unwrap_or_default()),
            re.without_status_lists as f64 / w.len().max(1) as f64
        );
        println!(
            "| first re-sync after a wait: false first sync, once the simulator has written the Deployments' status | {}, {} dry-runs, {} writes | - |",
            ms(re.after_no_wait.0),
            re.after_no_wait.1,
            re.after_no_wait.2
        );
        println!(
            "| re-sync with nothing changed and SyncRequest {{force: true, wait: true}} (what `driftless sync -f` asks for), one run | {}, {} GETs, {} dry-runs, {} writes | - |",
            ms(re.forced.0),
            re.forced.1,
            re.forced.2,
            re.forced.3
        );
        match repair {
            Some(Ok(r)) => {
                let mut a = r.from_kubectl.clone();
                a.sort();
                let mut b = r.from_event.clone();
                b.sort();
                println!(
                    "| drift repair: `driftless sync -f app.yaml --watch` (selfHeal, {HEAL_OBJECTS} ConfigMaps), `kubectl patch` of data.k, from kubectl returning to Git's value back (seen by a watch); {} drifts | p50 {}, p90 {}, max {} ({} repaired before kubectl returned, counted as 0) | p50 under 500 ms |",
                    a.len(),
                    ms(pct(&a, 50.0)),
                    ms(pct(&a, 90.0)),
                    ms(a.last().copied().unwrap_or_default()),
                    r.before_kubectl_returned
                );
                println!(
                    "| drift repair, same drifts, from the drift's watch event to the repair's watch event | p50 {}, p90 {}, max {} | - |",
                    ms(pct(&b, 50.0)),
                    ms(pct(&b, 90.0)),
                    ms(b.last().copied().unwrap_or_default())
                );
            }
            Some(Err(e)) => println!("| drift repair | not measured: {e} | p50 under 500 ms |"),
            None => println!("drift repair: not measured (watch mode missing)"),
        }
    });
}
