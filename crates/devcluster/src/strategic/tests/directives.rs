//! `$retainKeys`, `$deleteFromPrimitiveList`, `$setElementOrder`, and patch values stored without
//! anything to merge with.

use super::*;

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
