//! Part 3: drift repair latency of `driftless sync -f app.yaml --watch`: kubectl patches a
//! ConfigMap, a watch sees Git's value come back.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};

use crate::cluster::{create_namespace, kind_api, kubectl, start_cluster, write_kubeconfig};
use crate::fixture::{application, GIT_VALUE, HEAL_OBJECTS};

pub struct Repair {
    pub from_kubectl: Vec<Duration>,
    pub from_event: Vec<Duration>,
    pub before_kubectl_returned: usize,
}

fn driftless_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_driftless"))
}

/// True when `driftless sync --help` offers `--watch`.
pub fn watch_mode_available() -> bool {
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

pub async fn drift_repair(repo: &Path, scratch: &Path, n: usize) -> Result<Repair, String> {
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
