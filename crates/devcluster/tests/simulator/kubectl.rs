//! kubectl as the client: `kubectl rollout status` against simulated Deployments.

use devcluster::DevCluster;

use super::{api, common, create, simulated};

/// Runs kubectl against `c` and returns (exit code, stdout + stderr).
async fn kubectl(c: &DevCluster, dir: &tempfile::TempDir, args: &[&str]) -> (i32, String) {
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, c.kubeconfig()).unwrap();
    let out = tokio::process::Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", dir.path())
        .output()
        .await
        .expect("kubectl must be installed to run these tests");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn kubectl_rollout_status_completes() {
    let c = simulated().await;
    let dir = tempfile::tempdir().unwrap();
    common::namespace(&c, "apps").await;
    create(
        &api(&c, "apps", "Deployment"),
        common::deployment("web", "apps", 3, "nginx"),
    )
    .await;
    let (code, out) = kubectl(
        &c,
        &dir,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            "apps",
            "--timeout=20s",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("successfully rolled out"), "{out}");
}

#[tokio::test]
async fn kubectl_rollout_status_reports_a_fail_image() {
    let c = simulated().await;
    let dir = tempfile::tempdir().unwrap();
    common::namespace(&c, "apps").await;
    create(
        &api(&c, "apps", "Deployment"),
        common::deployment("web", "apps", 1, "nginx:fail"),
    )
    .await;
    let (code, out) = kubectl(
        &c,
        &dir,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            "apps",
            "--timeout=20s",
        ],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("exceeded its progress deadline"), "{out}");
}
