//! Fields kube-apiserver refuses to change once an object exists: every verb (PUT, JSON, merge and strategic
//! merge patch, server-side apply, dry runs) is refused with 422 Invalid naming the field, worded as
//! kube-apiserver words it; the changes it allows still pass, and a no-op stays a no-op.

mod common;

use common::kubectl::Kubectl;
use common::*;
use devcluster::DevCluster;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{json, Value};

fn api(c: &DevCluster, group: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    Api::namespaced_with(c.client(), "default", &resource(group, "v1", kind, plural))
}

/// Asserts a 422 Invalid whose causes name `field` with `reason`; returns the message.
fn refused(result: Result<DynamicObject, kube::Error>, field: &str, reason: &str) -> String {
    let err = status_of(result);
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"), "{err:?}");
    let causes = err.details.expect("details").causes;
    assert!(
        causes
            .iter()
            .any(|c| c.field == field && c.reason == reason),
        "{field} {reason} not in {causes:?}"
    );
    err.message
}

fn with_selector(name: &str, kind_doc: Value, extra: &str) -> Value {
    let mut d = kind_doc;
    d["spec"]["selector"]["matchLabels"] = json!({"app": name, "tier": extra});
    d["spec"]["template"]["metadata"]["labels"] = json!({"app": name, "tier": extra});
    d
}

async fn get(api: &Api<DynamicObject>, name: &str) -> DynamicObject {
    api.get(name).await.expect("object exists")
}

#[tokio::test]
async fn deployment_selector_is_refused_by_every_verb_and_dry_run_stores_nothing() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    let created = apply(&api, "t", deployment("web", "default", 1, "nginx"), false)
        .await
        .unwrap();
    let changed = with_selector("web", deployment("web", "default", 1, "nginx"), "front");

    let message = refused(
        apply(&api, "t", changed.clone(), false).await,
        "spec.selector",
        "FieldValueInvalid",
    );
    assert!(
        message.starts_with("Deployment.apps \"web\" is invalid: spec.selector: Invalid value: ")
            && message.ends_with(": field is immutable"),
        "{message}"
    );

    let merge = json!({"spec": {"selector": {"matchLabels": {"tier": "front"}},
        "template": {"metadata": {"labels": {"tier": "front"}}}}});
    refused(
        api.patch("web", &PatchParams::default(), &Patch::Merge(&merge))
            .await,
        "spec.selector",
        "FieldValueInvalid",
    );
    refused(
        api.patch("web", &PatchParams::default(), &Patch::Strategic(&merge))
            .await,
        "spec.selector",
        "FieldValueInvalid",
    );
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "add", "path": "/spec/selector/matchLabels/tier", "value": "front"},
        {"op": "add", "path": "/spec/template/metadata/labels/tier", "value": "front"},
    ]))
    .unwrap();
    refused(
        api.patch("web", &PatchParams::default(), &Patch::Json::<()>(ops))
            .await,
        "spec.selector",
        "FieldValueInvalid",
    );
    let mut put = get(&api, "web").await;
    put.data["spec"]["selector"]["matchLabels"]["tier"] = json!("front");
    put.data["spec"]["template"]["metadata"]["labels"]["tier"] = json!("front");
    refused(
        api.replace("web", &PostParams::default(), &put).await,
        "spec.selector",
        "FieldValueInvalid",
    );
    let dry_put = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    refused(
        api.replace("web", &dry_put, &put).await,
        "spec.selector",
        "FieldValueInvalid",
    );
    let mut dry_apply = PatchParams::apply("t");
    dry_apply.dry_run = true;
    let dry_message = refused(
        api.patch("web", &dry_apply, &Patch::Apply(&changed)).await,
        "spec.selector",
        "FieldValueInvalid",
    );
    assert_eq!(dry_message, message);

    let after = get(&api, "web").await;
    assert_eq!(rv(&after), rv(&created), "nothing was stored");
    assert_eq!(
        after.data["spec"]["selector"],
        json!({"matchLabels": {"app": "web"}})
    );
}

#[tokio::test]
async fn deployment_template_and_replicas_change_and_a_no_op_keeps_the_version() {
    let c = cluster().await;
    let api = deployments(&c, "default");
    let first = apply(&api, "t", deployment("web", "default", 1, "nginx"), false)
        .await
        .unwrap();
    let changed = apply(&api, "t", deployment("web", "default", 3, "nginx:2"), false)
        .await
        .unwrap();
    assert_ne!(rv(&changed), rv(&first));
    assert_eq!(changed.data["spec"]["replicas"], 3);
    let again = apply(&api, "t", deployment("web", "default", 3, "nginx:2"), false)
        .await
        .unwrap();
    assert_eq!(
        rv(&again),
        rv(&changed),
        "a no-op re-apply keeps the resourceVersion"
    );
    let scale = PatchParams {
        field_manager: Some("t".into()),
        ..PatchParams::default()
    };
    let scaled = api
        .patch_scale(
            "web",
            &scale,
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
    assert_eq!(scaled.spec.unwrap().replicas, Some(5));
}

#[tokio::test]
async fn replicaset_and_daemonset_selectors_are_immutable() {
    let c = cluster().await;
    for (kind, plural) in [("ReplicaSet", "replicasets"), ("DaemonSet", "daemonsets")] {
        let api = api(&c, "apps", kind, plural);
        let mut doc = deployment("set", "default", 1, "nginx");
        doc["kind"] = json!(kind);
        if kind == "DaemonSet" {
            doc["spec"].as_object_mut().unwrap().remove("replicas");
        }
        apply(&api, "t", doc.clone(), false).await.unwrap();
        let message = refused(
            apply(&api, "t", with_selector("set", doc, "x"), false).await,
            "spec.selector",
            "FieldValueInvalid",
        );
        assert!(
            message.starts_with(&format!(
                "{kind}.apps \"set\" is invalid: spec.selector: Invalid value: "
            )) && message.ends_with("field is immutable"),
            "{message}"
        );
    }
}

fn statefulset(replicas: i64, service: &str, storage: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "serviceName": service,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "db", "image": "postgres"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}}]
        }
    })
}

const STATEFULSET_FORBIDDEN: &str = "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

#[tokio::test]
async fn statefulset_spec_is_frozen_but_replicas_template_and_strategy() {
    let c = cluster().await;
    let api = api(&c, "apps", "StatefulSet", "statefulsets");
    apply(&api, "t", statefulset(1, "db", "1Gi"), false)
        .await
        .unwrap();
    let mut allowed = statefulset(3, "db", "1Gi");
    allowed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("postgres:17");
    allowed["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
    allowed["spec"]["minReadySeconds"] = json!(5);
    apply(&api, "t", allowed.clone(), false).await.unwrap();

    let mut storage = allowed.clone();
    storage["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] =
        json!("2Gi");
    let message = refused(
        apply(&api, "t", storage, false).await,
        "spec",
        "FieldValueForbidden",
    );
    assert_eq!(message, STATEFULSET_FORBIDDEN);
    let mut service = allowed.clone();
    service["spec"]["serviceName"] = json!("other");
    assert_eq!(
        refused(
            apply(&api, "t", service, false).await,
            "spec",
            "FieldValueForbidden"
        ),
        STATEFULSET_FORBIDDEN
    );
    let selector = json!({"spec": {"selector": {"matchLabels": {"tier": "x"}},
        "template": {"metadata": {"labels": {"tier": "x"}}}}});
    refused(
        api.patch("db", &PatchParams::default(), &Patch::Merge(&selector))
            .await,
        "spec",
        "FieldValueForbidden",
    );
}

fn job(completions: i64, image: &str) -> Value {
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "default"},
        "spec": {
            "completions": completions,
            "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "m", "image": image}]}}
        }
    })
}

#[tokio::test]
async fn job_template_and_completions_are_immutable() {
    let c = cluster().await;
    let api = api(&c, "batch", "Job", "jobs");
    apply(&api, "t", job(1, "migrate:1"), false).await.unwrap();
    let message = refused(
        apply(&api, "t", job(1, "migrate:2"), false).await,
        "spec.template",
        "FieldValueInvalid",
    );
    assert!(
        message.starts_with("Job.batch \"migrate\" is invalid: spec.template: Invalid value: ")
            && message.ends_with(": field is immutable"),
        "{message}"
    );
    let message = refused(
        apply(&api, "t", job(2, "migrate:1"), false).await,
        "spec.completions",
        "FieldValueInvalid",
    );
    assert_eq!(
        message,
        "Job.batch \"migrate\" is invalid: spec.completions: Invalid value: 2: field is immutable"
    );
    // Labels and annotations of the Job itself may change.
    let mut labelled = job(1, "migrate:1");
    labelled["metadata"]["labels"] = json!({"team": "a"});
    apply(&api, "t", labelled, false).await.unwrap();
}

fn service(cluster_ip: Option<&str>) -> Value {
    let mut s = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    });
    if let Some(ip) = cluster_ip {
        s["spec"]["clusterIP"] = json!(ip);
    }
    s
}

#[tokio::test]
async fn service_cluster_ip_may_not_change_but_may_be_left_out() {
    let c = cluster().await;
    let api = api(&c, "", "Service", "services");
    let created = create(&api, service(None)).await.unwrap();
    let ip = created.data["spec"]["clusterIP"]
        .as_str()
        .unwrap()
        .to_string();

    // A PUT without clusterIP keeps the allocated one.
    let mut put: DynamicObject = serde_json::from_value(service(None)).unwrap();
    put.data["spec"]["ports"] = json!([{"port": 8080}]);
    let replaced = api
        .replace("web", &PostParams::default(), &put)
        .await
        .unwrap();
    assert_eq!(replaced.data["spec"]["clusterIP"], json!(ip));
    assert_eq!(replaced.data["spec"]["clusterIPs"], json!([ip]));

    let message = refused(
        api.patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"clusterIP": "10.96.7.7"}})),
        )
        .await,
        "spec.clusterIPs[0]",
        "FieldValueInvalid",
    );
    assert_eq!(
        message,
        "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: [\"10.96.7.7\"]: may not change once set"
    );
    let mut put: DynamicObject = serde_json::from_value(service(Some("10.96.7.7"))).unwrap();
    put.data["spec"]["clusterIPs"] = json!(["10.96.7.7"]);
    refused(
        api.replace("web", &PostParams::default(), &put).await,
        "spec.clusterIPs[0]",
        "FieldValueInvalid",
    );
    // Becoming an ExternalName Service drops the address.
    let external = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"type": "ExternalName", "externalName": "example.com"}});
    let put: DynamicObject = serde_json::from_value(external).unwrap();
    api.replace("web", &PostParams::default(), &put)
        .await
        .unwrap();
}

#[tokio::test]
async fn immutable_configmaps_and_secrets_keep_their_data() {
    let c = cluster().await;
    let cms = configmaps(&c, "default");
    let mut cm = configmap("settings", "default", json!({"a": "1"}));
    cm["immutable"] = json!(true);
    apply(&cms, "t", cm.clone(), false).await.unwrap();
    let mut changed = cm.clone();
    changed["data"]["a"] = json!("2");
    assert_eq!(
        refused(apply(&cms, "t", changed, false).await, "data", "FieldValueForbidden"),
        "ConfigMap \"settings\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
    );
    let mut binary = cm.clone();
    binary["binaryData"] = json!({"b": "AAE="});
    refused(
        apply(&cms, "t", binary, false).await,
        "binaryData",
        "FieldValueForbidden",
    );
    let mut thawed = cm.clone();
    thawed["immutable"] = json!(false);
    assert_eq!(
        refused(apply(&cms, "t", thawed, false).await, "immutable", "FieldValueForbidden"),
        "ConfigMap \"settings\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set"
    );
    let mut labelled = cm.clone();
    labelled["metadata"]["labels"] = json!({"a": "b"});
    apply(&cms, "t", labelled, false).await.unwrap();

    let secrets = api(&c, "", "Secret", "secrets");
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "creds", "namespace": "default"},
        "immutable": true, "stringData": {"password": "hunter2"}});
    create(&secrets, secret).await.unwrap();
    let message = refused(
        secrets
            .patch(
                "creds",
                &PatchParams::default(),
                &Patch::Merge(json!({"stringData": {"password": "swordfish"}})),
            )
            .await,
        "data",
        "FieldValueForbidden",
    );
    assert_eq!(
        message,
        "Secret \"creds\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
    );
    // The same value again is no change.
    secrets
        .patch(
            "creds",
            &PatchParams::default(),
            &Patch::Merge(json!({"stringData": {"password": "hunter2"}})),
        )
        .await
        .unwrap();
    refused(
        secrets
            .patch(
                "creds",
                &PatchParams::default(),
                &Patch::Merge(json!({"type": "kubernetes.io/tls"})),
            )
            .await,
        "type",
        "FieldValueInvalid",
    );
}

#[tokio::test]
async fn claims_may_only_change_their_requests() {
    let c = cluster().await;
    let api = api(&c, "", "PersistentVolumeClaim", "persistentvolumeclaims");
    let claim = |size: &str, mode: &str| {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {"accessModes": [mode], "resources": {"requests": {"storage": size}}}})
    };
    apply(&api, "t", claim("1Gi", "ReadWriteOnce"), false)
        .await
        .unwrap();
    let grown = apply(&api, "t", claim("2Gi", "ReadWriteOnce"), false)
        .await
        .unwrap();
    assert_eq!(
        grown.data["spec"]["resources"]["requests"]["storage"],
        "2Gi"
    );
    let message = refused(
        apply(&api, "t", claim("2Gi", "ReadWriteMany"), false).await,
        "spec",
        "FieldValueForbidden",
    );
    assert_eq!(message, "PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims");
}

#[tokio::test]
async fn pods_may_only_change_images_and_a_few_fields() {
    let c = cluster().await;
    let api = api(&c, "", "Pod", "pods");
    let pod = |image: &str, port: i64| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": image, "ports": [{"containerPort": port}]}]}})
    };
    apply(&api, "t", pod("nginx:1", 80), false).await.unwrap();
    let updated = apply(&api, "t", pod("nginx:2", 80), false).await.unwrap();
    assert_eq!(updated.data["spec"]["containers"][0]["image"], "nginx:2");
    let message = refused(
        apply(&api, "t", pod("nginx:2", 81), false).await,
        "spec",
        "FieldValueForbidden",
    );
    assert!(
        message.starts_with("Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"),
        "{message}"
    );
    let mut tolerated = pod("nginx:2", 80);
    tolerated["spec"]["tolerations"] = json!([{"key": "k", "operator": "Exists"}]);
    tolerated["spec"]["activeDeadlineSeconds"] = json!(60);
    apply(&api, "t", tolerated, false).await.unwrap();
    let raise = json!({"spec": {"activeDeadlineSeconds": 120}});
    refused(
        api.patch("p", &PatchParams::default(), &Patch::Merge(&raise))
            .await,
        "spec.activeDeadlineSeconds",
        "FieldValueInvalid",
    );
    // Labels are metadata: always allowed.
    let labels = json!({"metadata": {"labels": {"x": "y"}}});
    api.patch("p", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .unwrap();
}

#[tokio::test]
async fn role_binding_role_ref_is_immutable() {
    let c = cluster().await;
    let api = api(
        &c,
        "rbac.authorization.k8s.io",
        "RoleBinding",
        "rolebindings",
    );
    let binding = |role: &str| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "default"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]})
    };
    apply(&api, "t", binding("reader"), false).await.unwrap();
    let message = refused(
        apply(&api, "t", binding("writer"), false).await,
        "roleRef",
        "FieldValueInvalid",
    );
    assert!(message.ends_with(": cannot change roleRef"), "{message}");
}

#[tokio::test]
async fn kubectl_server_side_apply_of_a_changed_selector_fails_with_the_message() {
    let k = Kubectl::start().await;
    let manifest = |tier: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: web\n      tier: {tier}\n  template:\n    metadata:\n      labels:\n        app: web\n        tier: {tier}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n"
        )
    };
    let first = k.file("first.yaml", &manifest("front"));
    k.ok(&["apply", "--server-side", "-f", &first]).await;
    let second = k.file("second.yaml", &manifest("back"));
    let out = k.run(&["apply", "--server-side", "-f", &second]).await;
    // kubectl prints an Invalid Status from its details, as it does against kube-apiserver.
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("The Deployment \"web\" is invalid: spec.selector: Invalid value: ")
            && out.stderr.contains("field is immutable"),
        "{}",
        out.stderr
    );
    // The unchanged manifest still applies, without a new version.
    let before = k.json(&["get", "deployment", "web"]).await;
    k.ok(&["apply", "--server-side", "-f", &first]).await;
    let after = k.json(&["get", "deployment", "web"]).await;
    assert_eq!(
        before["metadata"]["resourceVersion"],
        after["metadata"]["resourceVersion"]
    );
    // Client-side apply is refused the same way.
    let out = k.run(&["apply", "-f", &second]).await;
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("field is immutable"), "{}", out.stderr);
}
