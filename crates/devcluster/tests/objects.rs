//! Object semantics through kube-rs: CRUD, uid/resourceVersion/generation, no-op writes, preconditions,
//! generateName, selectors, pagination, dry-run, namespaces and errors as Status.

mod common;

use common::*;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

#[tokio::test]
async fn system_namespaces_exist_at_start() {
    let c = cluster().await;
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client());
    let names: Vec<String> = api
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for want in ["default", "kube-system", "kube-public"] {
        assert!(
            names.contains(&want.to_string()),
            "{want} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn create_get_update_delete_round_trip() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let created: DynamicObject =
        serde_json::from_value(configmap("a", "default", json!({"k": "v"}))).unwrap();
    let created = api.create(&PostParams::default(), &created).await.unwrap();
    assert!(created.metadata.uid.is_some());
    assert!(created.metadata.creation_timestamp.is_some());
    let got = api.get("a").await.unwrap();
    assert_eq!(got.data["data"]["k"], "v");
    assert_eq!(rv(&got), rv(&created));

    let mut changed = got.clone();
    changed.data["data"]["k"] = json!("w");
    let updated = api
        .replace("a", &PostParams::default(), &changed)
        .await
        .unwrap();
    assert!(rv(&updated).parse::<u64>().unwrap() > rv(&got).parse::<u64>().unwrap());
    assert_eq!(updated.metadata.uid, created.metadata.uid);

    api.delete("a", &DeleteParams::default()).await.unwrap();
    let missing = status_of(api.get("a").await);
    assert_eq!((missing.code, missing.reason.as_str()), (404, "NotFound"));
    assert_eq!(missing.message, "configmaps \"a\" not found");
}

#[tokio::test]
async fn stale_resource_version_is_a_conflict() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject =
        serde_json::from_value(configmap("a", "default", json!({"k": "1"}))).unwrap();
    let first = api.create(&PostParams::default(), &o).await.unwrap();
    let mut second = first.clone();
    second.data["data"]["k"] = json!("2");
    api.replace("a", &PostParams::default(), &second)
        .await
        .unwrap();
    let mut stale = first.clone();
    stale.data["data"]["k"] = json!("3");
    let err = status_of(api.replace("a", &PostParams::default(), &stale).await);
    assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
}

#[tokio::test]
async fn create_of_existing_name_is_already_exists() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject = serde_json::from_value(configmap("a", "default", json!({}))).unwrap();
    api.create(&PostParams::default(), &o).await.unwrap();
    let err = status_of(api.create(&PostParams::default(), &o).await);
    assert_eq!((err.code, err.reason.as_str()), (409, "AlreadyExists"));
}

#[tokio::test]
async fn no_op_write_keeps_resource_version() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject =
        serde_json::from_value(configmap("a", "default", json!({"k": "v"}))).unwrap();
    let created = api.create(&PostParams::default(), &o).await.unwrap();
    let same = api
        .replace("a", &PostParams::default(), &created)
        .await
        .unwrap();
    assert_eq!(rv(&same), rv(&created));
    let patched = api
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"k": "v"}})),
        )
        .await
        .unwrap();
    assert_eq!(rv(&patched), rv(&created));
}

#[tokio::test]
async fn generation_moves_only_with_spec() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    let d = apply(
        &api,
        "test",
        deployment("web", "default", 1, "nginx:1"),
        false,
    )
    .await
    .unwrap();
    assert_eq!(d.metadata.generation, Some(1));
    let labelled = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    assert_eq!(labelled.metadata.generation, Some(1));
    let scaled = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    assert_eq!(scaled.metadata.generation, Some(2));
}

#[tokio::test]
async fn generate_name_makes_a_unique_name() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}),
    )
    .unwrap();
    let a = api.create(&PostParams::default(), &o).await.unwrap();
    let b = api.create(&PostParams::default(), &o).await.unwrap();
    let (a, b) = (a.metadata.name.unwrap(), b.metadata.name.unwrap());
    assert!(a.starts_with("gen-") && a.len() == 9, "{a}");
    assert_ne!(a, b);
}

#[tokio::test]
async fn label_and_field_selectors_filter_lists() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
        let mut o = configmap(name, "default", json!({}));
        o["metadata"]["labels"] = json!({"tier": tier});
        create(&api, o).await.unwrap();
    }
    let names = |l: kube::core::ObjectList<DynamicObject>| {
        l.items
            .into_iter()
            .filter_map(|o| o.metadata.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("tier=web"))
                .await
                .unwrap()
        ),
        vec!["a", "c"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().labels("tier in (db),!missing"))
                .await
                .unwrap()
        ),
        vec!["b"]
    );
    assert_eq!(
        names(
            api.list(&ListParams::default().fields("metadata.name=c"))
                .await
                .unwrap()
        ),
        vec!["c"]
    );
    let err = status_of(api.list(&ListParams::default().fields("spec.x=1")).await);
    assert_eq!(err.code, 400);
}

#[tokio::test]
async fn limit_and_continue_page_through_a_list() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    for i in 0..5 {
        create(&api, configmap(&format!("cm-{i}"), "default", json!({})))
            .await
            .unwrap();
    }
    let first = api.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.metadata.remaining_item_count, Some(3));
    let token = first.metadata.continue_.clone().unwrap();
    let second = api
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    let third = api
        .list(
            &ListParams::default()
                .limit(2)
                .continue_token(second.metadata.continue_.as_deref().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.metadata.continue_.is_none());
    let all: Vec<_> = [first, second, third]
        .into_iter()
        .flat_map(|l| l.items)
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(all, vec!["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"]);
}

#[tokio::test]
async fn dry_run_stores_nothing() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject = serde_json::from_value(configmap("dry", "default", json!({}))).unwrap();
    let pp = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let returned = api.create(&pp, &o).await.unwrap();
    assert_eq!(returned.metadata.name.as_deref(), Some("dry"));
    assert_eq!(status_of(api.get("dry").await).code, 404);
    api.create(&PostParams::default(), &o).await.unwrap();
    let dp = DeleteParams {
        dry_run: true,
        ..DeleteParams::default()
    };
    api.delete("dry", &dp).await.unwrap();
    assert!(api.get("dry").await.is_ok());
    let mut params = PatchParams::apply("t");
    params.dry_run = true;
    let before = api.get("dry").await.unwrap();
    api.patch(
        "dry",
        &params,
        &Patch::Apply(configmap("dry", "default", json!({"x": "y"}))),
    )
    .await
    .unwrap();
    assert_eq!(rv(&api.get("dry").await.unwrap()), rv(&before));
}

#[tokio::test]
async fn namespaced_objects_need_an_existing_namespace() {
    let c = cluster().await;
    let api = configmaps(&c, "nowhere");
    let o: DynamicObject = serde_json::from_value(configmap("a", "nowhere", json!({}))).unwrap();
    let err = status_of(api.create(&PostParams::default(), &o).await);
    assert_eq!((err.code, err.reason.as_str()), (404, "NotFound"));
    assert!(
        err.message.contains("namespaces \"nowhere\" not found"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn invalid_names_are_refused() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let o: DynamicObject =
        serde_json::from_value(configmap("Not_Valid", "default", json!({}))).unwrap();
    let err = status_of(api.create(&PostParams::default(), &o).await);
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    assert!(err.message.contains("metadata.name"), "{}", err.message);
}

#[tokio::test]
async fn json_and_merge_patches_apply() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    create(&api, configmap("p", "default", json!({"a": "1"})))
        .await
        .unwrap();
    api.patch(
        "p",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"b": "2", "a": null}})),
    )
    .await
    .unwrap();
    let ops: json_patch::Patch =
        serde_json::from_value(json!([{"op": "add", "path": "/data/c", "value": "3"}])).unwrap();
    let o = api
        .patch("p", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(o.data["data"], json!({"b": "2", "c": "3"}));
    let bad: json_patch::Patch =
        serde_json::from_value(json!([{"op": "remove", "path": "/data/zzz"}])).unwrap();
    assert_eq!(
        status_of(
            api.patch("p", &PatchParams::default(), &Patch::<()>::Json(bad))
                .await
        )
        .code,
        422
    );
}

#[tokio::test]
async fn scale_subresource_reads_and_writes_replicas() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    apply(
        &api,
        "gitops",
        deployment("web", "default", 2, "nginx:1"),
        false,
    )
    .await
    .unwrap();
    let scale = api.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(2));
    assert_eq!(scale.status.unwrap().selector.as_deref(), Some("app=web"));
    let pp = PatchParams::default();
    api.patch_scale("web", &pp, &Patch::Merge(json!({"spec": {"replicas": 5}})))
        .await
        .unwrap();
    assert_eq!(api.get("web").await.unwrap().data["spec"]["replicas"], 5);
    let err = status_of(
        api.patch_scale("web", &pp, &Patch::Merge(json!({"spec": {"replicas": -1}})))
            .await,
    );
    assert_eq!(err.code, 422);
    // ConfigMaps have no scale subresource.
    assert_eq!(
        status_of(configmaps(&c, "default").get_scale("x").await).code,
        404
    );
}
