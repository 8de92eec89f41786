//! Built-in types: the table, the explicit rules, pruning and the Shape of Deployment.

use serde_json::{json, Value};

use super::{builtin, deployment, fields};
use crate::schema::{FieldError, FieldErrorKind};
use crate::shape::{ListType, Shape};

fn validate(group: &str, version: &str, kind: &str, object: &Value) -> Vec<FieldError> {
    let set = builtin();
    set.get(group, version, kind).unwrap().validate(object)
}

#[test]
fn builtin_table_has_every_served_kind() {
    let set = builtin();
    for (group, version, kind) in [
        ("", "v1", "Namespace"),
        ("", "v1", "Pod"),
        ("apps", "v1", "Deployment"),
        ("batch", "v1", "CronJob"),
        ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
        ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
        ("events.k8s.io", "v1", "Event"),
        ("autoscaling", "v1", "Scale"),
        ("autoscaling", "v2", "HorizontalPodAutoscaler"),
    ] {
        let schema = set.get(group, version, kind);
        assert!(
            schema.is_some_and(|s| s.is_builtin()),
            "{group}/{version} {kind}"
        );
    }
    assert!(set.get("apps", "v1beta1", "Deployment").is_none());
    assert!(set.get("example.com", "v1", "Widget").is_none());
}

#[test]
fn a_valid_deployment_has_no_errors() {
    assert_eq!(validate("apps", "v1", "Deployment", &deployment()), vec![]);
}

#[test]
fn replicas_as_a_string_is_type_invalid() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!("two");
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("spec.replicas", FieldErrorKind::TypeInvalid)]
    );
    assert_eq!(
        errors[0].to_string(),
        r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#
    );
    assert_eq!(errors[0].kind.cause_type(), "FieldValueTypeInvalid");
}

#[test]
fn a_container_without_image_or_name_is_required() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("image");
    object["spec"]["template"]["spec"]["initContainers"] = json!([{"image": "busybox"}]);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![
            (
                "spec.template.spec.containers[0].image",
                FieldErrorKind::Required
            ),
            (
                "spec.template.spec.initContainers[0].name",
                FieldErrorKind::Required
            ),
        ]
    );
    assert_eq!(
        errors[0].to_string(),
        "spec.template.spec.containers[0].image: Required value"
    );
    assert_eq!(errors[0].kind.cause_type(), "FieldValueRequired");
}

#[test]
fn every_pod_template_requires_container_images() {
    let container = json!({"name": "c"});
    let cases = [
        (
            "",
            "v1",
            "Pod",
            json!({"spec": {"containers": [container]}}),
            "spec.containers[0].image",
        ),
        (
            "batch",
            "v1",
            "CronJob",
            json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [container]}}}}}}),
            "spec.jobTemplate.spec.template.spec.containers[0].image",
        ),
        (
            "apps",
            "v1",
            "DaemonSet",
            json!({"spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [container]}}}}),
            "spec.template.spec.containers[0].image",
        ),
    ];
    for (group, version, kind, object, field) in cases {
        let errors = validate(group, version, kind, &object);
        assert_eq!(
            fields(&errors),
            vec![(field, FieldErrorKind::Required)],
            "{kind}"
        );
    }
}

#[test]
fn selector_must_match_template_labels() {
    let mut object = deployment();
    object["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("spec.template.metadata.labels", FieldErrorKind::Invalid)]
    );
    assert_eq!(
        errors[0].to_string(),
        r#"spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`"#
    );
}

#[test]
fn selector_expressions_are_evaluated() {
    let mut object = deployment();
    object["spec"]["selector"] = json!({"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["web", "api"]},
        {"key": "tier", "operator": "DoesNotExist"}
    ]});
    assert_eq!(validate("apps", "v1", "Deployment", &object), vec![]);
    object["spec"]["template"]["metadata"]["labels"]["tier"] = json!("front");
    assert_eq!(validate("apps", "v1", "Deployment", &object).len(), 1);
    object["spec"]["selector"] = json!({});
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("spec.selector", FieldErrorKind::Invalid)]
    );
}

#[test]
fn workloads_need_selector_and_template() {
    for kind in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"] {
        let errors = validate("apps", "v1", kind, &json!({"spec": {}}));
        assert_eq!(
            fields(&errors),
            vec![
                ("spec.selector", FieldErrorKind::Required),
                ("spec.template", FieldErrorKind::Required)
            ],
            "{kind}"
        );
    }
}

#[test]
fn duplicate_container_names_are_refused() {
    let mut object = deployment();
    let container = object["spec"]["template"]["spec"]["containers"][0].clone();
    object["spec"]["template"]["spec"]["containers"] = json!([container.clone(), container]);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![(
            "spec.template.spec.containers[1].name",
            FieldErrorKind::Duplicate
        )]
    );
    assert_eq!(errors[0].kind.cause_type(), "FieldValueDuplicate");
}

#[test]
fn service_ports_need_port_and_valid_int_or_string_target() {
    let service = json!({
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"ports": [{"name": "http", "targetPort": "http"}, {"port": 443, "targetPort": 8443}, {"port": 1, "targetPort": true}]}
    });
    let errors = validate("", "v1", "Service", &service);
    assert_eq!(
        fields(&errors),
        vec![
            ("spec.ports[0].port", FieldErrorKind::Required),
            ("spec.ports[2].targetPort", FieldErrorKind::TypeInvalid)
        ]
    );
}

#[test]
fn integer_format_overflow_is_invalid() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!(3_000_000_000u64);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("spec.replicas", FieldErrorKind::Invalid)]
    );
    object["spec"]["replicas"] = json!(2_147_483_647);
    assert_eq!(validate("apps", "v1", "Deployment", &object), vec![]);
    object["spec"]["replicas"] = json!(2.0);
    assert_eq!(validate("apps", "v1", "Deployment", &object).len(), 1);
    let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "i"}]}});
    pod["spec"]["activeDeadlineSeconds"] = json!(u64::MAX);
    let errors = validate("", "v1", "Pod", &pod);
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![
            r#"spec.activeDeadlineSeconds: Invalid value: 18446744073709551615: spec.activeDeadlineSeconds in body must be of type int64: "18446744073709551615""#
        ]
    );
}

#[test]
fn null_is_unset_for_builtins_but_required_fields_stay_required() {
    let mut object = deployment();
    object["spec"]["replicas"] = Value::Null;
    object["spec"]["template"]["spec"]["containers"][0]["image"] = Value::Null;
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![(
            "spec.template.spec.containers[0].image",
            FieldErrorKind::Required
        )]
    );
}

#[test]
fn malformed_quantities_are_type_errors() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] =
        json!({"cpu": "lots", "memory": "1Gi"});
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![format!(
            "spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": {}",
            crate::schema::formats::QUANTITY_FORMAT_MESSAGE
        )]
    );
    assert_eq!(errors[0].kind, FieldErrorKind::TypeInvalid);
}

#[test]
fn builtin_status_does_not_require_fields_go_would_zero() {
    let mut object = deployment();
    object["status"] = json!({"conditions": [{"type": "Available"}], "replicas": 2});
    assert_eq!(validate("apps", "v1", "Deployment", &object), vec![]);
    object["status"]["replicas"] = json!("two");
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("status.replicas", FieldErrorKind::TypeInvalid)]
    );
}

#[test]
fn enums_of_builtins_are_checked() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Sometimes");
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![(
            "spec.template.spec.containers[0].imagePullPolicy",
            FieldErrorKind::NotSupported
        )]
    );
    assert_eq!(
        errors[0].message,
        r#"Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never""#
    );
    let service = json!({"spec": {"type": "Internal", "ports": [{"port": 80, "protocol": "tcp"}]}});
    let errors = validate("", "v1", "Service", &service);
    assert_eq!(
        fields(&errors),
        vec![
            ("spec.ports[0].protocol", FieldErrorKind::NotSupported),
            ("spec.type", FieldErrorKind::NotSupported)
        ]
    );
}

#[test]
fn rbac_rules_need_verbs() {
    let role = json!({"rules": [{"apiGroups": [""], "resources": ["pods"]}, {"verbs": ["get"]}]});
    let errors = validate("rbac.authorization.k8s.io", "v1", "ClusterRole", &role);
    assert_eq!(
        fields(&errors),
        vec![("rules[0].verbs", FieldErrorKind::Required)]
    );
    let binding = json!({"subjects": [{"kind": "User", "name": "a"}]});
    let errors = validate("rbac.authorization.k8s.io", "v1", "RoleBinding", &binding);
    assert_eq!(fields(&errors), vec![("roleRef", FieldErrorKind::Required)]);
}

#[test]
fn label_values_must_be_strings() {
    let mut object = deployment();
    object["metadata"]["labels"]["replicas"] = json!(3);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("metadata.labels[replicas]", FieldErrorKind::TypeInvalid)]
    );
}

#[test]
fn builtin_pruning_removes_unknown_fields_and_keeps_metadata_and_free_form_values() {
    let set = builtin();
    let mut object = deployment();
    object["spec"]["replicaz"] = json!(3);
    object["spec"]["template"]["spec"]["containers"][0]["imagePolicy"] = json!("x");
    object["metadata"]["bogus"] = json!(1);
    let kept = object["metadata"]["labels"].clone();
    let removed = set
        .get("apps", "v1", "Deployment")
        .unwrap()
        .prune(&mut object);
    assert_eq!(
        removed,
        vec![
            "metadata.bogus",
            "spec.replicaz",
            "spec.template.spec.containers[0].imagePolicy"
        ]
    );
    assert_eq!(object["metadata"]["labels"], kept);
    assert_eq!(object["spec"]["replicas"], json!(2));

    let mut crd = json!({"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": {
        "type": "object", "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
        "default": {"anything": {"goes": 1}}
    }}}]}});
    let removed = set
        .get("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
        .unwrap()
        .prune(&mut crd);
    assert_eq!(removed, Vec::<String>::new());
    assert_eq!(
        crd.pointer("/spec/versions/0/schema/openAPIV3Schema/default/anything/goes"),
        Some(&json!(1))
    );
}

#[test]
fn deployment_shape_follows_list_markers() {
    let set = builtin();
    let deployment = set.get("apps", "v1", "Deployment").unwrap();
    let pod = deployment
        .field("spec")
        .and_then(|s| s.field("template"))
        .and_then(|s| s.field("spec"))
        .unwrap();
    let containers = pod.field("containers").unwrap();
    assert_eq!(containers.list_type(), ListType::Map(vec!["name".into()]));
    let container = containers.items().unwrap();
    assert_eq!(
        container.field("ports").unwrap().list_type(),
        ListType::Map(vec!["containerPort".into(), "protocol".into()])
    );
    assert_eq!(
        container.field("args").unwrap().list_type(),
        ListType::Atomic
    );
    assert_eq!(
        container.field("command").unwrap().list_type(),
        ListType::Atomic
    );
    assert_eq!(
        pod.field("volumes").unwrap().patch_strategies(),
        vec!["merge".to_string(), "retainKeys".to_string()]
    );
    assert_eq!(
        pod.field("volumes").unwrap().patch_merge_key(),
        Some("name".to_string())
    );
    let strategy = deployment
        .field("spec")
        .and_then(|s| s.field("strategy"))
        .unwrap();
    assert_eq!(strategy.patch_strategies(), vec!["retainKeys".to_string()]);
    assert!(!strategy.is_atomic());
    let selector = deployment
        .field("spec")
        .and_then(|s| s.field("selector"))
        .unwrap();
    assert!(
        selector.is_atomic(),
        "LabelSelector is x-kubernetes-map-type atomic"
    );
    let limits = container
        .field("resources")
        .and_then(|r| r.field("limits"))
        .unwrap();
    assert!(
        limits.field("cpu").unwrap().is_atomic(),
        "Quantity values are atomic"
    );
    let max_surge = deployment
        .field("spec")
        .and_then(|s| s.field("strategy"))
        .and_then(|s| s.field("rollingUpdate"))
        .and_then(|s| s.field("maxSurge"))
        .unwrap();
    assert!(max_surge.is_atomic(), "IntOrString is atomic");
    let labels = deployment
        .field("metadata")
        .and_then(|m| m.field("labels"))
        .unwrap();
    assert!(!labels.is_atomic());
    assert!(labels.field("any-key").is_some_and(|v| v.is_atomic()));
    assert!(deployment.field("nope").is_none());
}

#[test]
fn owner_references_and_finalizers_have_their_list_types() {
    let set = builtin();
    let meta = set
        .get("", "v1", "ConfigMap")
        .unwrap()
        .field("metadata")
        .unwrap();
    assert_eq!(
        meta.field("ownerReferences").unwrap().list_type(),
        ListType::Map(vec!["uid".into()])
    );
    assert_eq!(meta.field("finalizers").unwrap().list_type(), ListType::Set);
}

#[test]
fn validating_a_deployment_takes_microseconds() {
    let set = builtin();
    let schema = set.get("apps", "v1", "Deployment").unwrap();
    let object = deployment();
    let rounds = 2_000;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let mut copy = object.clone();
        assert!(schema.prune(&mut copy).is_empty());
        assert!(schema.validate(&copy).is_empty());
    }
    let per_object = start.elapsed() / rounds;
    // Generous bound so that a loaded machine or a debug build does not fail; typical is a few µs.
    assert!(per_object.as_micros() < 500, "{per_object:?} per object");
}

#[test]
fn container_and_volume_names_are_dns_labels() {
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["name"] = json!("Web");
    object["spec"]["template"]["spec"]["volumes"] = json!([{"name": "data_1", "emptyDir": {}}]);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![
            (
                "spec.template.spec.containers[0].name",
                FieldErrorKind::Invalid
            ),
            (
                "spec.template.spec.volumes[0].name",
                FieldErrorKind::Invalid
            )
        ]
    );
    assert!(errors[0]
        .message
        .starts_with(r#"Invalid value: "Web": a lowercase RFC 1123 label must consist of"#));
}

#[test]
fn ports_must_be_in_range() {
    let service = json!({"spec": {"ports": [
        {"port": 0}, {"port": 80, "targetPort": 70000}, {"port": 443, "targetPort": "https"},
        {"port": 8080, "targetPort": 0}
    ]}});
    let errors = validate("", "v1", "Service", &service);
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![
            "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
        ]
    );
    let mut object = deployment();
    object["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = json!(0);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![(
            "spec.template.spec.containers[0].ports[0].containerPort",
            FieldErrorKind::Invalid
        )]
    );
}

#[test]
fn config_map_and_secret_keys_and_secret_base64() {
    let config_map = json!({"data": {"app.yaml": "a: 1", "bad key": "x", "..hidden": "y"}});
    let errors = validate("", "v1", "ConfigMap", &config_map);
    assert_eq!(
        errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        vec!["data[..hidden]", "data[bad key]"]
    );
    assert_eq!(
        errors[0].message,
        r#"Invalid value: "..hidden": must not start with '..'"#
    );
    let secret = json!({"data": {"password": "c2VjcmV0", "token": "plain text"}, "stringData": {"ok": "plain"}});
    let errors = validate("", "v1", "Secret", &secret);
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec![r#"data[token]: Invalid value: "plain text": illegal base64 data at input byte 5"#]
    );
    assert_eq!(errors[0].kind, FieldErrorKind::TypeInvalid);
}

#[test]
fn network_policies_may_leave_out_the_pod_selector() {
    let policy = json!({"spec": {"policyTypes": ["Ingress"]}});
    assert_eq!(
        validate("networking.k8s.io", "v1", "NetworkPolicy", &policy),
        vec![]
    );
}
