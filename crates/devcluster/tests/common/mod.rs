//! Shared fixtures of the devcluster integration tests.
#![allow(dead_code)]

pub mod kubectl;

use devcluster::{DevCluster, DevClusterConfig};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::discovery::ApiResource;
use serde_json::{json, Value};

/// An in-memory devcluster on a free loopback port.
pub async fn cluster() -> DevCluster {
    DevCluster::start(DevClusterConfig::default())
        .await
        .expect("devcluster starts")
}

/// Creates namespace `name`.
pub async fn namespace(c: &DevCluster, name: &str) {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client());
    let ns = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    api.create(&PostParams::default(), &ns)
        .await
        .expect("namespace created");
}

/// Creates `object` (a JSON manifest) through `api`.
pub async fn create(api: &Api<DynamicObject>, object: Value) -> Result<DynamicObject, kube::Error> {
    let object: DynamicObject = serde_json::from_value(object).expect("a valid manifest");
    api.create(&PostParams::default(), &object).await
}

/// Server-side applies `object` as `manager`.
pub async fn apply(
    api: &Api<DynamicObject>,
    manager: &str,
    object: Value,
    force: bool,
) -> Result<DynamicObject, kube::Error> {
    let name = object["metadata"]["name"].as_str().unwrap().to_string();
    let mut params = PatchParams::apply(manager);
    params.force = force;
    api.patch(&name, &params, &Patch::Apply(object)).await
}

/// The ApiResource of a built-in or custom type.
pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// A dynamic API for ConfigMaps in `ns`.
pub fn configmaps(c: &DevCluster, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(
        c.client(),
        ns,
        &resource("", "v1", "ConfigMap", "configmaps"),
    )
}

/// A dynamic API for Deployments in `ns`.
pub fn deployments(c: &DevCluster, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(
        c.client(),
        ns,
        &resource("apps", "v1", "Deployment", "deployments"),
    )
}

/// The Status error of a failed call (panics when the call did not fail with one).
pub fn status_of(result: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(s)) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A Deployment manifest.
pub fn deployment(name: &str, ns: &str, replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]}
            }
        }
    })
}

/// A ConfigMap manifest.
pub fn configmap(name: &str, ns: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data})
}

/// metadata.resourceVersion of an object.
pub fn rv(o: &DynamicObject) -> String {
    o.metadata.resource_version.clone().unwrap_or_default()
}
