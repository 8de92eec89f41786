//! What both parts of the benchmark need: the devcluster, the kubeconfig, git and kubectl.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use devcluster::{DevCluster, DevClusterConfig};

/// A devcluster in memory with the workload simulator.
pub async fn start_cluster() -> DevCluster {
    DevCluster::start(DevClusterConfig {
        simulate: Some(Duration::from_millis(100)),
        ..DevClusterConfig::default()
    })
    .await
    .expect("devcluster starts")
}

/// Writes the cluster's kubeconfig into `dir`.
pub fn write_kubeconfig(cluster: &DevCluster, dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, cluster.kubeconfig()).expect("write kubeconfig");
    path
}

/// Commits everything in `repo` (initialising it on branch `main` the first time).
pub fn git_commit(repo: &Path, message: &str) -> String {
    if !repo.join(".git").exists() {
        git(repo, &["init", "-q", "-b", "main"]);
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", message]);
    git(repo, &["rev-parse", "HEAD"]).trim().to_owned()
}

fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Writes `text` to `dir/name` and applies it server-side with kubectl.
pub fn apply_file(kubeconfig: &Path, dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write manifest");
    let crd = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .arg("crd")
        .output()
        .expect("driftless crd");
    std::fs::write(dir.join("crd.yaml"), crd.stdout).expect("write crd");
    kubectl(
        kubeconfig,
        &[
            "apply",
            "--server-side",
            "-f",
            dir.join("crd.yaml").to_str().expect("path"),
        ],
    );
    kubectl(
        kubeconfig,
        &[
            "wait",
            "--for=condition=Established",
            "crd/applications.driftless.dev",
            "--timeout=30s",
        ],
    );
    kubectl(
        kubeconfig,
        &["apply", "--server-side", "-f", path.to_str().expect("path")],
    );
}

/// How long `kubectl apply --server-side -f file` takes.
pub fn kubectl_apply_timed(kubeconfig: &Path, file: &Path) -> Duration {
    let started = Instant::now();
    kubectl(
        kubeconfig,
        &[
            "apply",
            "--server-side",
            "--field-manager",
            "bench-kubectl",
            "-f",
            file.to_str().expect("path"),
        ],
    );
    started.elapsed()
}

/// The cluster's current resourceVersion (moves on every write).
pub async fn resource_version(client: &kube::Client) -> u64 {
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    let list = api
        .list_metadata(&kube::api::ListParams::default().limit(1))
        .await
        .expect("list namespaces");
    list.metadata
        .resource_version
        .and_then(|rv| rv.parse().ok())
        .unwrap_or(0)
}
