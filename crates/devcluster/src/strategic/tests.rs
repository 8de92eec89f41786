//! Strategic merge patch over the real built-in schemas (Deployment, Pod, ConfigMap), with YAML
//! fixtures for the object, the patch and the expected result.

use serde_json::{json, Value};

use super::{apply_patch, StrategicError};
use crate::schema::{SchemaSet, TypeSchema};

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
fn set_element_order_reorders_merged_containers() {
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: sidecar}, {name: logger}, {name: web}]
      containers:
      - {name: logger, image: fluent:1}
"#,
    )
    .unwrap();
    let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sidecar", "logger", "web"]);
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
fn set_element_order_that_contradicts_the_patch_list_is_refused() {
    let err = deployment_error(
        WEB,
        r#"
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: web}, {name: sidecar}]
      containers:
      - {name: sidecar, image: envoy:2}
      - {name: web, image: nginx:2}
"#,
    );
    assert!(
        matches!(&err, StrategicError::SetElementOrder { path, .. } if path == "spec.template.spec.containers"),
        "{err:?}"
    );
}

#[test]
fn retain_keys_clears_the_other_volume_source() {
    let original = r#"
spec:
  template:
    spec:
      volumes:
      - {name: config, configMap: {name: settings}}
      - {name: cache, emptyDir: {}}
"#;
    let out = patch_kind(
        "Deployment",
        original,
        r#"
spec:
  template:
    spec:
      volumes:
      - {name: config, $retainKeys: [name, secret], secret: {secretName: creds}}
"#,
    )
    .unwrap();
    assert_eq!(
        out["spec"]["template"]["spec"]["volumes"],
        json!([
            {"name": "config", "secret": {"secretName": "creds"}},
            {"name": "cache", "emptyDir": {}}
        ])
    );
}

#[test]
fn retain_keys_on_the_deployment_strategy() {
    deployment(
        "spec: {strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}}",
        "spec: {strategy: {$retainKeys: [type], type: Recreate}}",
        "spec: {strategy: {type: Recreate}}",
    );
}

#[test]
fn retain_keys_must_name_every_patched_key() {
    let err = deployment_error(
        "spec: {strategy: {type: RollingUpdate}}",
        "spec: {strategy: {$retainKeys: [type], rollingUpdate: {maxSurge: 1}}}",
    );
    assert!(
        matches!(&err, StrategicError::RetainKeys { path, .. } if path == "spec.strategy"),
        "{err:?}"
    );
    let err = deployment_error(
        "spec: {strategy: {type: RollingUpdate}}",
        "spec: {strategy: {$retainKeys: type}}",
    );
    assert!(matches!(err, StrategicError::RetainKeys { .. }), "{err:?}");
}

#[test]
fn finalizers_merge_as_a_set_and_delete_from_primitive_list() {
    deployment(
        "metadata: {name: web, finalizers: [a, b, c]}",
        "metadata: {finalizers: [d, b], $deleteFromPrimitiveList/finalizers: [a, c]}",
        "metadata: {name: web, finalizers: [d, b]}",
    );
    // Without `$setElementOrder`, a value the object lacks goes before the values only the object
    // has (upstream's order rule: patch items keep their order, others are slotted in by theirs).
    deployment(
        "metadata: {name: web, finalizers: [a, b]}",
        "metadata: {finalizers: [c]}",
        "metadata: {name: web, finalizers: [c, a, b]}",
    );
}

#[test]
fn delete_from_primitive_list_of_a_missing_list_adds_nothing() {
    deployment(
        "metadata: {name: web}",
        "metadata: {$deleteFromPrimitiveList/finalizers: [a]}",
        "metadata: {name: web}",
    );
}

#[test]
fn set_element_order_of_a_scalar_list() {
    deployment(
        "metadata: {name: web, finalizers: [a, b, c]}",
        "metadata: {$setElementOrder/finalizers: [c, a, b]}",
        "metadata: {name: web, finalizers: [c, a, b]}",
    );
}

#[test]
fn a_kubectl_apply_patch_with_order_and_deletion() {
    // What client-side `kubectl apply` sends after LEVEL was dropped from and DEBUG added to the
    // manifest: the element order of the new manifest, the deletion, the addition.
    let out = patch_kind(
        "Deployment",
        WEB,
        r#"
metadata:
  annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}"}
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: web}, {name: sidecar}]
      containers:
      - name: web
        $setElementOrder/env: [{name: DEBUG}, {name: MODE}]
        env:
        - {name: DEBUG, value: "1"}
        - {$patch: delete, name: LEVEL}
"#,
    )
    .unwrap();
    let web = &out["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        web["env"],
        json!([{"name": "DEBUG", "value": "1"}, {"name": "MODE", "value": "fast"}])
    );
    assert_eq!(
        out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        "{}"
    );
    assert_eq!(
        out["spec"]["template"]["spec"]["containers"][1]["name"],
        "sidecar"
    );
}

#[test]
fn set_element_order_keeps_server_only_elements_before_additions_that_replace_deletions() {
    // Upstream merges in place: the added C takes the place the deleted B freed, so the
    // server-only X stays before it.
    let original = r#"
spec:
  template:
    spec:
      containers:
      - name: web
        env: [{name: A, value: "1"}, {name: B, value: "2"}, {name: X, value: injected}]
"#;
    let out = patch_kind(
        "Deployment",
        original,
        r#"
spec:
  template:
    spec:
      containers:
      - name: web
        $setElementOrder/env: [{name: A}, {name: C}]
        env: [{name: C, value: "3"}, {$patch: delete, name: B}]
"#,
    )
    .unwrap();
    let names: Vec<&str> = out["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["A", "X", "C"]);
}

#[test]
fn new_values_are_stored_without_directives_or_nulls() {
    deployment(
        "spec: {replicas: 1}",
        r#"
spec:
  strategy: {$retainKeys: [type], type: Recreate, rollingUpdate: null}
  template:
    spec:
      containers:
      - {name: web, image: nginx, env: [{name: A, value: null}, {$patch: delete, name: B}]}
"#,
        r#"
spec:
  replicas: 1
  strategy: {type: Recreate}
  template:
    spec:
      containers:
      - {name: web, image: nginx, env: [{name: A}]}
"#,
    );
}

#[test]
fn merge_list_element_without_its_key_is_refused() {
    let err = deployment_error(
        WEB,
        "spec: {template: {spec: {containers: [{image: nginx:2}]}}}",
    );
    assert_eq!(
        err,
        StrategicError::MergeKey {
            path: "spec.template.spec.containers".into(),
            key: "name".into(),
            element: r#"{"image":"nginx:2"}"#.into(),
        }
    );
    let err = deployment_error(
        WEB,
        "spec: {template: {spec: {containers: [{$patch: delete}]}}}",
    );
    assert!(matches!(err, StrategicError::MergeKey { .. }), "{err:?}");
}

#[test]
fn malformed_patch_directives_are_refused() {
    let err = deployment_error(WEB, "metadata: {labels: {$patch: merge, a: b}}");
    assert_eq!(
        err.to_string(),
        "metadata.labels: unknown patch type: merge in map"
    );
    let err = deployment_error(WEB, "metadata: {labels: {$patch: 7}}");
    assert!(
        matches!(err, StrategicError::MapDirective { .. }),
        "{err:?}"
    );
    let err = deployment_error(
        WEB,
        "spec: {template: {spec: {containers: [{$patch: merge, name: web}]}}}",
    );
    assert_eq!(
        err.to_string(),
        "spec.template.spec.containers: merging lists cannot yet be specified in the patch"
    );
    let err = deployment_error(
        WEB,
        "spec: {template: {spec: {containers: [{$patch: remove, name: web}]}}}",
    );
    assert!(
        matches!(err, StrategicError::ListDirective { .. }),
        "{err:?}"
    );
}

#[test]
fn malformed_list_directive_keys_are_refused() {
    let err = deployment_error(WEB, "metadata: {$deleteFromPrimitiveListfinalizers: [a]}");
    assert!(
        matches!(err, StrategicError::DeleteFromPrimitiveList { .. }),
        "{err:?}"
    );
    let err = deployment_error(WEB, "metadata: {$setElementOrder: [a]}");
    assert!(
        matches!(err, StrategicError::SetElementOrder { .. }),
        "{err:?}"
    );
    let err = deployment_error(WEB, "metadata: {$setElementOrder/finalizers: a}");
    assert!(
        matches!(err, StrategicError::SetElementOrder { .. }),
        "{err:?}"
    );
}

#[test]
fn mixed_or_nested_list_elements_are_refused() {
    let err = deployment_error(
        "metadata: {finalizers: [a]}",
        "metadata: {finalizers: [{a: 1}]}",
    );
    assert!(
        matches!(err, StrategicError::ListElements { .. }),
        "{err:?}"
    );
    let err = deployment_error(
        "metadata: {finalizers: [[a]]}",
        "metadata: {finalizers: [[b]]}",
    );
    assert!(
        err.to_string().contains("lists of lists are not supported"),
        "{err}"
    );
}

#[test]
fn maps_in_a_merge_list_without_merge_key_are_refused() {
    let err = deployment_error(
        "metadata: {finalizers: [{a: 1}]}",
        "metadata: {finalizers: [{b: 2}]}",
    );
    assert!(err.to_string().contains("without a merge key"), "{err}");
}

#[test]
fn the_patch_must_be_an_object() {
    assert_eq!(
        patch_kind("ConfigMap", "data: {a: '1'}", "[1]").unwrap_err(),
        StrategicError::Document
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
