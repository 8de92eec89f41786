//! The workload simulator, seen by kube-rs and kubectl: the status transitions the README documents for each
//! kind, the `:fail` images, and `kubectl rollout status` completing. kubectl must be installed: the kubectl
//! tests fail, not skip, without it.

#[path = "../common/mod.rs"]
mod common;

mod apps;
mod batch;
mod kinds;
mod kubectl;
mod lifecycle;

use std::time::Duration;

use devcluster::{DevCluster, DevClusterConfig};
use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchEvent, WatchParams};
use serde_json::{json, Value};
use tokio::time::Instant;

/// Short enough for quick tests, long enough to see the observed stage before the settled one.
const DELAY: Duration = Duration::from_millis(400);
/// How long a test waits for a transition before failing.
const PATIENCE: Duration = Duration::from_secs(8);

async fn simulated() -> DevCluster {
    DevCluster::start(DevClusterConfig {
        simulate: Some(DELAY),
        ..DevClusterConfig::default()
    })
    .await
    .expect("devcluster starts")
}

/// A dynamic API for `kind` in namespace `ns`.
fn api(c: &DevCluster, ns: &str, kind: &str) -> Api<DynamicObject> {
    let (group, plural) = match kind {
        "Deployment" => ("apps", "deployments"),
        "ReplicaSet" => ("apps", "replicasets"),
        "StatefulSet" => ("apps", "statefulsets"),
        "DaemonSet" => ("apps", "daemonsets"),
        "Job" => ("batch", "jobs"),
        "Pod" => ("", "pods"),
        "PersistentVolumeClaim" => ("", "persistentvolumeclaims"),
        "Service" => ("", "services"),
        "Ingress" => ("networking.k8s.io", "ingresses"),
        other => panic!("no API for {other} in this test"),
    };
    Api::namespaced_with(c.client(), ns, &common::resource(group, "v1", kind, plural))
}

/// Applies `manifest` (as the test's own field manager) and returns its name.
async fn create(api: &Api<DynamicObject>, manifest: Value) -> String {
    let created = common::apply(api, "simulator-test", manifest, false)
        .await
        .expect("manifest applied");
    created.metadata.name.unwrap()
}

/// Polls the object until `check` holds; fails with the last state seen after `PATIENCE`.
async fn wait_until(
    api: &Api<DynamicObject>,
    name: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let object = serde_json::to_value(api.get(name).await.unwrap()).unwrap();
        if check(&object) {
            return object;
        }
        assert!(
            Instant::now() < deadline,
            "{name}: {what} did not happen within {PATIENCE:?}; last state:\n{object:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A watch on one object, opened before the change under test: every state it goes through is seen, even
/// one that lasts only the simulator's delay.
struct Watch(futures::stream::BoxStream<'static, kube::Result<WatchEvent<DynamicObject>>>);

async fn watch(api: &Api<DynamicObject>, name: &str) -> Watch {
    let list = api.list_metadata(&ListParams::default()).await.unwrap();
    let rv = list.metadata.resource_version.unwrap_or_default();
    let params = WatchParams::default().fields(&format!("metadata.name={name}"));
    Watch(api.watch(&params, &rv).await.unwrap().boxed())
}

impl Watch {
    /// The next state for which `check` holds; fails after `PATIENCE`.
    async fn until(&mut self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let next = async {
            while let Some(event) = self.0.try_next().await.unwrap() {
                if let WatchEvent::Added(o) | WatchEvent::Modified(o) = event {
                    let object = serde_json::to_value(o).unwrap();
                    if check(&object) {
                        return object;
                    }
                }
            }
            panic!("the watch ended before {what}");
        };
        tokio::time::timeout(PATIENCE, next)
            .await
            .unwrap_or_else(|_| panic!("{what} was not seen within {PATIENCE:?}"))
    }
}

/// Whether the object has condition `type_` with this status and reason.
fn has_condition(object: &Value, type_: &str, status: &str, reason: &str) -> bool {
    object["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| {
            c["type"] == type_
                && c["status"] == status
                && c["reason"].as_str().unwrap_or_default() == reason
        })
}

fn int(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn template(image: &str, command: Option<&str>) -> Value {
    let mut container = json!({"name": "main", "image": image});
    if let Some(script) = command {
        container["command"] = json!(["sh", "-c", script]);
    }
    json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [container], "restartPolicy": "Never"}})
}

fn workload(kind: &str, name: &str, ns: &str, image: &str) -> Value {
    let mut tpl = template(image, None);
    tpl["spec"].as_object_mut().unwrap().remove("restartPolicy");
    json!({
        "apiVersion": "apps/v1", "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}, "template": tpl}
    })
}

fn job(name: &str, ns: &str, image: &str, command: Option<&str>, backoff_limit: i64) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"backoffLimit": backoff_limit, "template": template(image, command)}
    })
}

fn pod(name: &str, ns: &str, image: &str, command: Option<&str>, restart: &str) -> Value {
    let mut spec = template(image, command)["spec"].clone();
    spec["restartPolicy"] = restart.into();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": spec})
}
