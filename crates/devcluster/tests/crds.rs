//! CustomResourceDefinitions: serving, discovery, conditions, schema validation and pruning, status
//! subresource, several versions, deletion of a CRD deleting its objects.

mod common;

use std::time::{Duration, Instant};

use common::*;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::discovery::Discovery;
use serde_json::{json, Value};

fn widget_crd(scope: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com", "scope": scope,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
            "versions": [
                {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.size", "statusReplicasPath": ".status.count"}},
                 "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "required": ["size"], "properties": {
                        "size": {"type": "integer", "minimum": 1, "maximum": 10},
                        "color": {"type": "string", "enum": ["red", "blue"]},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    "status": {"type": "object", "properties": {"ready": {"type": "boolean"}, "count": {"type": "integer"}}}}}}},
                {"name": "v1beta1", "served": true, "storage": false,
                 "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}
            ]
        }
    })
}

async fn install_crd(c: &devcluster::DevCluster, scope: &str) {
    let crds = Api::<DynamicObject>::all_with(
        c.client(),
        &resource(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
        ),
    );
    apply(&crds, "test", widget_crd(scope), false)
        .await
        .unwrap();
}

fn widgets(c: &devcluster::DevCluster, version: &str) -> Api<DynamicObject> {
    Api::namespaced_with(
        c.client(),
        "default",
        &resource("example.com", version, "Widget", "widgets"),
    )
}

fn widget(size: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "default"}, "spec": {"size": size}})
}

#[tokio::test]
async fn crd_is_served_and_discovered_within_a_second() {
    let c = cluster().await;
    let started = Instant::now();
    install_crd(&c, "Namespaced").await;
    loop {
        let discovery = Discovery::new(c.client()).run().await.unwrap();
        let found = discovery.groups().any(|g| {
            g.name() == "example.com"
                && g.recommended_resources()
                    .iter()
                    .any(|(r, _)| r.plural == "widgets")
        });
        if found {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "widgets not discovered within a second"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let crds = Api::<DynamicObject>::all_with(
        c.client(),
        &resource(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
        ),
    );
    let crd = crds.get("widgets.example.com").await.unwrap();
    let conditions = crd.data["status"]["conditions"].as_array().unwrap().clone();
    for t in ["Established", "NamesAccepted"] {
        assert!(
            conditions
                .iter()
                .any(|c| c["type"] == t && c["status"] == "True"),
            "{t} not True: {conditions:?}"
        );
    }
    apply(&widgets(&c, "v1"), "test", widget(json!(3)), false)
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_resources_are_validated_against_the_schema() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    let api = widgets(&c, "v1");
    for bad in [
        widget(json!(0)),
        widget(json!("three")),
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}),
    ] {
        let err = status_of(apply(&api, "test", bad.clone(), false).await);
        assert_eq!(
            (err.code, err.reason.as_str()),
            (422, "Invalid"),
            "{bad}: {}",
            err.message
        );
    }
    let mut wrong_enum = widget(json!(2));
    wrong_enum["spec"]["color"] = json!("green");
    assert_eq!(
        status_of(apply(&api, "test", wrong_enum, false).await).code,
        422
    );
}

#[tokio::test]
async fn unknown_fields_are_pruned_unless_preserved() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    let api = widgets(&c, "v1");
    let mut w = widget(json!(2));
    w["spec"]["bogus"] = json!(1);
    w["spec"]["free"] = json!({"anything": {"goes": true}});
    let pp = PostParams {
        field_manager: None,
        ..Default::default()
    };
    api.create(&pp, &serde_json::from_value(w).unwrap())
        .await
        .unwrap();
    let stored = api.get("w").await.unwrap();
    assert!(
        stored.data["spec"].get("bogus").is_none(),
        "{}",
        stored.data
    );
    assert_eq!(
        stored.data["spec"]["free"],
        json!({"anything": {"goes": true}})
    );
}

#[tokio::test]
async fn status_subresource_separates_spec_and_status() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    let api = widgets(&c, "v1");
    apply(&api, "test", widget(json!(2)), false).await.unwrap();
    api.patch_status(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"ready": true}, "spec": {"size": 9}})),
    )
    .await
    .unwrap();
    let o = api.get("w").await.unwrap();
    assert_eq!(o.data["status"]["ready"], true);
    assert_eq!(
        o.data["spec"]["size"], 2,
        "status writes must not change spec"
    );
    api.patch(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"ready": false}, "spec": {"size": 4}})),
    )
    .await
    .unwrap();
    let o = api.get("w").await.unwrap();
    assert_eq!(
        o.data["status"]["ready"], true,
        "main-resource writes must not change status"
    );
    assert_eq!(o.data["spec"]["size"], 4);
}

#[tokio::test]
async fn every_served_version_reads_the_same_object() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    apply(&widgets(&c, "v1"), "test", widget(json!(2)), false)
        .await
        .unwrap();
    let beta = widgets(&c, "v1beta1").get("w").await.unwrap();
    assert_eq!(beta.types.unwrap().api_version, "example.com/v1beta1");
    assert_eq!(beta.data["spec"]["size"], 2);
}

#[tokio::test]
async fn cluster_scoped_crd_objects_have_no_namespace() {
    let c = cluster().await;
    install_crd(&c, "Cluster").await;
    let api = Api::<DynamicObject>::all_with(
        c.client(),
        &resource("example.com", "v1", "Widget", "widgets"),
    );
    let mut w = widget(json!(1));
    w["metadata"].as_object_mut().unwrap().remove("namespace");
    let o = apply(&api, "test", w, false).await.unwrap();
    assert!(o.metadata.namespace.is_none());
}

#[tokio::test]
async fn deleting_the_crd_deletes_its_objects_and_stops_serving() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    apply(&widgets(&c, "v1"), "test", widget(json!(2)), false)
        .await
        .unwrap();
    let crds = Api::<DynamicObject>::all_with(
        c.client(),
        &resource(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
        ),
    );
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while crds.get("widgets.example.com").await.is_ok() {
        assert!(Instant::now() < deadline, "CRD still present");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status_of(widgets(&c, "v1").get("w").await).code, 404);
    // Recreating the CRD serves an empty collection: the old objects are gone for good.
    install_crd(&c, "Namespaced").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match widgets(&c, "v1").list(&Default::default()).await {
            Ok(list) => {
                assert!(list.items.is_empty());
                break;
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test]
async fn strategic_merge_patch_of_a_custom_resource_is_unsupported_media_type() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    let api = widgets(&c, "v1");
    apply(&api, "test", widget(json!(2)), false).await.unwrap();
    let patch = Patch::Strategic(json!({"spec": {"size": 3}}));
    let err = status_of(api.patch("w", &PatchParams::default(), &patch).await);
    assert_eq!(
        (err.code, err.reason.as_str()),
        (415, "UnsupportedMediaType")
    );
}

#[tokio::test]
async fn scale_subresource_of_a_custom_resource_uses_its_declared_paths() {
    let c = cluster().await;
    install_crd(&c, "Namespaced").await;
    let api = widgets(&c, "v1");
    apply(&api, "test", widget(json!(2)), false).await.unwrap();
    assert_eq!(
        api.get_scale("w").await.unwrap().spec.unwrap().replicas,
        Some(2)
    );
    api.patch_scale(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": 7}})),
    )
    .await
    .unwrap();
    assert_eq!(api.get("w").await.unwrap().data["spec"]["size"], 7);
}
