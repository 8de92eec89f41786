//! Server-side apply: merging, ownership, pruning, conflicts.

use serde_json::{json, Value};

use super::*;

#[test]
fn apply_creates_the_object_with_kube_fields_v1() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "kubectl", T1).unwrap();
    assert_eq!(obj["spec"]["replicas"], 3);
    let e = entry(&obj, "kubectl").unwrap();
    assert_eq!(e["operation"], "Apply");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["time"], T1);
    assert_eq!(e["fieldsType"], "FieldsV1");
    assert!(e.get("subresource").is_none());
    let expected = json!({
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:replicas": {}, "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {
                    ".": {}, "f:image": {}, "f:name": {},
                    "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}}
                }}}
            }
        }
    });
    assert_eq!(e["fieldsV1"], expected);
}

#[test]
fn reapplying_the_same_config_is_byte_identical() {
    let config = deployment(3, "nginx:1");
    let first = ssa(None, &config, "kubectl", T1).unwrap();
    let second = ssa(Some(&first), &config, "kubectl", T2).unwrap();
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
    let shared = ssa(Some(&second), &config, "other", T2).unwrap();
    let again = ssa(Some(&shared), &config, "other", T3).unwrap();
    assert_eq!(
        serde_json::to_string(&shared).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn changing_a_value_updates_the_entry_time() {
    let first = ssa(None, &deployment(3, "nginx:1"), "kubectl", T1).unwrap();
    let second = ssa(Some(&first), &deployment(4, "nginx:1"), "kubectl", T2).unwrap();
    assert_eq!(second["spec"]["replicas"], 4);
    assert_eq!(entry(&second, "kubectl").unwrap()["time"], T2);
}

#[test]
fn two_managers_share_an_equal_field_and_removal_waits_for_both() {
    let a = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3, "paused": false}});
    let b = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}});
    let obj = ssa(None, &a, "a", T1).unwrap();
    let obj = ssa(Some(&obj), &b, "b", T2).unwrap();
    assert_eq!(
        fields_of_manager(&obj, "b"),
        json!({"f:spec": {"f:replicas": {}}})
    );
    assert_eq!(
        fields_of_manager(&obj, "a"),
        json!({"f:spec": {"f:paused": {}, "f:replicas": {}}})
    );

    let a_without_replicas = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"paused": false}});
    let obj = ssa(Some(&obj), &a_without_replicas, "a", T2).unwrap();
    assert_eq!(obj["spec"]["replicas"], 3, "b still owns replicas");
    let b_empty =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
    let obj = ssa(Some(&obj), &b_empty, "b", T3).unwrap();
    assert!(
        obj["spec"].get("replicas").is_none(),
        "nobody owns replicas any more: {obj}"
    );
    assert_eq!(managers(&obj), ["a"]);
}

#[test]
fn a_different_value_conflicts_and_force_takes_ownership() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let err = ssa(Some(&obj), &deployment(5, "nginx:1"), "b", T2).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Apply failed with 1 conflict: conflict with "a": .spec.replicas"#
    );
    let found = conflicts(Err(err));
    assert_eq!(found[0].message(), r#"conflict with "a""#);
    assert_eq!(found[0].field, ".spec.replicas");

    let forced = force(&obj, &deployment(5, "nginx:1"), "b");
    assert_eq!(forced["spec"]["replicas"], 5);
    let a_fields = fields_of_manager(&forced, "a");
    assert!(a_fields["f:spec"].get("f:replicas").is_none(), "{a_fields}");
    assert!(fields_of_manager(&forced, "b")["f:spec"]
        .get("f:replicas")
        .is_some());
    // a re-applying its old value now conflicts with b.
    let back = conflicts(ssa(Some(&forced), &deployment(3, "nginx:1"), "a", T3));
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].manager, "b");
}

#[test]
fn several_conflicts_are_listed_per_manager() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let found = conflicts(ssa(Some(&obj), &deployment(5, "nginx:2"), "b", T2));
    let fields: Vec<&str> = found.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            ".spec.replicas",
            r#".spec.template.spec.containers[name="app"].image"#
        ]
    );
    let message = SsaError::Conflicts(found).to_string();
    assert_eq!(
        message,
        "Apply failed with 2 conflicts: conflicts with \"a\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"app\"].image"
    );
}

#[test]
fn dropping_a_field_removes_it_and_dropping_the_last_label_removes_labels() {
    let mut config = deployment(3, "nginx:1");
    config["metadata"]["labels"]["tier"] = json!("front");
    let obj = ssa(None, &config, "a", T1).unwrap();
    let obj = ssa(Some(&obj), &deployment(3, "nginx:1"), "a", T2).unwrap();
    assert_eq!(obj["metadata"]["labels"], json!({"app": "web"}));
    let mut no_labels = deployment(3, "nginx:1");
    no_labels["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("labels");
    let obj = ssa(Some(&obj), &no_labels, "a", T3).unwrap();
    assert!(obj["metadata"].get("labels").is_none(), "{obj}");
    assert_eq!(obj["metadata"]["name"], "web", "untracked metadata stays");
}

#[test]
fn a_null_in_the_config_means_not_set() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut config = deployment(3, "nginx:1");
    config["spec"]["replicas"] = Value::Null;
    config["spec"]["template"]["metadata"]["creationTimestamp"] = Value::Null;
    let obj = ssa(Some(&obj), &config, "a", T2).unwrap();
    assert!(obj["spec"].get("replicas").is_none(), "{obj}");
    assert!(obj["spec"]["template"]["metadata"]
        .get("creationTimestamp")
        .is_none());
}

#[test]
fn containers_from_two_managers_merge_by_name() {
    let a = deployment(3, "nginx:1");
    let b = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "envoy:1"}]}}}});
    let obj = ssa(None, &a, "a", T1).unwrap();
    let obj = ssa(Some(&obj), &b, "b", T2).unwrap();
    let names: Vec<&str> = obj["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "sidecar"]);
    assert_eq!(
        fields_of_manager(&obj, "b"),
        json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"sidecar\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
    );
    // a drops its container: it goes, b's stays.
    let mut a2 = deployment(3, "nginx:1");
    a2["spec"]["template"]["spec"]["containers"] = json!([]);
    let obj = ssa(Some(&obj), &a2, "a", T3).unwrap();
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"],
        json!([{"name": "sidecar", "image": "envoy:1"}])
    );
}

#[test]
fn list_order_follows_structured_merge_diff() {
    let list = |names: &[&str]| -> Value {
        let containers: Vec<Value> = names
            .iter()
            .map(|n| json!({"name": n, "image": "i"}))
            .collect();
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": containers}}}})
    };
    let names = |obj: &Value| -> Vec<String> {
        obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let live = ssa(None, &list(&["a", "b"]), "other", T1).unwrap();
    assert_eq!(
        names(&ssa(Some(&live), &list(&["c", "a"]), "m", T2).unwrap()),
        ["c", "a", "b"]
    );
    let live = ssa(None, &list(&["a", "b", "c"]), "other", T1).unwrap();
    assert_eq!(
        names(&ssa(Some(&live), &list(&["c", "a"]), "m", T2).unwrap()),
        ["b", "c", "a"]
    );
}

#[test]
fn finalizers_are_a_set_and_owner_references_a_map_by_uid() {
    let with_meta = |meta: Value| {
        let mut m = meta;
        m["name"] = json!("cm");
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": m})
    };
    let obj = ssa(None, &with_meta(json!({"finalizers": ["a.io/x"]})), "a", T1).unwrap();
    let obj = ssa(
        Some(&obj),
        &with_meta(json!({"finalizers": ["b.io/y"]})),
        "b",
        T2,
    )
    .unwrap();
    assert_eq!(obj["metadata"]["finalizers"], json!(["a.io/x", "b.io/y"]));
    assert_eq!(
        fields_of_manager(&obj, "b"),
        json!({"f:metadata": {"f:finalizers": {"v:\"b.io/y\"": {}}}})
    );
    let obj = ssa(Some(&obj), &with_meta(json!({})), "a", T3).unwrap();
    assert_eq!(obj["metadata"]["finalizers"], json!(["b.io/y"]));

    let owner = |uid: &str| json!({"apiVersion": "v1", "kind": "Secret", "name": "s", "uid": uid});
    let obj = ssa(
        None,
        &with_meta(json!({"ownerReferences": [owner("u1")]})),
        "a",
        T1,
    )
    .unwrap();
    let obj = ssa(
        Some(&obj),
        &with_meta(json!({"ownerReferences": [owner("u2")]})),
        "b",
        T2,
    )
    .unwrap();
    assert_eq!(
        obj["metadata"]["ownerReferences"].as_array().unwrap().len(),
        2
    );
    assert!(
        fields_of_manager(&obj, "b")["f:metadata"]["f:ownerReferences"]
            .get("k:{\"uid\":\"u2\"}")
            .is_some()
    );
}

#[test]
fn args_are_atomic_and_replaced_whole() {
    let mut config = deployment(3, "nginx:1");
    config["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--a", "--b"]);
    let obj = ssa(None, &config, "a", T1).unwrap();
    let container = &fields_of_manager(&obj, "a")["f:spec"]["f:template"]["f:spec"]["f:containers"]
        ["k:{\"name\":\"app\"}"];
    assert_eq!(container["f:args"], json!({}));
    config["spec"]["template"]["spec"]["containers"][0]["args"] = json!(["--c"]);
    let obj = ssa(Some(&obj), &config, "a", T2).unwrap();
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"][0]["args"],
        json!(["--c"])
    );
}

#[test]
fn an_object_without_managed_fields_is_owned_by_before_first_apply() {
    let live = config_map(json!({"a": "1", "b": "2"}));
    let found = conflicts(ssa(Some(&live), &config_map(json!({"a": "9"})), "a", T1));
    assert_eq!(
        found[0].message(),
        r#"conflict with "before-first-apply" using v1"#
    );
    let obj = ssa(Some(&live), &config_map(json!({"a": "1"})), "a", T1).unwrap();
    assert_eq!(managers(&obj), ["a", BEFORE_FIRST_APPLY]);
    assert_eq!(
        fields_of_manager(&obj, BEFORE_FIRST_APPLY),
        json!({"f:data": {"f:a": {}, "f:b": {}}})
    );
}

#[test]
fn status_applies_are_tracked_per_subresource() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "ctrl", T1).unwrap();
    let status = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "status": {"phase": "Ready"}});
    let obj = apply(
        Some(T::Object),
        Some(&obj),
        &status,
        "ctrl",
        Some("status"),
        false,
        T2,
    )
    .unwrap();
    assert_eq!(obj["status"]["phase"], "Ready");
    assert_eq!(
        obj["data"]["a"], "1",
        "the main entry's fields are not pruned by a status apply"
    );
    let entries = obj["metadata"]["managedFields"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let status_entry = entries
        .iter()
        .find(|e| e["subresource"] == "status")
        .unwrap();
    assert_eq!(
        status_entry["fieldsV1"],
        json!({"f:status": {"f:phase": {}}})
    );
    let other = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "status": {"phase": "Failed"}});
    let found = conflicts(apply(
        Some(T::Object),
        Some(&obj),
        &other,
        "x",
        Some("status"),
        false,
        T3,
    ));
    assert_eq!(
        found[0].message(),
        r#"conflict with "ctrl" with subresource "status""#
    );
}

#[test]
fn untracked_fields_keep_their_live_values() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "a", T1).unwrap();
    let mut live = obj.clone();
    live["metadata"]["uid"] = json!("u-1");
    live["metadata"]["resourceVersion"] = json!("5");
    let mut config = config_map(json!({"a": "1"}));
    config["metadata"]["uid"] = json!("other");
    config["metadata"]["generation"] = json!(9);
    let out = ssa(Some(&live), &config, "a", T2).unwrap();
    assert_eq!(out, live);
}

#[test]
fn schemaless_objects_merge_maps_and_replace_lists() {
    let live = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "x"},
        "spec": {"a": {"b": 1}, "list": [1, 2]}});
    let live = apply::<T>(None, None, &live, "m", None, false, T1).unwrap();
    assert_eq!(
        fields_of_manager(&live, "m"),
        json!({"f:spec": {"f:a": {".": {}, "f:b": {}}, "f:list": {}}})
    );
    let config = json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "x"}, "spec": {"a": {"c": 2}, "list": [3]}});
    let out = apply::<T>(None, Some(&live), &config, "n", None, false, T2).unwrap_err();
    assert_eq!(conflicts(Err(out))[0].field, ".spec.list");
    let out = apply::<T>(None, Some(&live), &config, "n", None, true, T2).unwrap();
    assert_eq!(out["spec"], json!({"a": {"b": 1, "c": 2}, "list": [3]}));
}

#[test]
fn invalid_configs_are_rejected_with_the_field() {
    let mut dup = deployment(3, "nginx:1");
    dup["spec"]["template"]["spec"]["containers"] =
        json!([{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]);
    match ssa(None, &dup, "m", T1) {
        Err(SsaError::InvalidConfig(msg)) => {
            assert_eq!(
                msg,
                r#".spec.template.spec.containers: duplicate entries for key [name="a"]"#
            )
        }
        other => panic!("{other:?}"),
    }
    let mut not_object = deployment(3, "nginx:1");
    not_object["spec"]["template"]["spec"]["containers"] = json!(["app"]);
    assert!(matches!(
        ssa(None, &not_object, "m", T1),
        Err(SsaError::InvalidConfig(_))
    ));
    let mut with_managed = config_map(json!({}));
    with_managed["metadata"]["managedFields"] = json!([{"manager": "x"}]);
    assert!(matches!(
        ssa(None, &with_managed, "m", T1),
        Err(SsaError::InvalidConfig(_))
    ));
    assert!(matches!(
        ssa(None, &json!([1]), "m", T1),
        Err(SsaError::InvalidConfig(_))
    ));
    let mut bad_live = config_map(json!({}));
    bad_live["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Nope"}]);
    assert!(matches!(
        ssa(Some(&bad_live), &config_map(json!({})), "m", T1),
        Err(SsaError::InvalidManagedFields(_))
    ));
}

#[test]
fn an_empty_config_gives_up_all_fields() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "a", T1).unwrap();
    let empty = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"}});
    let out = ssa(Some(&obj), &empty, "a", T2).unwrap();
    assert!(out.get("data").is_none(), "{out}");
    assert!(out["metadata"].get("managedFields").is_none());
    assert_eq!(out["metadata"]["name"], "cm");
}

#[test]
fn ports_from_two_managers_merge_by_container_port_and_protocol() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let b = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "app",
            "ports": [{"containerPort": 80, "protocol": "UDP"}, {"containerPort": 9090, "protocol": "TCP"}]}]}}}});
    let obj = ssa(Some(&obj), &b, "b", T2).unwrap();
    let ports = &obj["spec"]["template"]["spec"]["containers"][0]["ports"];
    assert_eq!(
        *ports,
        json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 80, "protocol": "UDP"}, {"containerPort": 9090, "protocol": "TCP"}])
    );
    let b_ports = &fields_of_manager(&obj, "b")["f:spec"]["f:template"]["f:spec"]["f:containers"]
        ["k:{\"name\":\"app\"}"]["f:ports"];
    assert!(
        b_ports
            .get("k:{\"containerPort\":80,\"protocol\":\"UDP\"}")
            .is_some(),
        "{b_ports}"
    );
    assert!(
        b_ports
            .get("k:{\"containerPort\":80,\"protocol\":\"TCP\"}")
            .is_none(),
        "{b_ports}"
    );
}

#[test]
fn an_appliers_own_update_entry_is_another_owner_as_in_kube() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "m", T1).unwrap();
    let mut patched = obj.clone();
    patched["spec"]["replicas"] = json!(4);
    let obj = update(Some(&obj), patched, "m");
    let found = conflicts(ssa(Some(&obj), &deployment(5, "nginx:1"), "m", T3));
    assert_eq!(found[0].message(), r#"conflict with "m" using apps/v1"#);
    // Entries are written Apply first, then Update.
    let ops: Vec<&str> = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["Apply", "Update"]);
}

#[test]
fn force_takes_fields_from_every_conflicting_manager() {
    let base = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}});
    let obj = ssa(None, &base, "x", T1).unwrap();
    let obj = ssa(Some(&obj), &config_map(json!({"b": "1"})), "y", T1).unwrap();
    let wanted = config_map(json!({"a": "2", "b": "2"}));
    let found = conflicts(ssa(Some(&obj), &wanted, "z", T2));
    assert_eq!(
        SsaError::Conflicts(found).to_string(),
        "Apply failed with 2 conflicts: conflicts with \"x\":\n- .data.a\nconflicts with \"y\":\n- .data.b"
    );
    let obj = force(&obj, &wanted, "z");
    assert_eq!(obj["data"], json!({"a": "2", "b": "2"}));
    assert_eq!(managers(&obj), ["z"]);
}

#[test]
fn env_vars_dropped_by_one_applier_go_unless_another_owns_them() {
    let with_env = |env: Value| {
        let mut d = deployment(3, "nginx:1");
        d["spec"]["template"]["spec"]["containers"][0]["env"] = env;
        d
    };
    let obj = ssa(
        None,
        &with_env(json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])),
        "a",
        T1,
    )
    .unwrap();
    let b = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "2"}]}]}}}});
    let obj = ssa(Some(&obj), &b, "b", T2).unwrap();
    let obj = ssa(Some(&obj), &with_env(json!([])), "a", T3).unwrap();
    let container = &obj["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["env"], json!([{"name": "B", "value": "2"}]));
    assert_eq!(container["image"], "nginx:1", "a still applies the image");
    let again = ssa(Some(&obj), &with_env(json!([])), "a", T3).unwrap();
    assert_eq!(again, obj);
}
