//! How the simulator writes: off by default, generation untouched, settled objects left alone, restarts.

use std::time::Duration;

use devcluster::{simulator, DevCluster, DevClusterConfig};
use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::{api, common, create, has_condition, int, simulated, wait_until, DELAY};

#[tokio::test]
async fn status_writes_leave_the_generation_alone_and_a_settled_object_is_not_written_again() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 1, "nginx")).await;
    let settled = wait_until(&deploys, &name, "available", |d| {
        int(d, "/status/availableReplicas") == 1
    })
    .await;
    assert_eq!(int(&settled, "/metadata/generation"), 1);
    assert_eq!(int(&settled, "/status/observedGeneration"), 1);
    tokio::time::sleep(DELAY * 3).await;
    let later = deploys.get(&name).await.unwrap();
    assert_eq!(
        later.metadata.resource_version.as_deref(),
        settled["metadata"]["resourceVersion"].as_str(),
        "a settled object is not written again"
    );
}

#[tokio::test]
async fn a_condition_another_writer_adds_is_kept_and_does_not_restart_the_rollout() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 1, "nginx")).await;
    wait_until(&deploys, &name, "available", |d| {
        int(d, "/status/availableReplicas") == 1
    })
    .await;
    let custom = json!({"type": "Audited", "status": "True", "reason": "Checked"});
    let add: json_patch::Patch = serde_json::from_value(
        json!([{"op": "add", "path": "/status/conditions/-", "value": custom}]),
    )
    .unwrap();
    let written = deploys
        .patch_status(&name, &PatchParams::default(), &Patch::<()>::Json(add))
        .await
        .unwrap();
    tokio::time::sleep(DELAY * 3).await;
    let later = serde_json::to_value(deploys.get(&name).await.unwrap()).unwrap();
    assert_eq!(
        later["metadata"]["resourceVersion"].as_str(),
        written.metadata.resource_version.as_deref(),
        "{later:#}"
    );
    assert!(has_condition(&later, "Audited", "True", "Checked"));
}

#[tokio::test]
async fn simulated_status_is_owned_by_the_simulator_field_manager() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 1, "nginx")).await;
    let settled = wait_until(&deploys, &name, "available", |d| {
        int(d, "/status/availableReplicas") == 1
    })
    .await;
    let entries = settled["metadata"]["managedFields"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["manager"] == simulator::FIELD_MANAGER
                && e["subresource"] == "status"
                && e["operation"] == "Apply"),
        "{entries:#?}"
    );
}

#[tokio::test]
async fn without_simulate_status_stays_empty() {
    let c = common::cluster().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 1, "nginx")).await;
    tokio::time::sleep(DELAY * 3).await;
    let d = serde_json::to_value(deploys.get(&name).await.unwrap()).unwrap();
    assert!(d["status"].is_null(), "{d:#}");
}

#[tokio::test]
async fn objects_stored_before_the_simulator_started_are_settled() {
    let dir = tempfile::tempdir().unwrap();
    let config = DevClusterConfig {
        data_dir: Some(dir.path().to_path_buf()),
        ..DevClusterConfig::default()
    };
    let plain = DevCluster::start(config.clone()).await.unwrap();
    common::namespace(&plain, "apps").await;
    create(
        &api(&plain, "apps", "Deployment"),
        common::deployment("web", "apps", 1, "nginx"),
    )
    .await;
    plain.stop(Duration::from_secs(1)).await;

    let c = DevCluster::start(DevClusterConfig {
        simulate: Some(DELAY),
        ..config
    })
    .await
    .unwrap();
    wait_until(&api(&c, "apps", "Deployment"), "web", "available", |d| {
        int(d, "/status/availableReplicas") == 1
    })
    .await;
}

#[test]
fn the_default_delay_is_one_second() {
    assert_eq!(simulator::DEFAULT_DELAY, Duration::from_secs(1));
}

#[tokio::test]
async fn a_burst_settles_even_when_the_simulator_falls_behind_the_event_stream() {
    let c = DevCluster::start(DevClusterConfig {
        simulate: Some(DELAY),
        event_window: 16,
        ..DevClusterConfig::default()
    })
    .await
    .unwrap();
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let names: Vec<String> = (0..60).map(|i| format!("web-{i}")).collect();
    let creates = names
        .iter()
        .map(|n| create(&deploys, common::deployment(n, "apps", 1, "nginx")));
    futures::future::join_all(creates).await;
    for name in &names {
        wait_until(&deploys, name, "available", |d| {
            int(d, "/status/availableReplicas") == 1
        })
        .await;
    }
}
