//! Deletion: finalizers, preconditions, ownerReferences garbage collection (Background, Foreground, Orphan),
//! namespace deletion, deletecollection.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions,
    PropagationPolicy,
};
use serde_json::{json, Value};

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn owned_configmap(name: &str, owner: &DynamicObject) -> Value {
    let mut cm = configmap(name, "default", json!({}));
    cm["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": owner.metadata.name, "uid": owner.metadata.uid, "blockOwnerDeletion": true
    }]);
    cm
}

#[tokio::test]
async fn finalizers_hold_an_object_until_removed() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let mut cm = configmap("f", "default", json!({}));
    cm["metadata"]["finalizers"] = json!(["example.com/hold"]);
    create(&api, cm).await.unwrap();
    let pending = api.delete("f", &DeleteParams::default()).await.unwrap();
    assert!(
        pending.is_left(),
        "object with finalizers must be returned, not a Status"
    );
    let o = api.get("f").await.unwrap();
    assert!(o.metadata.deletion_timestamp.is_some());
    api.patch(
        "f",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    assert_eq!(status_of(api.get("f").await).code, 404);
}

#[tokio::test]
async fn delete_preconditions_are_checked() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    create(&api, configmap("p", "default", json!({})))
        .await
        .unwrap();
    let dp = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some("not-the-uid".into()),
            resource_version: None,
        }),
        ..Default::default()
    };
    assert_eq!(status_of(api.delete("p", &dp).await).code, 409);
    assert!(api.get("p").await.is_ok());
}

#[tokio::test]
async fn background_deletion_collects_dependents() {
    let c = cluster().await;
    let owner = apply(
        &deployments(&c, "default"),
        "t",
        deployment("own", "default", 1, "nginx"),
        false,
    )
    .await
    .unwrap();
    let api = configmaps(&c, "default");
    create(&api, owned_configmap("dep", &owner)).await.unwrap();
    deployments(&c, "default")
        .delete("own", &DeleteParams::background())
        .await
        .unwrap();
    eventually("dependent collected", || async {
        api.get("dep").await.is_err()
    })
    .await;
}

#[tokio::test]
async fn foreground_deletion_removes_dependents_first() {
    let c = cluster().await;
    let owner = apply(
        &deployments(&c, "default"),
        "t",
        deployment("own", "default", 1, "nginx"),
        false,
    )
    .await
    .unwrap();
    let api = configmaps(&c, "default");
    let mut dep = owned_configmap("dep", &owner);
    dep["metadata"]["finalizers"] = json!(["example.com/hold"]);
    create(&api, dep).await.unwrap();
    deployments(&c, "default")
        .delete("own", &DeleteParams::foreground())
        .await
        .unwrap();
    // The dependent is terminating, held by its own finalizer, and so the owner waits.
    eventually("dependent terminating", || async {
        api.get("dep")
            .await
            .map(|d| d.metadata.deletion_timestamp.is_some())
            .unwrap_or(false)
    })
    .await;
    let owner_now = deployments(&c, "default").get("own").await.unwrap();
    assert!(owner_now
        .metadata
        .finalizers
        .unwrap_or_default()
        .contains(&"foregroundDeletion".to_string()));
    api.patch(
        "dep",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
    )
    .await
    .unwrap();
    eventually("owner deleted", || async {
        deployments(&c, "default").get("own").await.is_err()
    })
    .await;
}

#[tokio::test]
async fn orphan_deletion_keeps_dependents_without_the_reference() {
    let c = cluster().await;
    let owner = apply(
        &deployments(&c, "default"),
        "t",
        deployment("own", "default", 1, "nginx"),
        false,
    )
    .await
    .unwrap();
    let api = configmaps(&c, "default");
    create(&api, owned_configmap("dep", &owner)).await.unwrap();
    let dp = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Orphan),
        ..Default::default()
    };
    deployments(&c, "default").delete("own", &dp).await.unwrap();
    eventually("owner deleted", || async {
        deployments(&c, "default").get("own").await.is_err()
    })
    .await;
    let dep = api.get("dep").await.unwrap();
    assert!(dep.metadata.owner_references.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn deleting_a_namespace_removes_its_contents_then_itself() {
    let c = cluster().await;
    namespace(&c, "doomed").await;
    let api = configmaps(&c, "doomed");
    for i in 0..3 {
        create(&api, configmap(&format!("c{i}"), "doomed", json!({})))
            .await
            .unwrap();
    }
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client());
    namespaces
        .delete("doomed", &DeleteParams::default())
        .await
        .unwrap();
    eventually("namespace gone", || async {
        namespaces.get("doomed").await.is_err()
    })
    .await;
    assert!(api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());
    // A namespace that is terminating refuses new content.
    namespace(&c, "closing").await;
    let held = configmaps(&c, "closing");
    let mut cm = configmap("hold", "closing", json!({}));
    cm["metadata"]["finalizers"] = json!(["example.com/hold"]);
    create(&held, cm).await.unwrap();
    namespaces
        .delete("closing", &DeleteParams::default())
        .await
        .unwrap();
    let err = status_of(create(&held, configmap("new", "closing", json!({}))).await);
    assert_eq!(err.code, 403);
    assert_eq!(
        namespaces
            .get("closing")
            .await
            .unwrap()
            .status
            .unwrap()
            .phase
            .as_deref(),
        Some("Terminating")
    );
}

#[tokio::test]
async fn delete_collection_honours_the_selector() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    for (name, app) in [("a", "x"), ("b", "x"), ("c", "y")] {
        let mut cm = configmap(name, "default", json!({}));
        cm["metadata"]["labels"] = json!({"app": app});
        create(&api, cm).await.unwrap();
    }
    api.delete_collection(
        &DeleteParams::default(),
        &ListParams::default().labels("app=x"),
    )
    .await
    .unwrap();
    let left: Vec<_> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(left, vec!["c"]);
}
