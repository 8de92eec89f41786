//! devcluster benchmark: server-side apply throughput from concurrent kube-rs clients over HTTP, no-op
//! re-apply, LIST of every object, watch delivery latency, memory; and `kubectl apply --server-side` of the
//! same kind of objects as the user-level reference. Prints a table.
//!
//! Run: `cargo bench -p devcluster --bench api` (set BENCH_OBJECTS to change the 10,000 default; set
//! BENCH_DURABLE=1 to run the server with its SQLite store instead of in memory).

use std::sync::Arc;
use std::time::{Duration, Instant};

use devcluster::{DevCluster, DevClusterConfig};
use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use kube::discovery::ApiResource;
use serde_json::json;

const CLIENTS: usize = 4;

fn configmaps(client: kube::Client) -> Api<DynamicObject> {
    let ar = ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        plural: "configmaps".into(),
    };
    Api::namespaced_with(client, "default", &ar)
}

fn configmap(i: usize) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("cm-{i:05}"), "namespace": "default", "labels": {"app": "bench", "shard": format!("{}", i % 10)}},
        "data": {"key": format!("value-{i}"), "config.yaml": "replicas: 3\nimage: nginx:1.27\nport: 8080\n"}
    })
}

/// Applies objects `0..n` from `CLIENTS` concurrent clients; returns the elapsed time.
async fn apply_all(url: &str, n: usize) -> Duration {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let client =
            devcluster::kubeconfig::client(&devcluster::kubeconfig::Endpoint::plain(url), None)
                .expect("client");
        tasks.push(tokio::spawn(async move {
            let api = configmaps(client);
            let params = PatchParams::apply("bench");
            for i in (c..n).step_by(CLIENTS) {
                api.patch(&format!("cm-{i:05}"), &params, &Patch::Apply(configmap(i)))
                    .await
                    .expect("apply");
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    started.elapsed()
}

/// Resident memory of process `pid` in MB (Linux).
fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

async fn watch_latency(client: &kube::Client, samples: usize) -> (Duration, Duration) {
    let api = configmaps(client.clone());
    let start_rv = api
        .list(&ListParams::default().limit(1))
        .await
        .expect("list")
        .metadata
        .resource_version
        .unwrap_or_default();
    let sent: Arc<std::sync::Mutex<Vec<Instant>>> = Arc::default();
    let mut stream = api
        .watch(&WatchParams::default().labels("app=latency"), &start_rv)
        .await
        .expect("watch")
        .boxed();
    let writer = {
        let sent = sent.clone();
        let api = configmaps(client.clone());
        tokio::spawn(async move {
            let params = PatchParams::apply("latency");
            for i in 0..samples {
                let mut o = configmap(100_000 + i);
                o["metadata"]["labels"]["app"] = json!("latency");
                sent.lock().unwrap().push(Instant::now());
                let name = o["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                api.patch(&name, &params, &Patch::Apply(o))
                    .await
                    .expect("apply");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let mut latencies = Vec::new();
    while latencies.len() < samples {
        match stream.next().await {
            Some(Ok(WatchEvent::Added(_))) => {
                let at = sent.lock().unwrap()[latencies.len()];
                latencies.push(at.elapsed());
            }
            Some(Ok(_)) => {}
            other => panic!("watch ended: {other:?}"),
        }
    }
    writer.await.expect("writer");
    latencies.sort();
    (
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
    )
}

fn kubectl_apply(url: &str, n: usize) -> Option<Duration> {
    let dir = tempfile::tempdir().ok()?;
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        devcluster::kubeconfig::render(&devcluster::kubeconfig::Endpoint::plain(url), None),
    )
    .ok()?;
    let docs: Vec<String> = (0..n)
        .map(|i| {
            let mut o = configmap(200_000 + i);
            o["metadata"]["labels"]["app"] = json!("kubectl");
            serde_json::to_string(&o).unwrap_or_default()
        })
        .collect();
    let file = dir.path().join("objects.yaml");
    std::fs::write(&file, docs.join("\n---\n")).ok()?;
    let started = Instant::now();
    let status = std::process::Command::new("kubectl")
        .args([
            "apply",
            "--server-side",
            "--field-manager=kubectl-bench",
            "-f",
        ])
        .arg(&file)
        .env("KUBECONFIG", &kubeconfig)
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| started.elapsed())
}

/// The server half: runs devcluster in this process, prints its URL, serves until stdin closes.
fn serve() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let cluster = DevCluster::start(DevClusterConfig::default())
            .await
            .expect("devcluster");
        println!("{}", cluster.url());
        let _ =
            tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
    });
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        return serve();
    }
    let n: usize = std::env::var("BENCH_OBJECTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut server = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("server process");
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(server.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("server URL");
        line.trim().to_string()
    };
    let base_rss = rss_mb(server.id());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = devcluster::kubeconfig::client(&devcluster::kubeconfig::Endpoint::plain(&url), None).expect("client");
        let rate = |d: Duration| n as f64 / d.as_secs_f64();

        let create = apply_all(&url, n).await;
        let api = configmaps(client.clone());
        let rv_now = || async { api.list(&ListParams::default().limit(1)).await.expect("list").metadata.resource_version.unwrap_or_default().parse::<u64>().unwrap_or(0) };
        let rv_after_create = rv_now().await;
        let rss_after_create = rss_mb(server.id());
        let noop = apply_all(&url, n).await;
        let rv_after_noop = rv_now().await;

        let started = Instant::now();
        let listed = api.list(&ListParams::default()).await.expect("list").items.len();
        let list_time = started.elapsed();
        let rss = rss_mb(server.id());

        let (p50, p99) = watch_latency(&client, 1000).await;
        let kubectl_n = n.min(1000);
        let ours_1000 = {
            let started = Instant::now();
            let api = configmaps(client.clone());
            let params = PatchParams::apply("bench-serial");
            for i in 0..kubectl_n {
                let mut o = configmap(300_000 + i);
                o["metadata"]["labels"]["app"] = json!("serial");
                let name = o["metadata"]["name"].as_str().unwrap_or_default().to_string();
                api.patch(&name, &params, &Patch::Apply(o)).await.expect("apply");
            }
            started.elapsed()
        };
        let kubectl = kubectl_apply(&url, kubectl_n);

        let store = if std::env::var_os("BENCH_DURABLE").is_some() { "durable SQLite store" } else { "in-memory store" };
        println!("devcluster benchmark ({n} ConfigMaps, {CLIENTS} concurrent kube-rs clients over HTTP, {store})");
        println!("| measurement | result |");
        println!("|---|---|");
        println!("| SSA create of {n} | {:.2} s, {:.0} applies/s |", create.as_secs_f64(), rate(create));
        println!("| no-op re-apply of {n} | {:.2} s, {:.0} applies/s |", noop.as_secs_f64(), rate(noop));
        println!("| writes made by the no-op re-apply | {} (resourceVersion {} -> {}) |", rv_after_noop - rv_after_create, rv_after_create, rv_after_noop);
        println!("| LIST of {listed} objects | {:.0} ms |", list_time.as_secs_f64() * 1000.0);
        println!("| watch delivery latency (1000 events) | p50 {:.2} ms, p99 {:.2} ms |", p50.as_secs_f64() * 1000.0, p99.as_secs_f64() * 1000.0);
        println!("| server process RSS: empty / after {n} applies / after the LIST | {base_rss:.0} MB / {rss_after_create:.0} MB / {rss:.0} MB |");
        println!("| {kubectl_n} SSA applies, one kube-rs client, sequential | {:.2} s, {:.0} objects/s |", ours_1000.as_secs_f64(), kubectl_n as f64 / ours_1000.as_secs_f64());
        match kubectl {
            Some(k) => println!(
                "| `kubectl apply --server-side -f` of {kubectl_n} (one multi-document file) | {:.2} s, {:.0} objects/s (ratio kube-rs/kubectl {:.1}x) |",
                k.as_secs_f64(),
                kubectl_n as f64 / k.as_secs_f64(),
                k.as_secs_f64() / ours_1000.as_secs_f64()
            ),
            None => println!("| `kubectl apply --server-side` | kubectl not available or failed |"),
        }
    });
    drop(server.stdin.take());
    let _ = server.wait();
}
