//! The workload simulator, seen by kube-rs and kubectl: the status transitions the README documents for each
//! kind, the `:fail` images, and `kubectl rollout status` completing. kubectl must be installed: the kubectl
//! tests fail, not skip, without it.

mod common;

use std::time::Duration;

use devcluster::{simulator, DevCluster, DevClusterConfig};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
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

#[tokio::test]
async fn deployment_is_observed_then_available_and_rolls_out_a_new_template() {
    let c = simulated().await;
    common::namespace(&c, "apps").await;
    let deploys = api(&c, "apps", "Deployment");
    let name = create(&deploys, common::deployment("web", "apps", 2, "nginx:1.27")).await;

    let observed = wait_until(&deploys, &name, "observed stage", |d| {
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

    let settled = wait_until(&deploys, &name, "available", |d| {
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
    let rolling = wait_until(&deploys, &name, "second rollout observed", |d| {
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
    wait_until(&deploys, &name, "second rollout done", |d| {
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

    let scale = json!({"spec": {"replicas": 5}});
    deploys
        .patch(&name, &PatchParams::default(), &Patch::Merge(scale))
        .await
        .unwrap();
    let scaling = wait_until(&deploys, &name, "scale observed", |d| {
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
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "postgres:17"}]}}}});
    sts.patch("db", &PatchParams::default(), &Patch::Merge(image))
        .await
        .unwrap();
    let rolling = wait_until(&sts, "db", "rollout observed", |o| {
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
async fn job_starts_then_completes() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let name = create(
        &jobs,
        job("migrate", "batch", "busybox", Some("echo done"), 6),
    )
    .await;
    let started = wait_until(&jobs, &name, "started", |j| {
        j["status"]["startTime"].is_string()
    })
    .await;
    assert!(
        started["status"]["conditions"].is_null(),
        "not complete before the delay"
    );
    assert_eq!(int(&started, "/status/active"), 1);
    let done = wait_until(&jobs, &name, "complete", |j| {
        has_condition(j, "Complete", "True", "CompletionsReached")
    })
    .await;
    assert_eq!(int(&done, "/status/succeeded"), 1);
    assert_eq!(int(&done, "/status/active"), 0);
    assert!(done["status"]["completionTime"].is_string());
    assert_eq!(done["status"]["startTime"], started["status"]["startTime"]);
    assert!(has_condition(
        &done,
        "SuccessCriteriaMet",
        "True",
        "CompletionsReached"
    ));
}

#[tokio::test]
async fn suspended_job_waits_and_completes_once_resumed() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let mut manifest = job("later", "batch", "busybox", None, 6);
    manifest["spec"]["suspend"] = true.into();
    let name = create(&jobs, manifest).await;
    let suspended = wait_until(&jobs, &name, "suspended", |j| {
        has_condition(j, "Suspended", "True", "JobSuspended")
    })
    .await;
    assert!(suspended["status"]["startTime"].is_null());
    let resume = json!({"spec": {"suspend": false}});
    jobs.patch(&name, &PatchParams::default(), &Patch::Merge(resume))
        .await
        .unwrap();
    let done = wait_until(&jobs, &name, "complete", |j| {
        has_condition(j, "Complete", "True", "CompletionsReached")
    })
    .await;
    assert!(has_condition(&done, "Suspended", "False", "JobResumed"));
    assert_eq!(int(&done, "/status/active"), 0);
}

#[tokio::test]
async fn job_whose_command_exits_1_with_backoff_limit_0_fails() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let name = create(
        &jobs,
        job("check", "batch", "busybox", Some("echo boom; exit 1"), 0),
    )
    .await;
    let failed = wait_until(&jobs, &name, "failed", |j| {
        has_condition(j, "Failed", "True", "BackoffLimitExceeded")
    })
    .await;
    assert_eq!(int(&failed, "/status/failed"), 1);
    assert!(failed["status"]["completionTime"].is_null());
    assert!(!has_condition(
        &failed,
        "Complete",
        "True",
        "CompletionsReached"
    ));
}

#[tokio::test]
async fn job_with_a_fail_image_fails() {
    let c = simulated().await;
    common::namespace(&c, "batch").await;
    let jobs = api(&c, "batch", "Job");
    let name = create(&jobs, job("pull", "batch", "busybox:fail", None, 2)).await;
    let failed = wait_until(&jobs, &name, "failed", |j| {
        has_condition(j, "Failed", "True", "BackoffLimitExceeded")
    })
    .await;
    assert_eq!(int(&failed, "/status/failed"), 3);
}

#[tokio::test]
async fn pods_run_ready_or_fail_as_their_containers_would() {
    let c = simulated().await;
    common::namespace(&c, "pods").await;
    let pods = api(&c, "pods", "Pod");
    create(&pods, pod("ok", "pods", "nginx", None, "Always")).await;
    create(&pods, pod("pull", "pods", "nginx:fail", None, "Always")).await;
    create(
        &pods,
        pod("crash", "pods", "busybox", Some("exit 1"), "Always"),
    )
    .await;
    create(
        &pods,
        pod("once", "pods", "busybox", Some("exit 1"), "Never"),
    )
    .await;

    let pending = wait_until(&pods, "ok", "scheduled", |p| {
        p["status"]["phase"] == "Pending"
    })
    .await;
    assert!(has_condition(&pending, "PodScheduled", "True", ""));
    let ok = wait_until(&pods, "ok", "running", |p| {
        p["status"]["phase"] == "Running"
    })
    .await;
    assert!(has_condition(&ok, "Ready", "True", ""));
    assert_eq!(ok["status"]["containerStatuses"][0]["ready"], true);
    assert!(ok["status"]["containerStatuses"][0]["state"]["running"]["startedAt"].is_string());

    let waiting =
        |p: &Value| p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"].clone();
    let pull = wait_until(&pods, "pull", "image pull back-off", |p| {
        waiting(p) == "ImagePullBackOff"
    })
    .await;
    assert_eq!(pull["status"]["phase"], "Pending");
    assert!(has_condition(&pull, "Ready", "False", "ContainersNotReady"));
    let crash = wait_until(&pods, "crash", "crash loop", |p| {
        waiting(p) == "CrashLoopBackOff"
    })
    .await;
    assert_eq!(crash["status"]["phase"], "Running");
    assert_eq!(
        crash["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"],
        1
    );
    let once = wait_until(&pods, "once", "failed", |p| {
        p["status"]["phase"] == "Failed"
    })
    .await;
    assert_eq!(
        once["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        1
    );
}

#[tokio::test]
async fn claims_bind_and_services_and_ingresses_get_addresses() {
    let c = simulated().await;
    common::namespace(&c, "net").await;
    let claims = api(&c, "net", "PersistentVolumeClaim");
    create(&claims, json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "net"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    }))
    .await;
    let services = api(&c, "net", "Service");
    for (name, type_) in [("front", "LoadBalancer"), ("back", "ClusterIP")] {
        create(&services, json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "net"},
            "spec": {"type": type_, "selector": {"app": name}, "ports": [{"port": 80}]}
        }))
        .await;
    }
    let ingresses = api(&c, "net", "Ingress");
    create(&ingresses, json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "net"},
        "spec": {"defaultBackend": {"service": {"name": "front", "port": {"number": 80}}}}
    }))
    .await;

    let bound = wait_until(&claims, "data", "bound", |p| {
        p["status"]["phase"] == "Bound"
    })
    .await;
    assert_eq!(bound["status"]["capacity"]["storage"], "1Gi");
    assert_eq!(bound["status"]["accessModes"], json!(["ReadWriteOnce"]));

    let front = wait_until(&services, "front", "load balancer", |s| {
        !s["status"]["loadBalancer"]["ingress"].is_null()
    })
    .await;
    assert_eq!(
        front["status"]["loadBalancer"]["ingress"][0]["ip"],
        "127.0.0.1"
    );
    let back = wait_until(&services, "back", "cluster IP", |s| {
        s["spec"]["clusterIP"].is_string()
    })
    .await;
    let ips = [&front, &back].map(|s| s["spec"]["clusterIP"].as_str().unwrap().to_string());
    assert!(ips.iter().all(|ip| ip.starts_with("10.96.")), "{ips:?}");
    assert_ne!(ips[0], ips[1]);
    assert_eq!(back["spec"]["clusterIPs"], json!([ips[1]]));
    tokio::time::sleep(DELAY * 2).await;
    let back = serde_json::to_value(services.get("back").await.unwrap()).unwrap();
    assert!(
        back["status"]["loadBalancer"]["ingress"].is_null(),
        "only LoadBalancer Services get one"
    );

    let ing = wait_until(&ingresses, "web", "load balancer", |i| {
        !i["status"]["loadBalancer"]["ingress"].is_null()
    })
    .await;
    assert_eq!(
        ing["status"]["loadBalancer"]["ingress"][0]["ip"],
        "127.0.0.1"
    );
}

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
#[ignore = "the write path keeps the stored managedFields on a server-side apply to /status, dropping the \
            applier's entry; un-ignore once store_object keeps them"]
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

/// Runs kubectl against `c` and returns (exit code, stdout + stderr).
async fn kubectl(c: &DevCluster, dir: &tempfile::TempDir, args: &[&str]) -> (i32, String) {
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, c.kubeconfig()).unwrap();
    let out = tokio::process::Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", dir.path())
        .output()
        .await
        .expect("kubectl must be installed to run these tests");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn kubectl_rollout_status_completes() {
    let c = simulated().await;
    let dir = tempfile::tempdir().unwrap();
    common::namespace(&c, "apps").await;
    create(
        &api(&c, "apps", "Deployment"),
        common::deployment("web", "apps", 3, "nginx"),
    )
    .await;
    let (code, out) = kubectl(
        &c,
        &dir,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            "apps",
            "--timeout=20s",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("successfully rolled out"), "{out}");
}

#[tokio::test]
async fn kubectl_rollout_status_reports_a_fail_image() {
    let c = simulated().await;
    let dir = tempfile::tempdir().unwrap();
    common::namespace(&c, "apps").await;
    create(
        &api(&c, "apps", "Deployment"),
        common::deployment("web", "apps", 1, "nginx:fail"),
    )
    .await;
    let (code, out) = kubectl(
        &c,
        &dir,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            "apps",
            "--timeout=20s",
        ],
    )
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("exceeded its progress deadline"), "{out}");
}
