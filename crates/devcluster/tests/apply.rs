//! Server-side apply through kube-rs: managedFields, shared ownership, conflicts and force, removal of dropped
//! fields, list merging by key, and applies that create objects.

mod common;

use common::*;
use kube::api::{Patch, PatchParams};
use serde_json::json;

#[tokio::test]
async fn apply_creates_and_records_managed_fields() {
    let c = cluster().await;
    let d = apply(
        &deployments(&c, "default"),
        "gitops",
        deployment("web", "default", 2, "nginx:1"),
        false,
    )
    .await
    .unwrap();
    let managed = d.metadata.managed_fields.unwrap();
    assert_eq!(managed.len(), 1);
    assert_eq!(managed[0].manager.as_deref(), Some("gitops"));
    assert_eq!(managed[0].operation.as_deref(), Some("Apply"));
    let fields = serde_json::to_value(&managed[0].fields_v1).unwrap();
    assert!(
        fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
            .get("k:{\"name\":\"app\"}")
            .is_some(),
        "{fields}"
    );
}

#[tokio::test]
async fn conflicting_manager_is_refused_until_forced() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    apply_web(&api, "gitops", 2, false).await.unwrap();
    let err = status_of(apply_web(&api, "other", 5, false).await);
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
    let causes = err.details.unwrap().causes;
    assert!(
        causes.iter().any(|c| c.reason == "FieldManagerConflict"
            && c.field == ".spec.replicas"
            && c.message.contains("gitops")),
        "{causes:?}"
    );
    let forced = apply_web(&api, "other", 5, true).await.unwrap();
    assert_eq!(forced.data["spec"]["replicas"], 5);
    // Ownership moved: the first manager now conflicts.
    assert_eq!(
        status_of(apply_web(&api, "gitops", 2, false).await).code,
        409
    );
}

#[tokio::test]
async fn equal_values_are_shared_not_conflicts() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    apply_web(&api, "a", 2, false).await.unwrap();
    let shared = apply_web(&api, "b", 2, false).await.unwrap();
    assert_eq!(shared.metadata.managed_fields.unwrap().len(), 2);
}

#[tokio::test]
async fn dropped_field_is_removed_unless_another_manager_owns_it() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    apply(
        &api,
        "a",
        configmap("cm", "default", json!({"x": "1", "y": "2"})),
        false,
    )
    .await
    .unwrap();
    apply(
        &api,
        "b",
        configmap("cm", "default", json!({"y": "2"})),
        false,
    )
    .await
    .unwrap();
    let after = apply(&api, "a", configmap("cm", "default", json!({})), false)
        .await
        .unwrap();
    assert_eq!(
        after.data["data"],
        json!({"y": "2"}),
        "x goes, y stays (b owns it)"
    );
}

#[tokio::test]
async fn containers_merge_by_name_across_managers() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    apply_web(&api, "a", 1, false).await.unwrap();
    let sidecar = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy:1"}]}}}
    });
    let merged = apply(&api, "b", sidecar, false).await.unwrap();
    let names: Vec<&str> = merged.data["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app", "sidecar"]);
}

#[tokio::test]
async fn update_manager_conflicts_with_a_later_apply() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    apply_web(&api, "gitops", 2, false).await.unwrap();
    let params = PatchParams {
        field_manager: Some("kubectl-scale".into()),
        ..Default::default()
    };
    api.patch(
        "web",
        &params,
        &Patch::Merge(json!({"spec": {"replicas": 7}})),
    )
    .await
    .unwrap();
    let err = status_of(apply_web(&api, "gitops", 2, false).await);
    assert_eq!(err.code, 409);
    assert!(err.message.contains("kubectl-scale"), "{}", err.message);
}

#[tokio::test]
async fn re_applying_the_same_config_writes_nothing() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    let first = apply_web(&api, "gitops", 2, false).await.unwrap();
    let second = apply_web(&api, "gitops", 2, false).await.unwrap();
    assert_eq!(rv(&first), rv(&second));
    assert_eq!(
        first.metadata.managed_fields,
        second.metadata.managed_fields
    );
}

#[tokio::test]
async fn apply_without_field_manager_is_refused() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let params = PatchParams::default();
    let err = status_of(
        api.patch(
            "x",
            &params,
            &Patch::Apply(configmap("x", "default", json!({}))),
        )
        .await,
    );
    assert_eq!(err.code, 400);
}

/// Server-side applies the `web` Deployment fixture (image nginx:1) with `replicas` as `manager`.
async fn apply_web(
    api: &kube::Api<kube::api::DynamicObject>,
    manager: &str,
    replicas: i64,
    force: bool,
) -> Result<kube::api::DynamicObject, kube::Error> {
    apply(
        api,
        manager,
        deployment("web", "default", replicas, "nginx:1"),
        force,
    )
    .await
}
