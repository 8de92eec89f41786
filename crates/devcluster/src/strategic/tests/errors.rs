//! Malformed patches and directives: each refusal names the step and the path.

use super::*;

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
