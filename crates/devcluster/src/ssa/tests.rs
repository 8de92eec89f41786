//! Scenarios of server-side apply and update tracking over a Deployment-like and a ConfigMap-like
//! schema.

use serde_json::{json, Value};

use super::*;
use crate::shape::{ListType, Shape};

/// A small hand-written schema: Deployment (containers by name, ports by containerPort+protocol,
/// finalizers a set, args atomic, selector an atomic map) and ConfigMap data.
#[derive(Debug, Clone, Copy, PartialEq)]
enum T {
    Object,
    Spec,
    Template,
    PodMeta,
    PodSpec,
    Containers,
    Container,
    Ports,
    Port,
    Args,
    Selector,
    Strategy,
    StringMap,
    Scalar,
}

impl Shape for T {
    fn field(self, name: &str) -> Option<T> {
        use T::*;
        let t = match (self, name) {
            (Object, "spec") => Spec,
            (Object, "data") => StringMap,
            (Spec, "replicas" | "paused" | "minReadySeconds") => Scalar,
            (Spec, "selector") => Selector,
            (Spec, "template") => Template,
            (Spec, "strategy") => Strategy,
            (Strategy, "type") => Scalar,
            (Template, "metadata") => PodMeta,
            (Template, "spec") => PodSpec,
            (PodMeta, "labels") => StringMap,
            (PodSpec, "containers") => Containers,
            (PodSpec, "nodeSelector") => StringMap,
            (Container, "name" | "image") => Scalar,
            (Container, "args") => Args,
            (Container, "ports") => Ports,
            (Port, "containerPort" | "protocol" | "name") => Scalar,
            (StringMap | Selector, _) => Scalar,
            _ => return None,
        };
        Some(t)
    }
    fn items(self) -> Option<T> {
        match self {
            T::Containers => Some(T::Container),
            T::Ports => Some(T::Port),
            T::Args => Some(T::Scalar),
            _ => None,
        }
    }
    fn list_type(self) -> ListType {
        match self {
            T::Containers => ListType::Map(vec!["name".into()]),
            T::Ports => ListType::Map(vec!["containerPort".into(), "protocol".into()]),
            _ => ListType::Atomic,
        }
    }
    fn is_atomic(self) -> bool {
        self == T::Selector
    }
    fn patch_merge_key(self) -> Option<String> {
        None
    }
    fn patch_strategies(self) -> Vec<String> {
        Vec::new()
    }
}

const T1: &str = "2026-11-25T15:00:00Z";
const T2: &str = "2026-11-25T16:00:00Z";
const T3: &str = "2026-11-25T17:00:00Z";

fn deployment(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}
            }
        }
    })
}

fn config_map(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"}, "data": data})
}

fn ssa(live: Option<&Value>, config: &Value, manager: &str, now: &str) -> Result<Value, SsaError> {
    apply(Some(T::Object), live, config, manager, None, false, now)
}

fn force(live: &Value, config: &Value, manager: &str) -> Value {
    apply(Some(T::Object), Some(live), config, manager, None, true, T3).unwrap()
}

fn update(old: Option<&Value>, mut new: Value, manager: &str) -> Value {
    track_update(Some(T::Object), old, &mut new, manager, None, T2).unwrap();
    new
}

/// The fieldsV1 of `manager`'s entry, or panics.
fn fields_of_manager(object: &Value, manager: &str) -> Value {
    entry(object, manager).expect(manager)["fieldsV1"].clone()
}

fn entry<'a>(object: &'a Value, manager: &str) -> Option<&'a Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

fn managers(object: &Value) -> Vec<String> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["manager"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn conflicts(result: Result<Value, SsaError>) -> Vec<Conflict> {
    match result {
        Err(SsaError::Conflicts(c)) => c,
        other => panic!("expected conflicts, got {other:?}"),
    }
}

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
fn a_dropped_element_stays_while_another_manager_owns_a_field_in_it() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut patched = obj.clone();
    patched["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
    let obj = update(Some(&obj), patched, "kubectl-set");
    assert_eq!(
        fields_of_manager(&obj, "kubectl-set"),
        json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}}})
    );
    let mut a2 = deployment(3, "nginx:1");
    a2["spec"]["template"]["spec"]["containers"] = json!([]);
    let obj = ssa(Some(&obj), &a2, "a", T3).unwrap();
    assert_eq!(
        obj["spec"]["template"]["spec"]["containers"],
        json!([{"name": "app", "image": "nginx:2"}])
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
fn a_merge_patch_of_replicas_then_an_apply_of_other_replicas_conflicts_with_the_updater() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "kubectl", T1).unwrap();
    let mut patched = obj.clone();
    patched["spec"]["replicas"] = json!(7);
    let obj = update(Some(&obj), patched, "kubectl-patch");
    let e = entry(&obj, "kubectl-patch").unwrap();
    assert_eq!(e["operation"], "Update");
    assert_eq!(e["time"], T2);
    assert_eq!(e["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    assert!(fields_of_manager(&obj, "kubectl")["f:spec"]
        .get("f:replicas")
        .is_none());

    let found = conflicts(ssa(Some(&obj), &deployment(3, "nginx:1"), "kubectl", T3));
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].message(),
        r#"conflict with "kubectl-patch" using apps/v1"#
    );
    assert_eq!(found[0].api_version, "apps/v1");
    // Applying the value the updater set is not a conflict: ownership is shared again.
    let shared = ssa(Some(&obj), &deployment(7, "nginx:1"), "kubectl", T3).unwrap();
    assert!(fields_of_manager(&shared, "kubectl")["f:spec"]
        .get("f:replicas")
        .is_some());
    assert!(entry(&shared, "kubectl-patch").is_some());
}

#[test]
fn an_update_that_creates_owns_everything_with_kube_markers() {
    let mut cm = config_map(json!({"a": "1"}));
    cm["metadata"]["labels"] = json!({"x": "y"});
    let obj = update(None, cm, "kubectl-create");
    assert_eq!(
        fields_of_manager(&obj, "kubectl-create"),
        json!({"f:data": {".": {}, "f:a": {}}, "f:metadata": {"f:labels": {".": {}, "f:x": {}}}})
    );
}

#[test]
fn an_update_adding_an_element_owns_its_keys_itself_and_its_leaves() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut new = obj.clone();
    new["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "debug", "image": "busybox"}));
    let obj = update(Some(&obj), new, "kubectl-edit");
    assert_eq!(
        fields_of_manager(&obj, "kubectl-edit"),
        json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"debug\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
    );
}

#[test]
fn an_update_removing_a_field_takes_it_from_everyone_and_no_change_keeps_the_time() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut new = obj.clone();
    new["spec"].as_object_mut().unwrap().remove("replicas");
    let obj = update(Some(&obj), new, "kubectl-edit");
    assert!(fields_of_manager(&obj, "a")["f:spec"]
        .get("f:replicas")
        .is_none());
    assert!(
        entry(&obj, "kubectl-edit").is_none(),
        "removing owns nothing"
    );
    let same = update(Some(&obj), obj.clone(), "kubectl-edit");
    assert_eq!(same, obj);
}

#[test]
fn label_ownership_moves_with_a_label_update_and_back_with_force() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut labelled = obj.clone();
    labelled["metadata"]["labels"]["app"] = json!("other");
    labelled["metadata"]["labels"]["team"] = json!("x");
    let obj = update(Some(&obj), labelled, "kubectl-label");
    assert_eq!(
        fields_of_manager(&obj, "kubectl-label"),
        json!({"f:metadata": {"f:labels": {"f:app": {}, "f:team": {}}}})
    );
    let found = conflicts(ssa(Some(&obj), &deployment(3, "nginx:1"), "a", T2));
    assert_eq!(found[0].field, ".metadata.labels.app");
    let obj = force(&obj, &deployment(3, "nginx:1"), "a");
    assert_eq!(
        obj["metadata"]["labels"],
        json!({"app": "web", "team": "x"})
    );
    assert_eq!(
        fields_of_manager(&obj, "kubectl-label"),
        json!({"f:metadata": {"f:labels": {"f:team": {}}}})
    );
}

#[test]
fn sent_managed_fields_replace_or_reset_the_old_ones() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "a", T1).unwrap();
    let mut reset = obj.clone();
    reset["metadata"]["managedFields"] = json!([{}]);
    let cleared = update(Some(&obj), reset, "kubectl-patch");
    assert!(
        cleared["metadata"].get("managedFields").is_none(),
        "{cleared}"
    );

    let mut edited = obj.clone();
    edited["metadata"]["managedFields"][0]["manager"] = json!("renamed");
    let renamed = update(Some(&obj), edited, "kubectl-edit");
    assert_eq!(managers(&renamed), ["renamed"]);

    let mut garbage = obj.clone();
    garbage["metadata"]["managedFields"] = json!("nonsense");
    let kept = update(Some(&obj), garbage, "kubectl-edit");
    assert_eq!(managers(&kept), ["a"]);
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
