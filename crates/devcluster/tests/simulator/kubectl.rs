//! kubectl as the client: `kubectl rollout status` against simulated Deployments.

use devcluster::DevClusterConfig;

use super::{api, common, create, DELAY};
use common::kubectl::Kubectl;

/// kubectl against a simulated devcluster holding one Deployment `web` in namespace `apps` with `image`.
async fn with_deployment(replicas: i64, image: &str) -> Kubectl {
    let k = Kubectl::start_with(DevClusterConfig {
        simulate: Some(DELAY),
        ..DevClusterConfig::default()
    })
    .await;
    common::namespace(&k.cluster, "apps").await;
    create(
        &api(&k.cluster, "apps", "Deployment"),
        common::deployment("web", "apps", replicas, image),
    )
    .await;
    k
}

const ROLLOUT_STATUS: &[&str] = &[
    "rollout",
    "status",
    "deployment/web",
    "-n",
    "apps",
    "--timeout=20s",
];

#[tokio::test]
async fn kubectl_rollout_status_completes() {
    let k = with_deployment(3, "nginx").await;
    let out = k.run(ROLLOUT_STATUS).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("successfully rolled out"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn kubectl_rollout_status_reports_a_fail_image() {
    let k = with_deployment(1, "nginx:fail").await;
    let out = k.run(ROLLOUT_STATUS).await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr.contains("exceeded its progress deadline"),
        "{}",
        out.stderr
    );
}
