//! Behaviour of normalisation, ignoreDifferences, masking and diff text on YAML fixtures.

use serde_json::{json, Value};

use super::text::render_yaml;
use super::*;

const DEPLOYMENT_DESIRED: &str = include_str!("fixtures/deployment-desired.yaml");
const DEPLOYMENT_LIVE: &str = include_str!("fixtures/deployment-live.yaml");
const POD_DESIRED: &str = include_str!("fixtures/pod-desired.yaml");
const POD_LIVE: &str = include_str!("fixtures/pod-live.yaml");
const SECRET_DESIRED: &str = include_str!("fixtures/secret-desired.yaml");
const SECRET_LIVE: &str = include_str!("fixtures/secret-live.yaml");

fn load(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text).unwrap()
}

fn set(object: &mut Value, pointer: &str, value: Value) {
    *object.pointer_mut(pointer).unwrap() = value;
}

fn object_ref(object: &Value) -> ObjectRef {
    ObjectRef::from_object(object).unwrap()
}

fn rule(group: &str, kind: &str) -> IgnoreDifference {
    IgnoreDifference {
        group: group.to_owned(),
        kind: kind.to_owned(),
        ..IgnoreDifference::default()
    }
}

fn pointer_rule(pointers: &[&str]) -> IgnoreDifference {
    IgnoreDifference {
        json_pointers: pointers.iter().map(|p| p.to_string()).collect(),
        ..rule("apps", "Deployment")
    }
}

fn manager_rule(group: &str, kind: &str, manager: &str) -> IgnoreDifference {
    IgnoreDifference {
        managed_fields_managers: vec![manager.to_owned()],
        ..rule(group, kind)
    }
}

/// Compares the two Deployment fixtures after `change` edited them.
fn compare_deployments(
    rules: &[IgnoreDifference],
    change: impl FnOnce(&mut Value, &mut Value),
) -> ObjectDiff {
    let (mut desired, mut live) = (load(DEPLOYMENT_DESIRED), load(DEPLOYMENT_LIVE));
    change(&mut desired, &mut live);
    compare(&object_ref(&desired), &desired, Some(&live), rules).unwrap()
}

#[test]
fn objects_differing_only_in_server_fields_are_unchanged() {
    let diff = compare_deployments(&[], |_, _| {});
    assert_eq!(
        diff,
        ObjectDiff {
            differs: false,
            text: String::new()
        }
    );
}

#[test]
fn changed_image_differs_and_the_text_shows_both_lines() {
    let diff = compare_deployments(&[], |desired, _| {
        set(
            desired,
            "/spec/template/spec/containers/0/image",
            json!("registry.example.com/web:1.5.0"),
        );
    });
    assert!(diff.differs);
    assert!(diff.text.starts_with(
        "--- live apps/Deployment shop/web\n+++ desired apps/Deployment shop/web\n@@"
    ));
    assert!(diff
        .text
        .contains("\n-        image: registry.example.com/web:1.4.2\n"));
    assert!(diff
        .text
        .contains("\n+        image: registry.example.com/web:1.5.0\n"));
    assert!(!diff.text.contains("resourceVersion"));
}

#[test]
fn ignored_pointer_hides_a_replica_change() {
    let scale = |_: &mut Value, live: &mut Value| set(live, "/spec/replicas", json!(5));
    assert!(compare_deployments(&[], scale).differs);
    assert!(!compare_deployments(&[pointer_rule(&["/spec/replicas"])], scale).differs);
}

#[test]
fn pointer_into_a_list_element_hides_an_image_change() {
    let rules = [pointer_rule(&["/spec/template/spec/containers/0/image"])];
    let diff = compare_deployments(&rules, |desired, _| {
        set(
            desired,
            "/spec/template/spec/containers/0/image",
            json!("web:next"),
        );
    });
    assert!(!diff.differs);
}

#[test]
fn escaped_pointer_reaches_an_annotation_key_with_a_slash() {
    let rules = [pointer_rule(&[
        "/metadata/annotations/checksum.example.com~1config",
    ])];
    let diff = compare_deployments(&rules, |_, live| {
        live["metadata"]["annotations"]["checksum.example.com/config"] = json!("abc");
    });
    assert!(!diff.differs);
}

#[test]
fn tilde_escape_decodes_to_a_tilde() {
    let mut object = json!({"metadata": {"annotations": {"a~b": "x", "keep": "y"}}});
    let only = pointer_rule(&["/metadata/annotations/a~0b"]);
    remove_ignored(&mut object, &[&only], &Value::Null).unwrap();
    assert_eq!(object, json!({"metadata": {"annotations": {"keep": "y"}}}));
}

#[test]
fn pointer_to_an_absent_field_changes_nothing() {
    let mut object = load(DEPLOYMENT_LIVE);
    let before = object.clone();
    let only = pointer_rule(&[
        "/spec/paused",
        "/spec/template/spec/containers/7/image",
        "/x/-",
    ]);
    remove_ignored(&mut object, &[&only], &Value::Null).unwrap();
    assert_eq!(object, before);
}

#[test]
fn malformed_pointer_is_an_error_naming_it() {
    for pointer in ["spec/replicas", "", "/metadata/annotations/a~2b"] {
        let only = pointer_rule(&[pointer]);
        let err = remove_ignored(&mut load(DEPLOYMENT_LIVE), &[&only], &Value::Null).unwrap_err();
        assert!(
            matches!(&err, DiffError::InvalidJsonPointer { kind, pointer: p, .. }
                if kind == "Deployment" && p == pointer),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("{pointer:?}")));
    }
}

#[test]
fn malformed_pointer_fails_the_comparison() {
    let desired = load(DEPLOYMENT_DESIRED);
    let result = compare(
        &object_ref(&desired),
        &desired,
        None,
        &[pointer_rule(&["spec"])],
    );
    assert!(matches!(result, Err(DiffError::InvalidJsonPointer { .. })));
}

#[test]
fn fields_owned_by_the_scaling_manager_are_ignored_but_ours_are_not() {
    let rules = [manager_rule(
        "apps",
        "Deployment",
        "kube-controller-manager",
    )];
    let scale = |_: &mut Value, live: &mut Value| set(live, "/spec/replicas", json!(5));
    assert!(!compare_deployments(&rules, scale).differs);

    let diff = compare_deployments(&rules, |desired, live| {
        scale(desired, live);
        set(
            desired,
            "/spec/template/spec/containers/0/image",
            json!("web:next"),
        );
    });
    assert!(diff.differs);
    assert!(diff.text.contains("\n+        image: web:next\n"));
    assert!(!diff.text.contains("replicas"));
}

#[test]
fn manager_rule_does_not_remove_a_map_for_owning_one_of_its_children() {
    let mut live = load(DEPLOYMENT_LIVE);
    let managed_fields = live["metadata"]["managedFields"].clone();
    let only = manager_rule("apps", "Deployment", "kube-controller-manager");
    remove_ignored(&mut live, &[&only], &managed_fields).unwrap();
    assert_eq!(live.pointer("/spec/replicas"), None);
    assert_eq!(live.pointer("/status/replicas"), None);
    assert_eq!(live.pointer("/status/observedGeneration"), Some(&json!(3)));
    assert_eq!(
        live.pointer("/metadata/annotations"),
        Some(&json!({"driftless.dev/tracking-id": "driftless/shop:apps/Deployment:shop/web"}))
    );
}

#[test]
fn list_map_and_set_entries_of_another_manager_are_ignored() {
    let (desired, live) = (load(POD_DESIRED), load(POD_LIVE));
    let pod = object_ref(&desired);
    assert!(compare(&pod, &desired, Some(&live), &[]).unwrap().differs);
    let rules = [manager_rule("", "Pod", "mesh-injector")];
    assert!(
        !compare(&pod, &desired, Some(&live), &rules)
            .unwrap()
            .differs
    );
}

#[test]
fn list_map_element_keeps_what_the_manager_does_not_own() {
    let mut live = load(POD_LIVE);
    let managed_fields = live["metadata"]["managedFields"].clone();
    let only = manager_rule("", "Pod", "mesh-injector");
    remove_ignored(&mut live, &[&only], &managed_fields).unwrap();
    assert_eq!(
        live["metadata"]["finalizers"],
        json!(["driftless.dev/keep"])
    );
    assert_eq!(
        live["spec"]["containers"],
        json!([{
            "name": "app",
            "image": "registry.example.com/api:2.0.0",
            "env": [{"name": "MODE", "value": "production"}]
        }])
    );
}

#[test]
fn index_entries_remove_list_elements_by_position() {
    let mut object =
        json!({"spec": {"args": ["a", "b", "c"], "ports": [{"port": 1, "name": "x"}]}});
    let managed_fields = json!([{
        "manager": "tuner",
        "fieldsV1": {"f:spec": {
            "f:args": {"i:0": {}, "i:2": {}},
            "f:ports": {"i:0": {"f:name": {}}}
        }}
    }]);
    let only = manager_rule("", "Pod", "tuner");
    remove_ignored(&mut object, &[&only], &managed_fields).unwrap();
    assert_eq!(
        object,
        json!({"spec": {"args": ["b"], "ports": [{"port": 1}]}})
    );
}

#[test]
fn unreadable_fields_key_is_an_error_naming_the_manager() {
    let managed_fields = json!([{"manager": "m", "fieldsV1": {"f:spec": {"k:{oops": {}}}}]);
    let only = manager_rule("", "Pod", "m");
    let err = remove_ignored(&mut load(POD_LIVE), &[&only], &managed_fields).unwrap_err();
    assert!(
        matches!(&err, DiffError::InvalidFieldsKey { manager, key, .. }
        if manager == "m" && key == "k:{oops")
    );
}

#[test]
fn rules_match_by_group_kind_name_and_namespace() {
    let object = object_ref(&load(DEPLOYMENT_LIVE));
    let named = |name: &str, namespace: &str| IgnoreDifference {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        ..rule("apps", "Deployment")
    };
    let rules = [
        named("", ""),
        named("web", ""),
        named("", "shop"),
        named("web", "shop"),
        named("api", ""),
        named("", "other"),
        rule("", "Deployment"),
        rule("apps", "StatefulSet"),
    ];
    let matched = matching_rules(&rules, &object);
    assert_eq!(matched, rules[..4].iter().collect::<Vec<_>>());
}

#[test]
fn normalize_drops_server_fields_status_and_emptied_maps() {
    let object = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {
            "name": "c", "uid": "u", "resourceVersion": "1", "generation": 1,
            "creationTimestamp": "t", "managedFields": [], "selfLink": "/x",
            "deletionTimestamp": "t", "deletionGracePeriodSeconds": 30,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "labels": {}
        },
        "data": {"k": "v"},
        "status": {"x": 1}
    });
    assert_eq!(
        normalize(&object),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}})
    );
}

#[test]
fn changed_secret_differs_without_revealing_any_value() {
    let (desired, live) = (load(SECRET_DESIRED), load(SECRET_LIVE));
    let diff = compare(&object_ref(&desired), &desired, Some(&live), &[]).unwrap();
    assert!(diff.differs);
    for secret in [
        "bmV3LXBhc3N3b3JkLTQy",
        "new-password-42",
        "b2xkLXBhc3N3b3JkLTE3",
        "old-password-17",
        "c2hvcC1hZG1pbg==",
        "shop-admin",
    ] {
        assert!(
            !diff.text.contains(secret),
            "{secret} leaked:\n{}",
            diff.text
        );
    }
    let changed: Vec<_> = diff
        .text
        .lines()
        .skip(2)
        .filter(|line| line.starts_with(['+', '-']))
        .collect();
    assert_eq!(changed.len(), 2, "{}", diff.text);
    assert!(changed.iter().all(|line| line.contains("password: \"++++")));
}

#[test]
fn unchanged_secret_keys_get_equal_masks_and_changed_ones_different() {
    let (mut desired, mut live) = (
        normalize(&load(SECRET_DESIRED)),
        normalize(&load(SECRET_LIVE)),
    );
    let mut masker = SecretMasker::default();
    masker.mask(&mut live);
    masker.mask(&mut desired);
    assert_eq!(desired["data"]["username"], live["data"]["username"]);
    assert_ne!(desired["data"]["password"], live["data"]["password"]);
    for value in [&desired, &live]
        .iter()
        .flat_map(|s| s["data"].as_object().unwrap().values())
    {
        assert!(value.as_str().unwrap().chars().all(|c| c == '+'));
    }
}

#[test]
fn masking_one_secret_drops_the_clear_text_annotation() {
    let mut live = load(SECRET_LIVE);
    mask_secret_values(&mut live);
    assert_eq!(live["metadata"].get("annotations"), None);
    let text = serde_json::to_string(&live).unwrap();
    assert!(!text.contains("old-password-17") && !text.contains("b2xkLXBhc3N3b3JkLTE3"));
}

#[test]
fn secret_data_that_is_not_a_map_is_masked_whole() {
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "data": "c2VjcmV0"});
    mask_secret_values(&mut secret);
    assert_eq!(secret["data"], json!("++++++++"));
}

#[test]
fn objects_other_than_core_secrets_are_not_masked() {
    let mut object = json!({"apiVersion": "example.com/v1", "kind": "Secret", "data": {"k": "v"}});
    let before = object.clone();
    mask_secret_values(&mut object);
    assert_eq!(object, before);
}

#[test]
fn missing_live_object_differs_with_every_line_added() {
    let desired = load(DEPLOYMENT_DESIRED);
    let diff = compare(&object_ref(&desired), &desired, None, &[]).unwrap();
    assert!(diff.differs);
    let body: Vec<_> = diff.text.lines().skip(3).collect();
    assert!(!body.is_empty());
    assert!(
        body.iter().all(|line| line.starts_with('+')),
        "{}",
        diff.text
    );
    assert!(diff.text.contains("+kind: Deployment\n"));
}

#[test]
fn yaml_rendering_reads_back_as_the_same_value() {
    let value = json!({
        "plain": "nginx:1.25", "port": "80", "flag": "yes", "nothing": "null", "empty": "",
        "colon": "a: b", "hash": "# not a comment", "lead": " x", "dash": "-x",
        "script": "#!/bin/sh\necho hi\n\n  indented\n", "no_trailing_newline": "a\nb",
        "blank_first": "\nx", "carriage": "a\r\nb", "unicode": "h\u{e9}llo\u{2028}",
        "numbers": [1, -2.5, 1e100], "null": null, "bool": true, "empty_map": {}, "empty_list": [],
        "nested": [[1, [2]], {"a": {"b": [{"c": "d", "e": ["f"]}]}}, "z"],
        "key with: colon": {"k:{\"name\":\"x\"}": 1},
        "literal_in_list": ["one\ntwo"]
    });
    let text = render_yaml(&value);
    assert_eq!(
        serde_saphyr::from_str::<Value>(&text).unwrap(),
        value,
        "{text}"
    );
}

#[test]
fn yaml_rendering_is_block_style_like_kubectl() {
    let text = render_yaml(
        &json!({"spec": {"containers": [{"name": "web", "args": ["a"]}], "replicas": 1}}),
    );
    assert_eq!(
        text,
        "spec:\n  containers:\n  - args:\n    - a\n    name: web\n  replicas: 1\n"
    );
}

#[test]
fn removal_shows_every_line_removed_and_masks_secret_values() {
    let live = load(SECRET_LIVE);
    let text = removal(&object_ref(&live), &live);
    let body: Vec<_> = text.lines().skip(3).collect();
    assert!(!body.is_empty());
    assert!(body.iter().all(|line| line.starts_with('-')), "{text}");
    assert!(text.contains("-kind: Secret\n"), "{text}");
    for value in live["data"].as_object().unwrap().values() {
        assert!(!text.contains(value.as_str().unwrap()), "{text}");
    }
    assert!(
        !text.contains("resourceVersion"),
        "server fields are left out: {text}"
    );
}
