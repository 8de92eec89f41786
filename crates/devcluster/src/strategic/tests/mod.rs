//! Strategic merge patch over the real built-in schemas (Deployment, Pod, ConfigMap), with YAML
//! fixtures for the object, the patch and the expected result.

use serde_json::{json, Value};

use super::{apply_patch, StrategicError};
use crate::schema::{SchemaSet, TypeSchema};

mod directives;
mod errors;

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

fn patch_kind(kind: &str, original: &str, patch: &str) -> Result<Value, StrategicError> {
    let schemas = SchemaSet::builtin().unwrap();
    let (group, version) = match kind {
        "Deployment" => ("apps", "v1"),
        _ => ("", "v1"),
    };
    let shape: Option<TypeSchema<'_>> = schemas.get(group, version, kind);
    assert!(shape.is_some(), "no schema for {kind}");
    apply_patch(shape, &yaml(original), &yaml(patch))
}

/// Patches a Deployment and compares with the expected YAML.
fn deployment(original: &str, patch: &str, expected: &str) {
    assert_eq!(
        patch_kind("Deployment", original, patch).unwrap(),
        yaml(expected)
    );
}

fn deployment_error(original: &str, patch: &str) -> StrategicError {
    patch_kind("Deployment", original, patch).unwrap_err()
}

const WEB: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--a", "--b"]
        env:
        - {name: MODE, value: fast}
        - {name: LEVEL, value: "1"}
        ports:
        - {containerPort: 80, protocol: TCP}
      - name: sidecar
        image: envoy:1
"#;

#[test]
fn containers_merge_by_name_and_new_ones_are_appended() {
    deployment(
        WEB,
        r#"
spec:
  template:
    spec:
      containers:
      - {name: sidecar, image: envoy:2}
      - {name: logger, image: fluent:1}
"#,
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--a", "--b"]
        env:
        - {name: MODE, value: fast}
        - {name: LEVEL, value: "1"}
        ports:
        - {containerPort: 80, protocol: TCP}
      - {name: sidecar, image: envoy:2}
      - {name: logger, image: fluent:1}
"#,
    );
}

#[test]
fn env_merges_by_name_and_args_are_replaced() {
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
spec:
  template:
    spec:
      containers:
      - name: web
        args: ["--c"]
        env:
        - {name: LEVEL, value: "2"}
        - {name: EXTRA, value: "yes"}
"#,
    )
    .unwrap();
    let web = &out["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(web["args"], json!(["--c"]));
    assert_eq!(
        web["env"],
        json!([
            {"name": "MODE", "value": "fast"},
            {"name": "LEVEL", "value": "2"},
            {"name": "EXTRA", "value": "yes"}
        ])
    );
    assert_eq!(web["image"], "nginx:1.27");
}

#[test]
fn ports_merge_by_container_port() {
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
spec:
  template:
    spec:
      containers:
      - name: web
        ports:
        - {containerPort: 80, name: http}
        - {containerPort: 443, name: https}
"#,
    )
    .unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][0]["ports"],
        json!([
            {"containerPort": 80, "protocol": "TCP", "name": "http"},
            {"containerPort": 443, "name": "https"}
        ])
    );
}

#[test]
fn patch_delete_removes_a_container() {
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
spec:
  template:
    spec:
      containers:
      - {name: sidecar, $patch: delete}
"#,
    )
    .unwrap();
    let containers = out["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0]["name"], "web");
}

#[test]
fn patch_replace_element_makes_the_patch_the_whole_list() {
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
spec:
  template:
    spec:
      containers:
      - {name: only, image: busybox}
      - {$patch: replace}
"#,
    )
    .unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name": "only", "image": "busybox"}])
    );
}

#[test]
fn null_deletes_a_key_and_maps_merge() {
    deployment(
        "metadata: {name: web, labels: {app: web, tier: front}, annotations: {a: '1'}}\nspec: {replicas: 2, paused: true}",
        "metadata: {labels: {tier: null, team: shop}, annotations: null}\nspec: {paused: null}",
        "metadata: {name: web, labels: {app: web, team: shop}}\nspec: {replicas: 2}",
    );
}

#[test]
fn patch_replace_and_delete_in_maps() {
    deployment(
        "metadata: {name: web, labels: {app: web, tier: front}}\nspec: {strategy: {type: Recreate}}",
        "metadata: {labels: {$patch: replace, only: one}}\nspec: {strategy: {$patch: delete}}",
        "metadata: {name: web, labels: {only: one}}\nspec: {strategy: {}}",
    );
}

#[test]
fn without_set_element_order_patch_items_keep_patch_order_around_server_items() {
    let original = "spec: {template: {spec: {containers: [{name: a}, {name: b}, {name: c}]}}}";
    let out = patch_kind(
        "Deployment",
        original,
        "spec: {template: {spec: {containers: [{name: c, image: x}, {name: a, image: z}]}}}",
    )
    .unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"],
        json!([{"name": "b"}, {"name": "c", "image": "x"}, {"name": "a", "image": "z"}])
    );
}

#[test]
fn configmap_data_merges_key_by_key() {
    assert_eq!(
        patch_kind(
            "ConfigMap",
            "data: {a: '1', b: '2'}",
            "data: {b: null, c: '3'}"
        )
        .unwrap(),
        json!({"data": {"a": "1", "c": "3"}})
    );
}

#[test]
fn pod_tolerations_are_atomic_and_replaced() {
    assert_eq!(
        patch_kind(
            "Pod",
            "spec: {tolerations: [{key: a, operator: Exists}], containers: [{name: c}]}",
            "spec: {tolerations: [{key: b, operator: Exists}]}",
        )
        .unwrap(),
        json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}], "containers": [{"name": "c"}]}})
    );
}

#[test]
fn without_a_schema_maps_merge_and_lists_are_replaced() {
    let out = apply_patch::<TypeSchema<'_>>(
        None,
        &json!({"spec": {"a": 1, "items": [{"name": "x", "v": 1}]}}),
        &json!({"spec": {"b": 2, "items": [{"name": "y"}]}}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"spec": {"a": 1, "b": 2, "items": [{"name": "y"}]}})
    );
}
