//! kubectl's everyday verbs that send strategic merge patches: client-side `apply` (the
//! last-applied-configuration three-way merge), `edit`, `patch` with its default type, `set image`,
//! plus `label --overwrite`. These tests need `kubectl` on PATH and fail (not skip) without it.

use std::os::unix::fs::PermissionsExt;

mod common;

use common::kubectl::Kubectl;
use serde_json::{json, Value};

/// Fixtures these tests share on top of the common harness.
trait Fixtures {
    async fn deployment(&self) -> Value;
}

impl Fixtures for Kubectl {
    async fn deployment(&self) -> Value {
        self.json(&["get", "deployment", "web"]).await
    }
}

const WEB_V1: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web, team: a}
spec:
  replicas: 2
  minReadySeconds: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        env:
        - {name: MODE, value: fast}
        - {name: LEVEL, value: "1"}
      - name: sidecar
        image: envoy:1
"#;

/// WEB_V1 without the `team` label, `minReadySeconds` and the LEVEL variable, with a new image
/// and a DEBUG variable put first.
const WEB_V2: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.28
        env:
        - {name: DEBUG, value: "1"}
        - {name: MODE, value: fast}
      - name: sidecar
        image: envoy:1
"#;

fn containers(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"]
}

fn image_of<'a>(deployment: &'a Value, container: &str) -> &'a Value {
    containers(deployment)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == container)
        .map(|c| &c["image"])
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn client_side_apply_twice_drops_what_the_manifest_dropped() {
    let k = Kubectl::start().await;
    let created = k.ok(&["apply", "-f", &k.file("v1.yaml", WEB_V1)]).await;
    assert_eq!(created.trim(), "deployment.apps/web created");
    // A change made by someone else: not in the last applied configuration, so apply keeps it.
    k.ok(&["annotate", "deployment", "web", "owner=team-a"])
        .await;
    let v1 = k.deployment().await;
    assert!(
        v1["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .is_some_and(|c| c.contains("\"team\":\"a\""))
    );

    let v2_file = k.file("v2.yaml", WEB_V2);
    // Client-side diff: the same three-way patch as a server dry run.
    let diff = k.run(&["diff", "-f", &v2_file]).await;
    assert_eq!(diff.code, 1, "{}{}", diff.stdout, diff.stderr);
    assert!(
        diff.stdout.contains("-  minReadySeconds: 5")
            && diff.stdout.contains("+        image: nginx:1.28"),
        "{}",
        diff.stdout
    );
    assert_eq!(k.deployment().await["spec"]["minReadySeconds"], 5);
    let configured = k.ok(&["apply", "-f", &v2_file]).await;
    assert_eq!(configured.trim(), "deployment.apps/web configured");
    let v2 = k.deployment().await;
    assert_eq!(v2["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(v2["metadata"]["annotations"]["owner"], "team-a");
    assert!(
        v2["spec"].get("minReadySeconds").is_none(),
        "{}",
        v2["spec"]
    );
    assert_eq!(
        containers(&v2)[0]["env"],
        json!([{"name": "DEBUG", "value": "1"}, {"name": "MODE", "value": "fast"}])
    );
    assert_eq!(image_of(&v2, "web"), "nginx:1.28");
    assert_eq!(image_of(&v2, "sidecar"), "envoy:1");

    let again = k.ok(&["apply", "-f", &k.file("v2b.yaml", WEB_V2)]).await;
    assert_eq!(again.trim(), "deployment.apps/web unchanged");
    let managers = k
        .json(&["get", "deployment", "web", "--show-managed-fields"])
        .await["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>();
    assert!(
        managers.iter().any(|m| m == "kubectl-client-side-apply"),
        "{managers:?}"
    );
}

#[tokio::test]
async fn client_side_apply_of_a_service_and_a_crd() {
    let k = Kubectl::start().await;
    let service = |ports: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: default}}\nspec:\n  selector: {{app: web}}\n  ports: {ports}\n")
    };
    k.ok(&[
        "apply",
        "-f",
        &k.file(
            "s1.yaml",
            &service("[{name: http, port: 80}, {name: https, port: 443}]"),
        ),
    ])
    .await;
    k.ok(&[
        "apply",
        "-f",
        &k.file("s2.yaml", &service("[{name: http, port: 8080}]")),
    ])
    .await;
    let ports = k.json(&["get", "service", "web"]).await["spec"]["ports"].clone();
    assert_eq!(ports, json!([{"name": "http", "port": 8080}]));

    let crd = |properties: &str| {
        format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: widgets.example.com}}\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {{plural: widgets, singular: widget, kind: Widget}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {{type: object, properties: {properties}}}\n"
        )
    };
    k.ok(&[
        "apply",
        "-f",
        &k.file(
            "c1.yaml",
            &crd("{size: {type: integer}, color: {type: string}}"),
        ),
    ])
    .await;
    let out = k
        .ok(&[
            "apply",
            "-f",
            &k.file(
                "c2.yaml",
                &crd("{size: {type: integer}, shape: {type: string}}"),
            ),
        ])
        .await;
    assert_eq!(
        out.trim(),
        "customresourcedefinition.apiextensions.k8s.io/widgets.example.com configured"
    );
    let applied = k.json(&["get", "crd", "widgets.example.com"]).await;
    let spec = &applied["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(
        spec["properties"],
        json!({"size": {"type": "integer"}, "shape": {"type": "string"}})
    );
}

#[tokio::test]
async fn edit_with_an_editor_script_changes_a_field() {
    let k = Kubectl::start().await;
    k.ok(&["apply", "-f", &k.file("v1.yaml", WEB_V1)]).await;
    let editor = k.file(
        "editor.sh",
        "#!/bin/sh\nsed -i -e 's/replicas: 2/replicas: 5/' -e 's/envoy:1/envoy:2/' \"$1\"\n",
    );
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = k
        .run_with(
            &["edit", "deployment", "web"],
            &[
                ("EDITOR", editor.as_str()),
                ("KUBE_EDITOR", editor.as_str()),
            ],
        )
        .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.trim(), "deployment.apps/web edited");
    let edited = k.deployment().await;
    assert_eq!(edited["spec"]["replicas"], 5);
    assert_eq!(image_of(&edited, "sidecar"), "envoy:2");
    assert_eq!(image_of(&edited, "web"), "nginx:1.27");
    assert_eq!(containers(&edited)[0]["env"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn patch_with_the_default_type_merges_containers_by_name() {
    let k = Kubectl::start().await;
    k.ok(&["apply", "-f", &k.file("v1.yaml", WEB_V1)]).await;
    let add = r#"{"spec":{"template":{"spec":{"containers":[{"name":"logger","image":"fluent:1"},{"name":"web","env":[{"name":"LEVEL","value":"3"}]}]}}}}"#;
    let out = k.ok(&["patch", "deployment", "web", "-p", add]).await;
    assert_eq!(out.trim(), "deployment.apps/web patched");
    let patched = k.deployment().await;
    let names: Vec<&str> = containers(&patched)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(["web", "sidecar", "logger"]
        .iter()
        .all(|n| names.contains(n)));
    let web = containers(&patched)
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "web")
        .unwrap();
    assert_eq!(web["image"], "nginx:1.27");
    assert_eq!(
        web["env"],
        json!([{"name": "MODE", "value": "fast"}, {"name": "LEVEL", "value": "3"}])
    );

    let delete =
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}"#;
    k.ok(&["patch", "deployment", "web", "-p", delete]).await;
    let after = k.deployment().await;
    assert!(
        image_of(&after, "sidecar").is_null(),
        "{}",
        containers(&after)
    );
    assert_eq!(containers(&after).as_array().unwrap().len(), 2);

    let keyless = r#"{"spec":{"template":{"spec":{"containers":[{"image":"nginx:2"}]}}}}"#;
    let refused = k.run(&["patch", "deployment", "web", "-p", keyless]).await;
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("does not contain declared merge key: name"),
        "{}",
        refused.stderr
    );
}

#[tokio::test]
async fn strategic_patch_of_a_custom_resource_is_unsupported_media_type() {
    let k = Kubectl::start().await;
    let crd = r#"apiVersion: apiextensions.k8s.io/v1
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
          spec: {type: object, properties: {size: {type: integer}}}
"#;
    k.ok(&["apply", "-f", &k.file("crd.yaml", crd)]).await;
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gear, namespace: default}\nspec: {size: 3}\n";
    k.ok(&["create", "-f", &k.file("widget.yaml", widget)])
        .await;
    let refused = k
        .run(&[
            "patch",
            "widget",
            "gear",
            "--type=strategic",
            "-p",
            r#"{"spec":{"size":4}}"#,
        ])
        .await;
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    // kubectl's wording for a 415 answer to a strategic merge patch.
    assert!(
        refused.stderr.contains(
            "application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Widget"
        ),
        "{}",
        refused.stderr
    );
    k.ok(&[
        "patch",
        "widget",
        "gear",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":4}}"#,
    ])
    .await;
    assert_eq!(k.json(&["get", "widget", "gear"]).await["spec"]["size"], 4);
}

#[tokio::test]
async fn set_image_changes_only_the_named_container() {
    let k = Kubectl::start().await;
    k.ok(&["apply", "-f", &k.file("v1.yaml", WEB_V1)]).await;
    let out = k
        .ok(&["set", "image", "deployment/web", "web=nginx:2"])
        .await;
    assert_eq!(out.trim(), "deployment.apps/web image updated");
    let updated = k.deployment().await;
    assert_eq!(image_of(&updated, "web"), "nginx:2");
    assert_eq!(image_of(&updated, "sidecar"), "envoy:1");
    assert_eq!(containers(&updated)[0]["env"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn label_overwrite_replaces_a_label_and_is_required_to() {
    let k = Kubectl::start().await;
    k.ok(&["apply", "-f", &k.file("v1.yaml", WEB_V1)]).await;
    let refused = k.run(&["label", "deployment", "web", "team=b"]).await;
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("already has a value"),
        "{}",
        refused.stderr
    );
    let out = k
        .ok(&["label", "deployment", "web", "team=b", "--overwrite"])
        .await;
    assert_eq!(out.trim(), "deployment.apps/web labeled");
    k.ok(&["label", "deployment", "web", "app-"]).await;
    assert_eq!(
        k.deployment().await["metadata"]["labels"],
        json!({"team": "b"})
    );
}
