//! Pods, PersistentVolumeClaims, Services and Ingresses.

use serde_json::{json, Value};

use super::{api, common, create, has_condition, pod, simulated, wait_until, watch, DELAY};

#[tokio::test]
async fn pods_run_ready_or_fail_as_their_containers_would() {
    let c = simulated().await;
    common::namespace(&c, "pods").await;
    let pods = api(&c, "pods", "Pod");
    let mut states = watch(&pods, "ok").await;
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

    let pending = states
        .until("scheduled", |p| p["status"]["phase"] == "Pending")
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
    create(&services, json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "peers", "namespace": "net"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}, "ports": [{"port": 5432}]}
    }))
    .await;
    create(&services, json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "upstream", "namespace": "net"},
        "spec": {"type": "ExternalName", "externalName": "example.com"}
    }))
    .await;
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
    let get = |name: &'static str| {
        let services = services.clone();
        async move { serde_json::to_value(services.get(name).await.unwrap()).unwrap() }
    };
    let back = get("back").await;
    assert!(
        back["status"]["loadBalancer"]["ingress"].is_null(),
        "only LoadBalancer Services get one"
    );
    assert_eq!(get("peers").await["spec"]["clusterIP"], "None");
    assert!(get("upstream").await["spec"]["clusterIP"].is_null());

    let ing = wait_until(&ingresses, "web", "load balancer", |i| {
        !i["status"]["loadBalancer"]["ingress"].is_null()
    })
    .await;
    assert_eq!(
        ing["status"]["loadBalancer"]["ingress"][0]["ip"],
        "127.0.0.1"
    );
}
