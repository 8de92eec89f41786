//! Durable storage: a restarted devcluster serves the same objects, uids and resourceVersions; a watch resumed
//! from before the restart gets 410 and relists cleanly.

mod common;

use common::*;
use devcluster::{DevCluster, DevClusterConfig};
use futures::StreamExt;
use kube::api::{PostParams, WatchEvent, WatchParams};
use serde_json::json;

fn durable(dir: &std::path::Path) -> DevClusterConfig {
    DevClusterConfig {
        data_dir: Some(dir.to_path_buf()),
        ..Default::default()
    }
}

#[tokio::test]
async fn restart_serves_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let (uid, version, list_rv) = {
        let c = DevCluster::start(durable(dir.path())).await.unwrap();
        namespace(&c, "keep").await;
        let api = configmaps(&c, "keep");
        let o = api
            .create(
                &PostParams::default(),
                &serde_json::from_value(configmap("cm", "keep", json!({"k": "v"}))).unwrap(),
            )
            .await
            .unwrap();
        let list_rv = api
            .list(&Default::default())
            .await
            .unwrap()
            .metadata
            .resource_version
            .unwrap();
        (o.metadata.uid.clone().unwrap(), rv(&o), list_rv)
    }; // dropped: no graceful shutdown
    let c = DevCluster::start(durable(dir.path())).await.unwrap();
    let api = configmaps(&c, "keep");
    let o = api.get("cm").await.unwrap();
    assert_eq!(o.metadata.uid.clone().unwrap(), uid);
    assert_eq!(rv(&o), version);
    assert_eq!(o.data["data"]["k"], "v");
    // New writes continue the resourceVersion sequence.
    let next = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(configmap("cm2", "keep", json!({}))).unwrap(),
        )
        .await
        .unwrap();
    assert!(rv(&next).parse::<u64>().unwrap() > list_rv.parse::<u64>().unwrap());
}

#[tokio::test]
async fn watch_from_before_a_restart_is_expired() {
    let dir = tempfile::tempdir().unwrap();
    let old_rv = {
        let c = DevCluster::start(durable(dir.path())).await.unwrap();
        let api = configmaps(&c, "default");
        let o = api
            .create(
                &PostParams::default(),
                &serde_json::from_value(configmap("a", "default", json!({}))).unwrap(),
            )
            .await
            .unwrap();
        create(&api, configmap("b", "default", json!({})))
            .await
            .unwrap();
        rv(&o)
    };
    let c = DevCluster::start(durable(dir.path())).await.unwrap();
    let api = configmaps(&c, "default");
    let mut stream = api
        .watch(&WatchParams::default(), &old_rv)
        .await
        .unwrap()
        .boxed();
    match stream.next().await.unwrap().unwrap() {
        WatchEvent::Error(e) => assert_eq!(e.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
    let names: Vec<_> = api
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|o| o.metadata.name)
        .collect();
    assert_eq!(names, vec!["a", "b"]);
}
