//! `driftless crd` prints the Application CRD generated from the Rust types; deploy/crds/ holds
//! the committed copy, and devcluster accepts it and the DESIGN.md example Application.

use std::path::Path;
use std::process::Command;

use devcluster::{DevCluster, DevClusterConfig};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};

fn printed_crd() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .arg("crd")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn committed_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/crds/applications.driftless.dev.yaml")
}

#[test]
fn committed_crd_matches_the_generated_one() {
    let committed = std::fs::read_to_string(committed_path()).unwrap();
    assert!(
        committed == printed_crd(),
        "deploy/crds/applications.driftless.dev.yaml is stale: regenerate it with \
         `cargo run -- crd > deploy/crds/applications.driftless.dev.yaml`"
    );
}

#[tokio::test]
async fn the_cluster_accepts_the_crd_and_the_design_example() {
    let cluster = DevCluster::start(DevClusterConfig::default())
        .await
        .unwrap();
    let client = cluster.client();
    let crd: serde_json::Value = serde_saphyr::from_str(&printed_crd()).unwrap();
    let crds = Api::<DynamicObject>::all_with(
        client.clone(),
        &ApiResource::from_gvk(&GroupVersionKind::gvk(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
        )),
    );
    let params = PatchParams::apply("test");
    crds.patch("applications.driftless.dev", &params, &Patch::Apply(&crd))
        .await
        .unwrap();
    let app: serde_json::Value = serde_saphyr::from_str(
        r#"
apiVersion: driftless.dev/v1alpha1
kind: Application
metadata: {name: guestbook, namespace: default}
spec:
  source: {repoURL: "https://git.example.com/org/apps.git", targetRevision: main, path: guestbook}
  destination: {name: in-cluster, namespace: guestbook}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: ["CreateNamespace=true", "PruneLast=true"]
    retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
  interval: 3m
  dependsOn: [{name: infra}]
  ignoreDifferences: [{group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}]
  revisionHistoryLimit: 10
operation: {sync: {revision: "", prune: true}, initiatedBy: {username: cli}}
"#,
    )
    .unwrap();
    let mut stored = None;
    for _ in 0..50 {
        let apps = Api::<driftless_core::Application>::namespaced(client.clone(), "default");
        match apps.patch("guestbook", &params, &Patch::Apply(&app)).await {
            Ok(app) => {
                stored = Some(app);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let stored = stored.expect("the Application was never accepted");
    assert_eq!(
        stored.spec.sync_policy.sync_options,
        ["CreateNamespace=true", "PruneLast=true"]
    );
    assert_eq!(
        stored.operation.unwrap().initiated_by.unwrap().username,
        "cli"
    );
}
