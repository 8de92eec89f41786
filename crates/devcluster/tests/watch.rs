//! Watch through kube-rs and raw HTTP: events in order, resume from a resourceVersion, 410 for a too-old one,
//! selector transitions, bookmarks, timeouts and streaming lists.

mod common;

use std::time::Duration;

use common::*;
use futures::{StreamExt, TryStreamExt};
use kube::api::{DynamicObject, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::{watcher, WatchStreamExt};
use serde_json::{json, Value};

async fn next_event(
    stream: &mut (impl futures::Stream<Item = kube::Result<WatchEvent<DynamicObject>>> + Unpin),
) -> WatchEvent<DynamicObject> {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("event within 5 s")
        .expect("stream open")
        .expect("event ok")
}

fn kind_and_name(e: &WatchEvent<DynamicObject>) -> (String, String) {
    match e {
        WatchEvent::Added(o) => ("ADDED".into(), o.metadata.name.clone().unwrap_or_default()),
        WatchEvent::Modified(o) => (
            "MODIFIED".into(),
            o.metadata.name.clone().unwrap_or_default(),
        ),
        WatchEvent::Deleted(o) => (
            "DELETED".into(),
            o.metadata.name.clone().unwrap_or_default(),
        ),
        WatchEvent::Bookmark(_) => ("BOOKMARK".into(), String::new()),
        WatchEvent::Error(e) => (format!("ERROR {}", e.code), String::new()),
    }
}

#[tokio::test]
async fn watch_sees_changes_in_order_and_resumes() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let start = api
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default(), &start)
        .await
        .unwrap()
        .boxed();
    let created = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(configmap("w", "default", json!({"a": "1"}))).unwrap(),
        )
        .await
        .unwrap();
    api.patch(
        "w",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"a": "2"}})),
    )
    .await
    .unwrap();
    api.delete("w", &Default::default()).await.unwrap();
    let seen: Vec<_> = [
        next_event(&mut stream).await,
        next_event(&mut stream).await,
        next_event(&mut stream).await,
    ]
    .iter()
    .map(kind_and_name)
    .collect();
    assert_eq!(
        seen,
        vec![
            ("ADDED".into(), "w".into()),
            ("MODIFIED".into(), "w".into()),
            ("DELETED".into(), "w".into())
        ]
    );

    // Resuming from the creation's resourceVersion replays what followed it.
    let mut resumed = api
        .watch(&WatchParams::default(), &rv(&created))
        .await
        .unwrap()
        .boxed();
    let replay: Vec<_> = [
        next_event(&mut resumed).await,
        next_event(&mut resumed).await,
    ]
    .iter()
    .map(kind_and_name)
    .collect();
    assert_eq!(
        replay,
        vec![
            ("MODIFIED".into(), "w".into()),
            ("DELETED".into(), "w".into())
        ]
    );
}

#[tokio::test]
async fn a_no_op_write_emits_no_event() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let created = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(configmap("q", "default", json!({"a": "1"}))).unwrap(),
        )
        .await
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default(), &rv(&created))
        .await
        .unwrap()
        .boxed();
    api.replace("q", &PostParams::default(), &created)
        .await
        .unwrap();
    api.patch(
        "q",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"a": "2"}})),
    )
    .await
    .unwrap();
    assert_eq!(
        kind_and_name(&next_event(&mut stream).await),
        ("MODIFIED".into(), "q".into())
    );
    let o = api.get("q").await.unwrap();
    assert_eq!(o.data["data"]["a"], "2");
}

#[tokio::test]
async fn label_selector_transitions_become_added_and_deleted() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    create(&api, configmap("s", "default", json!({})))
        .await
        .unwrap();
    let start = api
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default().labels("team=a"), &start)
        .await
        .unwrap()
        .boxed();
    api.patch(
        "s",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"team": "a"}}})),
    )
    .await
    .unwrap();
    api.patch(
        "s",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"team": "b"}}})),
    )
    .await
    .unwrap();
    assert_eq!(kind_and_name(&next_event(&mut stream).await).0, "ADDED");
    assert_eq!(kind_and_name(&next_event(&mut stream).await).0, "DELETED");
}

/// Raw watch lines from the server, for what kube-rs hides.
async fn raw_lines(url: &str, query: &str, want: usize) -> (u16, Vec<Value>) {
    let resp = reqwest_like_get(&format!(
        "{url}/api/v1/namespaces/default/configmaps?{query}"
    ))
    .await;
    let (status, body) = resp;
    let lines: Vec<Value> = body
        .lines()
        .filter(|l| !l.is_empty())
        .take(want)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (status, lines)
}

/// A minimal HTTP/1.1 GET that reads until the server closes the response or 3 s pass.
async fn reqwest_like_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).to_string();
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\r\n\r\n");
    // De-chunk loosely: keep only lines that are JSON.
    let body = body
        .lines()
        .filter(|l| l.starts_with('{'))
        .collect::<Vec<_>>()
        .join("\n");
    (status, body)
}

#[tokio::test]
async fn too_old_resource_version_gets_410_expired_event() {
    let config = devcluster::DevClusterConfig {
        event_window: 10,
        ..Default::default()
    };
    let c = devcluster::DevCluster::start(config).await.unwrap();
    let api = configmaps(&c, "default");
    for i in 0..30 {
        create(&api, configmap(&format!("c{i}"), "default", json!({})))
            .await
            .unwrap();
    }
    let (status, lines) =
        raw_lines(c.url(), "watch=true&resourceVersion=2&timeoutSeconds=1", 1).await;
    assert_eq!(status, 200);
    assert_eq!(lines[0]["type"], "ERROR");
    assert_eq!(lines[0]["object"]["code"], 410);
    assert_eq!(lines[0]["object"]["reason"], "Expired");
    // kube-rs sees the same as a 410 error event.
    let mut stream = api
        .watch(&WatchParams::default(), "2")
        .await
        .unwrap()
        .boxed();
    assert_eq!(kind_and_name(&next_event(&mut stream).await).0, "ERROR 410");
}

#[tokio::test]
async fn streaming_list_ends_initial_events_with_a_bookmark() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    for name in ["x", "y"] {
        create(&api, configmap(name, "default", json!({})))
            .await
            .unwrap();
    }
    let (status, lines) = raw_lines(c.url(), "watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1", 3).await;
    assert_eq!(status, 200);
    let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(types, vec!["ADDED", "ADDED", "BOOKMARK"]);
    assert_eq!(
        lines[2]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    // Without resourceVersionMatch the request is refused rather than left hanging.
    let (status, _) = raw_lines(
        c.url(),
        "watch=true&sendInitialEvents=true&allowWatchBookmarks=true",
        1,
    )
    .await;
    assert!(status == 400 || status == 422, "{status}");
}

#[tokio::test]
async fn kube_runtime_watcher_tracks_objects() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let mut objects = watcher(api.clone(), watcher::Config::default())
        .applied_objects()
        .boxed();
    create(&api, configmap("rt", "default", json!({})))
        .await
        .unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(o) = objects.try_next().await.unwrap() {
            if o.metadata.name.as_deref() == Some("rt") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(seen);
}

#[tokio::test]
async fn streaming_list_watcher_works() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    create(&api, configmap("pre", "default", json!({})))
        .await
        .unwrap();
    let config = watcher::Config::default().streaming_lists();
    let mut objects = watcher(api.clone(), config).applied_objects().boxed();
    let first = tokio::time::timeout(Duration::from_secs(5), objects.try_next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(first.metadata.name.as_deref(), Some("pre"));
}

#[tokio::test]
async fn watch_timeout_ends_the_stream() {
    let c = cluster().await;
    let api = configmaps(&c, "default");
    let start = api
        .list(&Default::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut stream = api
        .watch(&WatchParams::default().timeout(1), &start)
        .await
        .unwrap()
        .boxed();
    let ended = tokio::time::timeout(Duration::from_secs(4), stream.next())
        .await
        .expect("stream ends after its timeout");
    assert!(ended.is_none());
}
