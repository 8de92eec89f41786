//! Push to applied: a commit to the repository of a 50-object Application, announced by a
//! signed GitHub webhook, until the changed object carries the new value in the cluster;
//! against `kubectl apply --server-side` of the same 50 files after the same change.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use hmac::{Hmac, Mac};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::runtime::watcher;
use sha2::Sha256;

use crate::http::request;
use crate::process::Controller;
use crate::setup::{apply_file, git_commit, kubectl_apply_timed};

const SECRET: &str = "bench-webhook-secret";

/// Latencies of each round, both ways.
pub struct PushResult {
    pub objects: usize,
    pub webhook: Vec<Duration>,
    pub kubectl: Vec<Duration>,
}

/// A `git daemon` serving `base` on a free port; killed when dropped.
struct Daemon {
    child: Child,
    port: u16,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(base: &Path) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("git")
        .args([
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            &format!("--port={port}"),
            &format!("--base-path={}", base.display()),
        ])
        .arg(base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("git daemon starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "git daemon never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    Daemon { child, port }
}

fn manifests(objects: usize, round: usize, namespace: Option<&str>) -> String {
    let namespace = namespace
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    (0..objects)
        .map(|i| {
            let value = if i == 0 { round } else { 0 };
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: object-{i:02}\n{namespace}data:\n  round: \"{value}\"\n  index: \"{i}\"\n")
        })
        .collect()
}

fn signature(body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Waits until ConfigMap `object-00` in `namespace` says `round`.
async fn applied(client: &kube::Client, namespace: &str, round: usize) {
    let api: kube::Api<ConfigMap> = kube::Api::namespaced(client.clone(), namespace);
    let want = round.to_string();
    let config = watcher::Config::default().fields("metadata.name=object-00");
    let stream = watcher::watcher(api, config);
    tokio::pin!(stream);
    while let Some(event) = stream.next().await {
        let object = match event {
            Ok(watcher::Event::Apply(o) | watcher::Event::InitApply(o)) => o,
            _ => continue,
        };
        if object.data.as_ref().and_then(|d| d.get("round")) == Some(&want) {
            return;
        }
    }
}

/// Measures `rounds` pushes through the webhook and as many kubectl applies.
pub async fn measure(
    client: &kube::Client,
    kubeconfig: &Path,
    dir: &Path,
    objects: usize,
    rounds: usize,
) -> PushResult {
    let base = dir.join("push");
    let repo = base.join("repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    std::fs::write(repo.join("objects.yaml"), manifests(objects, 0, None)).expect("write");
    git_commit(&repo, "round 0");
    let daemon = serve(&base);
    let url = format!("git://127.0.0.1:{}/repo", daemon.port);
    let app = format!(
        "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: {{name: pushed, namespace: bench}}\nspec:\n  source: {{repoURL: \"{url}\", targetRevision: main, path: .}}\n  destination: {{namespace: pushed}}\n  syncPolicy: {{automated: {{prune: true, selfHeal: true}}, syncOptions: [CreateNamespace=true]}}\n  interval: 1h\n"
    );
    apply_file(
        kubeconfig,
        dir,
        "bench-namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: bench}\n",
    );
    apply_file(kubeconfig, dir, "pushed.yaml", &app);
    let secret_file = dir.join("webhook-secret");
    std::fs::write(&secret_file, SECRET).expect("write secret");
    let controller = Controller::start(
        kubeconfig,
        &base,
        &[
            "--webhook-secret-file",
            secret_file.to_str().expect("path"),
            "--leader-elect=false",
            "--listen",
            "127.0.0.1:0",
        ],
    );
    let api = controller.api_addr();
    tokio::time::timeout(Duration::from_secs(120), applied(client, "pushed", 0))
        .await
        .expect("first sync within 2 minutes");
    let body = serde_json::json!({"ref": "refs/heads/main", "repository": {"clone_url": format!("http://127.0.0.1:{}/repo.git", daemon.port)}}).to_string();
    let mut webhook = Vec::new();
    for round in 1..=rounds {
        std::fs::write(repo.join("objects.yaml"), manifests(objects, round, None)).expect("write");
        git_commit(&repo, &format!("round {round}"));
        let started = Instant::now();
        let answer = request(
            &api,
            "POST",
            "/api/v1/webhook",
            &[
                ("X-GitHub-Event", "push"),
                ("X-Hub-Signature-256", &signature(&body)),
                ("Content-Type", "application/json"),
            ],
            &body,
        );
        assert_eq!(answer.status, 200, "webhook: {}", answer.body);
        assert_eq!(
            answer.json()["refreshed"],
            serde_json::json!(["bench/pushed"])
        );
        tokio::time::timeout(Duration::from_secs(30), applied(client, "pushed", round))
            .await
            .expect("applied within 30 s");
        webhook.push(started.elapsed());
    }
    drop(controller);
    let mut kubectl = Vec::new();
    let file = base.join("kubectl.yaml");
    apply_file(
        kubeconfig,
        dir,
        "kubectl-namespace.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: by-kubectl}\n",
    );
    for round in 0..=rounds {
        std::fs::write(&file, manifests(objects, round, Some("by-kubectl"))).expect("write");
        let took = kubectl_apply_timed(kubeconfig, &file);
        if round > 0 {
            kubectl.push(took);
        }
    }
    PushResult {
        objects,
        webhook,
        kubectl,
    }
}
