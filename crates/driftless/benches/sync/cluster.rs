//! The devcluster the benchmark runs against, and what it reads and runs there: namespaces,
//! resourceVersions of the mix, Deployment readiness, the kubeconfig file and kubectl.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use devcluster::{DevCluster, DevClusterConfig};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};

use crate::fixture::MIX;

/// Delay of the workload simulator before Deployments report ready.
pub const SIMULATOR_DELAY: Duration = Duration::from_millis(100);

pub async fn start_cluster() -> DevCluster {
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

pub fn kind_api(client: &kube::Client, kind: &str, ns: &str) -> Api<DynamicObject> {
    match kind {
        "Deployment" => api_of(client, "apps", "v1", kind, ns),
        _ => api_of(client, "", "v1", kind, ns),
    }
}

pub async fn create_namespace(client: &kube::Client, name: &str) {
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
pub async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
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

pub async fn count_objects(client: &kube::Client, ns: &str) -> usize {
    versions(client, ns).await.len()
}

/// Waits until every Deployment in `ns` reports all replicas ready.
pub async fn wait_deployments_ready(client: &kube::Client, ns: &str) {
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

pub fn write_kubeconfig(cluster: &DevCluster, dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(&path, cluster.kubeconfig()).expect("write kubeconfig");
    path
}

pub async fn kubectl(kubeconfig: &Path, args: &[&str]) -> std::process::Output {
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
