//! Update tracking, and how it meets later applies.

use serde_json::json;

use super::*;

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
fn a_subresource_update_ignores_sent_managed_fields() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "a", T1).unwrap();
    let mut new = obj.clone();
    new["metadata"]["managedFields"] = json!([]);
    new["status"] = json!({"phase": "Ready"});
    track_update(
        Some(T::Object),
        Some(&obj),
        &mut new,
        "ctrl",
        Some("status"),
        T2,
    )
    .unwrap();
    assert_eq!(managers(&new), ["a", "ctrl"]);
    let status = entry(&new, "ctrl").unwrap();
    assert_eq!(status["subresource"], "status");
    assert_eq!(
        status["fieldsV1"],
        json!({"f:status": {".": {}, "f:phase": {}}})
    );
}

#[test]
fn duplicate_keys_in_an_updated_object_are_invalid() {
    let obj = ssa(None, &deployment(3, "nginx:1"), "a", T1).unwrap();
    let mut new = obj.clone();
    new["spec"]["template"]["spec"]["containers"] = json!([{"name": "x"}, {"name": "x"}]);
    let err = track_update(Some(T::Object), Some(&obj), &mut new, "m", None, T2).unwrap_err();
    assert!(matches!(err, SsaError::InvalidConfig(_)), "{err}");
}

#[test]
fn an_update_adding_finalizers_owns_the_list_and_its_values() {
    let obj = ssa(None, &config_map(json!({"a": "1"})), "a", T1).unwrap();
    let mut new = obj.clone();
    new["metadata"]["finalizers"] = json!(["example.com/x"]);
    let obj = update(Some(&obj), new, "ctrl");
    assert_eq!(
        fields_of_manager(&obj, "ctrl"),
        json!({"f:metadata": {"f:finalizers": {".": {}, "v:\"example.com/x\"": {}}}})
    );
    let mut more = obj.clone();
    more["metadata"]["finalizers"] = json!(["example.com/x", "example.com/y"]);
    let obj = update(Some(&obj), more, "other");
    assert_eq!(
        fields_of_manager(&obj, "other"),
        json!({"f:metadata": {"f:finalizers": {"v:\"example.com/y\"": {}}}})
    );
}
