//! kubectl as a real client of devcluster: the everyday verbs a GitOps user runs against a cluster.
//! These tests need `kubectl` on PATH and fail (not skip) without it.

use std::time::Duration;

mod common;

use common::kubectl::Kubectl;

const APP: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: "fast"}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gear, namespace: shop}
spec: {size: 3}
"#;

#[tokio::test]
async fn create_namespace_and_server_side_apply_a_multi_document_file() {
    let k = Kubectl::start().await;
    assert_eq!(
        k.ok(&["create", "namespace", "shop"]).await.trim(),
        "namespace/shop created"
    );
    let file = k.file("app.yaml", APP);
    // Like kube-apiserver, the custom resource can only be mapped once its CRD exists: the first run creates
    // everything else and fails on the Widget, the second applies it.
    let first = k.run(&["apply", "--server-side", "-f", &file]).await;
    assert!(
        first
            .stdout
            .contains("deployment.apps/web serverside-applied"),
        "{}",
        first.stdout
    );
    assert!(first.stdout.contains(
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied"
    ));
    let second = k.ok(&["apply", "--server-side", "-f", &file]).await;
    assert!(
        second.contains("widget.example.com/gear serverside-applied"),
        "{second}"
    );
    let widget = k.json(&["get", "widget", "gear", "-n", "shop"]).await;
    assert_eq!(widget["spec"]["size"], 3);
    assert_eq!(
        k.ok(&["scale", "deployment", "web", "-n", "shop", "--replicas=4"])
            .await
            .trim(),
        "deployment.apps/web scaled"
    );
    let deployment = k
        .json(&[
            "get",
            "deployment",
            "web",
            "-n",
            "shop",
            "--show-managed-fields",
        ])
        .await;
    assert_eq!(deployment["spec"]["replicas"], 4);
    assert_eq!(
        deployment["metadata"]["managedFields"][0]["manager"],
        "kubectl"
    );
}

#[tokio::test]
async fn get_watch_sees_a_change_made_by_another_client() {
    let k = Kubectl::start().await;
    k.ok(&["create", "configmap", "watched", "--from-literal=a=1"])
        .await;
    let mut watch = k
        .command(&[
            "get",
            "configmap",
            "watched",
            "-w",
            "-o",
            "jsonpath={.data.a}{\"\\n\"}",
            "--request-timeout=10s",
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let api =
        kube::Api::<k8s_openapi::api::core::v1::ConfigMap>::default_namespaced(k.cluster.client());
    let patch = serde_json::json!({"data": {"a": "2"}});
    api.patch(
        "watched",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(patch),
    )
    .await
    .unwrap();
    let mut stdout = watch.stdout.take().unwrap();
    let mut seen = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 256];
        while !seen.contains("2\n") {
            let n = stdout.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
    .await;
    assert_eq!(
        seen.lines().collect::<Vec<_>>(),
        vec!["1", "2"],
        "kubectl get -w printed {seen:?}"
    );
}

#[tokio::test]
async fn label_annotate_and_patch() {
    let k = Kubectl::start().await;
    k.ok(&["create", "configmap", "c", "--from-literal=a=1"])
        .await;
    k.ok(&["label", "configmap", "c", "tier=web"]).await;
    k.ok(&["annotate", "configmap", "c", "owner=team-a"]).await;
    k.ok(&["label", "configmap", "c", "tier=db", "--overwrite"])
        .await;
    k.ok(&[
        "patch",
        "configmap",
        "c",
        "--type=merge",
        "-p",
        r#"{"data":{"b":"2"}}"#,
    ])
    .await;
    k.ok(&[
        "patch",
        "configmap",
        "c",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/data/a"}]"#,
    ])
    .await;
    let c = k.json(&["get", "configmap", "c"]).await;
    assert_eq!(c["metadata"]["labels"]["tier"], "db");
    assert_eq!(c["metadata"]["annotations"]["owner"], "team-a");
    assert_eq!(c["data"], serde_json::json!({"b": "2"}));
    let selected = k
        .ok(&["get", "configmaps", "-l", "tier=db", "-o", "name"])
        .await;
    assert_eq!(selected.trim(), "configmap/c");
}

#[tokio::test]
async fn apply_conflict_between_managers_and_force_conflicts() {
    let k = Kubectl::start().await;
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: default}\ndata: {level: \"1\"}\n";
    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared, namespace: default}\ndata: {level: \"2\"}\n";
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=team-a",
        "-f",
        &k.file("a.yaml", cm),
    ])
    .await;
    let b = k.file("b.yaml", other);
    let refused = k
        .run(&["apply", "--server-side", "--field-manager=team-b", "-f", &b])
        .await;
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("Apply failed with 1 conflict: conflict with \"team-a\""),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains(".data.level"), "{}", refused.stderr);
    k.ok(&[
        "apply",
        "--server-side",
        "--field-manager=team-b",
        "--force-conflicts",
        "-f",
        &b,
    ])
    .await;
    assert_eq!(
        k.json(&["get", "configmap", "shared"]).await["data"]["level"],
        "2"
    );
}

#[tokio::test]
async fn diff_server_side_shows_the_change() {
    let k = Kubectl::start().await;
    let v1 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: default}\ndata: {size: small}\n";
    let v2 = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: default}\ndata: {size: large}\n";
    k.ok(&["apply", "--server-side", "-f", &k.file("v1.yaml", v1)])
        .await;
    let unchanged = k
        .run(&["diff", "--server-side", "-f", &k.file("v1b.yaml", v1)])
        .await;
    assert_eq!(
        unchanged.code, 0,
        "no diff expected: {}{}",
        unchanged.stdout, unchanged.stderr
    );
    let changed = k
        .run(&["diff", "--server-side", "-f", &k.file("v2.yaml", v2)])
        .await;
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    assert!(
        changed.stdout.contains("-  size: small") && changed.stdout.contains("+  size: large"),
        "{}",
        changed.stdout
    );
    assert_eq!(
        k.json(&["get", "configmap", "d"]).await["data"]["size"],
        "small",
        "diff must not change anything"
    );
}

#[tokio::test]
async fn delete_with_cascade() {
    let k = Kubectl::start().await;
    k.ok(&["create", "namespace", "gone"]).await;
    let deploy = APP
        .split("---")
        .next()
        .unwrap()
        .replace("namespace: shop", "namespace: gone");
    k.ok(&["apply", "--server-side", "-f", &k.file("d.yaml", &deploy)])
        .await;
    let uid = k.json(&["get", "deployment", "web", "-n", "gone"]).await["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let owned = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  namespace: gone\n  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: {uid}}}]\n");
    k.ok(&["create", "-f", &k.file("owned.yaml", &owned)]).await;
    let out = k
        .ok(&[
            "delete",
            "deployment",
            "web",
            "-n",
            "gone",
            "--cascade=foreground",
        ])
        .await;
    assert_eq!(out.trim(), "deployment.apps \"web\" deleted");
    assert_ne!(
        k.run(&["get", "configmap", "owned", "-n", "gone"])
            .await
            .code,
        0,
        "dependent must be gone"
    );
    let out = k.ok(&["delete", "namespace", "gone"]).await;
    assert_eq!(out.trim(), "namespace \"gone\" deleted");
    assert_ne!(k.run(&["get", "namespace", "gone"]).await.code, 0);
}

#[tokio::test]
async fn api_resources_and_versions() {
    let k = Kubectl::start().await;
    let resources = k.ok(&["api-resources"]).await;
    for line in [
        "deployments",
        "configmaps",
        "customresourcedefinitions",
        "horizontalpodautoscalers",
        "leases",
    ] {
        assert!(
            resources.contains(line),
            "{line} missing from:\n{resources}"
        );
    }
    let deploy_line = resources
        .lines()
        .find(|l| l.starts_with("deployments"))
        .unwrap();
    assert_eq!(
        deploy_line.split_whitespace().collect::<Vec<_>>(),
        vec!["deployments", "deploy", "apps/v1", "true", "Deployment"]
    );
    let versions = k.ok(&["api-versions"]).await;
    assert!(
        versions.lines().any(|l| l == "apps/v1") && versions.lines().any(|l| l == "v1"),
        "{versions}"
    );
}
