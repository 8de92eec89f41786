//! Deployments, ReplicaSets, StatefulSets and DaemonSets.

use kube::api::{Patch, PatchParams};
use serde_json::json;

use super::{
    api, common, create, has_condition, int, simulated, wait_until, watch, workload, DELAY,
};

#[tokio::test]
async fn deployment_is_observed_then_available_and_rolls_out_a_new_template() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let mut states = watch(&deploys, "web").await;
    let name = create(&deploys, common::deployment("web", "apps", 2, "nginx:1.27")).await;

    let observed = states
        .until("observed stage", |d| {
            int(d, "/status/observedGeneration") == 1
        })
        .await;
    assert_eq!(int(&observed, "/status/updatedReplicas"), 2);
    assert_eq!(int(&observed, "/status/availableReplicas"), 0);
    assert!(has_condition(
        &observed,
        "Progressing",
        "True",
        "ReplicaSetUpdated"
    ));
    assert!(has_condition(
        &observed,
        "Available",
        "False",
        "MinimumReplicasUnavailable"
    ));

    let settled = states
        .until("available", |d| {
            has_condition(d, "Progressing", "True", "NewReplicaSetAvailable")
        })
        .await;
    for field in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        assert_eq!(int(&settled, &format!("/status/{field}")), 2, "{field}");
    }
    assert!(has_condition(
        &settled,
        "Available",
        "True",
        "MinimumReplicasAvailable"
    ));

    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}}});
    deploys
        .patch(&name, &PatchParams::default(), &Patch::Merge(image))
        .await
        .unwrap();
    let rolling = states
        .until("second rollout observed", |d| {
            int(d, "/status/observedGeneration") == 2
        })
        .await;
    assert_eq!(int(&rolling, "/metadata/generation"), 2);
    assert_eq!(
        int(&rolling, "/status/replicas"),
        4,
        "old pods stay until the new ones are available"
    );
    assert_eq!(int(&rolling, "/status/updatedReplicas"), 2);
    assert_eq!(int(&rolling, "/status/availableReplicas"), 2);
    assert!(has_condition(
        &rolling,
        "Progressing",
        "True",
        "ReplicaSetUpdated"
    ));
    assert!(has_condition(
        &rolling,
        "Available",
        "True",
        "MinimumReplicasAvailable"
    ));
    states
        .until("second rollout done", |d| {
            has_condition(d, "Progressing", "True", "NewReplicaSetAvailable")
                && int(d, "/status/replicas") == 2
        })
        .await;
}

#[tokio::test]
async fn scaling_a_deployment_keeps_its_available_replicas_until_the_new_ones_are_ready() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 2, "nginx:1.27")).await;
    wait_until(&deploys, &name, "available", |d| {
        int(d, "/status/availableReplicas") == 2
    })
    .await;

    let mut states = watch(&deploys, &name).await;
    let scale = json!({"spec": {"replicas": 5}});
    deploys
        .patch(&name, &PatchParams::default(), &Patch::Merge(scale))
        .await
        .unwrap();
    let scaling = states
        .until("scale observed", |d| {
            int(d, "/status/observedGeneration") == 2
        })
        .await;
    assert_eq!(
        int(&scaling, "/status/replicas"),
        5,
        "a scale makes no new template"
    );
    assert_eq!(int(&scaling, "/status/availableReplicas"), 2);
    wait_until(&deploys, &name, "scaled", |d| {
        int(d, "/status/availableReplicas") == 5
    })
    .await;
}

#[tokio::test]
async fn deployment_with_a_fail_image_exceeds_its_progress_deadline() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(
        &deploys,
        common::deployment("broken", "apps", 1, "nginx:fail"),
    )
    .await;
    let failed = wait_until(&deploys, &name, "progress deadline exceeded", |d| {
        has_condition(d, "Progressing", "False", "ProgressDeadlineExceeded")
    })
    .await;
    assert_eq!(int(&failed, "/status/observedGeneration"), 1);
    assert_eq!(int(&failed, "/status/availableReplicas"), 0);
    assert!(has_condition(
        &failed,
        "Available",
        "False",
        "MinimumReplicasUnavailable"
    ));
}

#[tokio::test]
async fn replicaset_statefulset_and_daemonset_become_ready() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let rs = api(&c, "apps", "ReplicaSet");
    create(&rs, workload("ReplicaSet", "rs", "apps", "nginx")).await;
    let sts = api(&c, "apps", "StatefulSet");
    let mut set = workload("StatefulSet", "db", "apps", "postgres");
    set["spec"]["serviceName"] = "db".into();
    create(&sts, set).await;
    let ds = api(&c, "apps", "DaemonSet");
    let mut daemon = workload("DaemonSet", "agent", "apps", "fluentd");
    daemon["spec"].as_object_mut().unwrap().remove("replicas");
    create(&ds, daemon).await;

    let r = wait_until(&rs, "rs", "replicas ready", |o| {
        int(o, "/status/readyReplicas") == 2
    })
    .await;
    assert_eq!(int(&r, "/status/availableReplicas"), 2);
    assert_eq!(int(&r, "/status/observedGeneration"), 1);

    let s = wait_until(&sts, "db", "replicas ready", |o| {
        int(o, "/status/readyReplicas") == 2
    })
    .await;
    assert_eq!(int(&s, "/status/updatedReplicas"), 2);
    assert_eq!(int(&s, "/status/observedGeneration"), 1);
    assert_eq!(
        s["status"]["currentRevision"],
        s["status"]["updateRevision"]
    );
    assert!(s["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .starts_with("db-"));

    let d = wait_until(&ds, "agent", "pod ready", |o| {
        int(o, "/status/numberReady") == 1
    })
    .await;
    for field in [
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "updatedNumberScheduled",
        "numberAvailable",
    ] {
        assert_eq!(int(&d, &format!("/status/{field}")), 1, "{field}");
    }
    assert_eq!(int(&d, "/status/observedGeneration"), 1);
}

#[tokio::test]
async fn statefulset_rollout_moves_the_current_revision_after_the_delay() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let sts = api(&c, "apps", "StatefulSet");
    let mut set = workload("StatefulSet", "db", "apps", "postgres:16");
    set["spec"]["serviceName"] = "db".into();
    create(&sts, set).await;
    let first = wait_until(&sts, "db", "ready", |o| {
        int(o, "/status/readyReplicas") == 2
    })
    .await;
    let mut states = watch(&sts, "db").await;
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "postgres:17"}]}}}});
    sts.patch("db", &PatchParams::default(), &Patch::Merge(image))
        .await
        .unwrap();
    let rolling = states
        .until("rollout observed", |o| {
            int(o, "/status/observedGeneration") == 2
        })
        .await;
    assert_eq!(
        rolling["status"]["currentRevision"],
        first["status"]["updateRevision"]
    );
    assert_ne!(
        rolling["status"]["updateRevision"],
        first["status"]["updateRevision"]
    );
    assert_eq!(int(&rolling, "/status/updatedReplicas"), 0);
    let done = wait_until(&sts, "db", "rollout done", |o| {
        o["status"]["currentRevision"] == o["status"]["updateRevision"]
    })
    .await;
    assert_eq!(int(&done, "/status/updatedReplicas"), 2);
}

#[tokio::test]
async fn fail_images_keep_replicasets_statefulsets_and_daemonsets_unready() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let mut set = workload("StatefulSet", "db", "apps", "postgres:fail");
    set["spec"]["serviceName"] = "db".into();
    let mut daemon = workload("DaemonSet", "agent", "apps", "fluentd:fail");
    daemon["spec"].as_object_mut().unwrap().remove("replicas");
    let cases = [
        (
            "ReplicaSet",
            workload("ReplicaSet", "rs", "apps", "nginx:fail"),
            "/status/readyReplicas",
        ),
        ("StatefulSet", set, "/status/readyReplicas"),
        ("DaemonSet", daemon, "/status/numberReady"),
    ];
    let mut apis = Vec::new();
    for (kind, manifest, _) in &cases {
        let api = api(&c, "apps", kind);
        let name = create(&api, manifest.clone()).await;
        apis.push((api, name));
    }
    tokio::time::sleep(DELAY * 3).await;
    for ((api, name), (kind, _, ready)) in apis.iter().zip(&cases) {
        let object = serde_json::to_value(api.get(name).await.unwrap()).unwrap();
        assert_eq!(int(&object, "/status/observedGeneration"), 1, "{kind}");
        assert_eq!(int(&object, ready), 0, "{kind}: {object:#}");
    }
}

#[tokio::test]
async fn paused_deployment_reports_deployment_paused() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let mut manifest = common::deployment("web", "apps", 2, "nginx");
    manifest["spec"]["paused"] = true.into();
    let name = create(&deploys, manifest).await;
    let paused = wait_until(&deploys, &name, "paused", |d| {
        has_condition(d, "Progressing", "Unknown", "DeploymentPaused")
    })
    .await;
    assert_eq!(int(&paused, "/status/observedGeneration"), 1);
    assert_eq!(int(&paused, "/status/availableReplicas"), 0);
}
