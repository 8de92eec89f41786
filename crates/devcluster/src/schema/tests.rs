//! Validation, pruning and shape of built-in and custom schemas, with JSON fixtures.

use serde_json::{json, Value};

use super::*;

fn builtin() -> SchemaSet {
    SchemaSet::builtin().unwrap()
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "value": "1"}],
                        "resources": {"limits": {"cpu": "500m", "memory": 1073741824}}
                    }]
                }
            }
        }
    })
}

fn validate(group: &str, version: &str, kind: &str, object: &Value) -> Vec<FieldError> {
    let set = builtin();
    set.get(group, version, kind).unwrap().validate(object)
}

fn fields(errors: &[FieldError]) -> Vec<(&str, FieldErrorKind)> {
    errors.iter().map(|e| (e.field.as_str(), e.kind)).collect()
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
fn int32_overflow_is_invalid() {
    let mut object = deployment();
    object["spec"]["replicas"] = json!(3_000_000_000u64);
    let errors = validate("apps", "v1", "Deployment", &object);
    assert_eq!(
        fields(&errors),
        vec![("spec.replicas", FieldErrorKind::Invalid)]
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
            super::quantity::QUANTITY_FORMAT_MESSAGE
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

fn widget_schema() -> Value {
    json!({
        "type": "object",
        "required": ["spec"],
        "properties": {
            "spec": {
                "type": "object",
                "required": ["size"],
                "properties": {
                    "size": {"type": "string", "enum": ["small", "large"]},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 5, "format": "int32"},
                    "ratio": {"type": "number", "exclusiveMaximum": true, "maximum": 1},
                    "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 8},
                    "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                    "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set", "maxItems": 3},
                    "endpoints": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["host", "port"],
                        "items": {"type": "object", "required": ["host"], "properties": {
                            "host": {"type": "string"}, "port": {"type": "integer"}, "path": {"type": "string", "nullable": true}
                        }}
                    },
                    "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                    "template": {"type": "object", "x-kubernetes-embedded-resource": true, "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                    "issuer": {"type": "object", "properties": {"ca": {"type": "object"}, "acme": {"type": "object"}},
                        "oneOf": [{"required": ["ca"]}, {"required": ["acme"]}]},
                    "mode": {"type": "object", "x-kubernetes-map-type": "atomic", "properties": {"a": {"type": "string"}}}
                }
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
        }
    })
}

fn with_widget() -> SchemaSet {
    let mut set = builtin();
    set.set_custom("example.com", "v1", "Widget", &widget_schema())
        .unwrap();
    set
}

fn widget(spec: Value) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": spec})
}

fn validate_widget(spec: Value) -> Vec<FieldError> {
    let set = with_widget();
    set.get("example.com", "v1", "Widget")
        .unwrap()
        .validate(&widget(spec))
}

#[test]
fn a_valid_custom_resource_has_no_errors() {
    let errors = validate_widget(json!({
        "size": "small", "replicas": 3, "ratio": 0.5, "name": "abc", "port": "http",
        "tags": ["a", "b"], "endpoints": [{"host": "a", "port": 1}, {"host": "a", "port": 2, "path": null}],
        "config": {"x": 1}, "labels": {"k": "v"},
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"x": 1}},
        "issuer": {"ca": {}}
    }));
    assert_eq!(errors, vec![]);
    let set = with_widget();
    assert!(!set.get("example.com", "v1", "Widget").unwrap().is_builtin());
}

#[test]
fn custom_resource_value_rules_are_enforced() {
    let errors = validate_widget(json!({
        "size": "medium", "replicas": 9, "ratio": 1, "name": "A", "port": 1.5,
        "tags": ["a", "a", "b", "c"], "endpoints": [{"host": "a", "port": 1}, {"host": "a", "port": 1}, {"port": 3}],
        "labels": {"k": 1}, "template": {"kind": "Pod"}, "issuer": {"ca": {}, "acme": {}}
    }));
    let mut got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    got.sort();
    let expected = [
        r#"spec.endpoints[1]: Duplicate value: {"host":"a","port":1}"#,
        "spec.endpoints[2].host: Required value",
        r#"spec.issuer: Invalid value: {"acme":{},"ca":{}}: spec.issuer in body must validate one and only one schema (oneOf). Found 2 valid alternatives"#,
        r#"spec.labels.k: Invalid value: "integer": spec.labels.k in body must be of type string: "integer""#,
        r#"spec.name: Invalid value: "A": spec.name in body should be at least 2 chars long"#,
        r#"spec.name: Invalid value: "A": spec.name in body should match '^[a-z]+$'"#,
        r#"spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number""#,
        r#"spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"#,
        r#"spec.replicas: Invalid value: 9: spec.replicas in body should be less than or equal to 5"#,
        r#"spec.size: Unsupported value: "medium": supported values: "small", "large""#,
        r#"spec.tags: Too many: 4: must have at most 3 items"#,
        r#"spec.tags[1]: Duplicate value: "a""#,
        "spec.template.apiVersion: Required value: must not be empty",
    ];
    assert_eq!(got, expected);
}

#[test]
fn custom_resource_required_and_null() {
    let set = with_widget();
    let schema = set.get("example.com", "v1", "Widget").unwrap();
    let errors = schema.validate(
        &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
    );
    assert_eq!(fields(&errors), vec![("spec", FieldErrorKind::Required)]);
    let errors = validate_widget(json!({"size": null}));
    assert_eq!(
        fields(&errors),
        vec![("spec.size", FieldErrorKind::TypeInvalid)]
    );
    let errors = validate_widget(json!({"size": "small", "name": "abcdefghij"}));
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        vec!["spec.name: Too long: may not be more than 8 bytes"]
    );
    assert_eq!(errors[0].kind.cause_type(), "FieldValueTooLong");
}

#[test]
fn custom_resource_pruning_keeps_preserved_fields() {
    let set = with_widget();
    let schema = set.get("example.com", "v1", "Widget").unwrap();
    let mut object = widget(json!({
        "size": "small", "unknown": 1,
        "config": {"free": {"deep": 1}, "known": {"a": "x", "b": "dropped"}},
        "labels": {"k": "v"},
        "endpoints": [{"host": "a", "extra": true}],
        "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "junk": 1}, "spec": {"any": 1}, "other": 2}
    }));
    object["metadata"]["junk"] = json!(1);
    object["status"] = json!({"phase": "Ready", "extra": 1});
    object["top"] = json!(1);
    let removed = schema.prune(&mut object);
    assert_eq!(
        removed,
        vec![
            "metadata.junk",
            "spec.config.known.b",
            "spec.endpoints[0].extra",
            "spec.template.metadata.junk",
            "spec.template.other",
            "spec.unknown",
            "status.extra",
            "top"
        ]
    );
    assert_eq!(object["spec"]["config"]["free"], json!({"deep": 1}));
    assert_eq!(object["spec"]["template"]["spec"], json!({"any": 1}));
    assert_eq!(object["metadata"]["labels"], json!({"a": "b"}));
    assert_eq!(object["apiVersion"], json!("example.com/v1"));
}

#[test]
fn custom_resource_defaults_fill_absent_fields_and_drop_nulls() {
    let mut set = builtin();
    let schema = json!({"type": "object", "properties": {"spec": {
        "type": "object",
        "default": {},
        "properties": {
            "replicas": {"type": "integer", "default": 1},
            "mode": {"type": "string", "default": "fast"},
            "note": {"type": "string"},
            "keep": {"type": "string", "nullable": true, "default": "x"},
            "policy": {"type": "object", "default": {"kind": "Retain"}, "properties": {
                "kind": {"type": "string"}, "days": {"type": "integer", "default": 7}
            }},
            "rules": {"type": "array", "items": {"type": "object", "properties": {
                "action": {"type": "string", "default": "allow"}
            }}},
            "limits": {"type": "object", "additionalProperties": {"type": "string"}}
        }
    }}});
    set.set_custom("example.com", "v1", "Policy", &schema)
        .unwrap();
    let policy = set.get("example.com", "v1", "Policy").unwrap();
    let mut object = json!({"apiVersion": "example.com/v1", "kind": "Policy", "metadata": {"name": "p"},
        "spec": {"mode": null, "note": null, "keep": null, "rules": [{}, {"action": "deny"}], "limits": {"a": null, "b": "1"}}});
    policy.apply_defaults(&mut object);
    assert_eq!(
        object["spec"],
        json!({
            "replicas": 1, "mode": "fast", "keep": null,
            "policy": {"kind": "Retain", "days": 7},
            "rules": [{"action": "allow"}, {"action": "deny"}],
            "limits": {"b": "1"}
        })
    );
    let mut empty =
        json!({"apiVersion": "example.com/v1", "kind": "Policy", "metadata": {"name": "p"}});
    policy.apply_defaults(&mut empty);
    assert_eq!(empty["spec"]["replicas"], json!(1));
    assert_eq!(empty["spec"]["policy"]["days"], json!(7));

    let deployment_schema = builtin();
    let mut object = deployment();
    object["spec"]["replicas"] = Value::Null;
    deployment_schema
        .get("apps", "v1", "Deployment")
        .unwrap()
        .apply_defaults(&mut object);
    assert_eq!(
        object["spec"]["replicas"],
        Value::Null,
        "built-ins are left alone"
    );
}

#[test]
fn custom_resource_shape() {
    let set = with_widget();
    let spec = set
        .get("example.com", "v1", "Widget")
        .unwrap()
        .field("spec")
        .unwrap();
    assert_eq!(
        spec.field("endpoints").unwrap().list_type(),
        ListType::Map(vec!["host".into(), "port".into()])
    );
    assert_eq!(spec.field("tags").unwrap().list_type(), ListType::Set);
    assert!(spec.field("mode").unwrap().is_atomic());
    assert!(!spec.field("config").unwrap().is_atomic());
    assert!(spec.field("port").unwrap().is_atomic());
    assert!(spec.field("config").unwrap().field("free").is_none());
}

#[test]
fn custom_schemas_are_replaced_and_removed_per_version() {
    let mut set = with_widget();
    let strict =
        json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["x"]}}});
    set.set_custom("example.com", "v2", "Widget", &strict)
        .unwrap();
    let v1 = set.get("example.com", "v1", "Widget").unwrap();
    assert_eq!(v1.validate(&widget(json!({"size": "small"}))), vec![]);
    let v2 = set.get("example.com", "v2", "Widget").unwrap();
    assert_eq!(v2.validate(&widget(json!({}))).len(), 1);
    set.remove_custom("example.com", "v1", "Widget");
    assert!(set.get("example.com", "v1", "Widget").is_none());
    assert!(set.get("example.com", "v2", "Widget").is_some());
}

#[test]
fn bad_custom_schemas_are_refused_with_the_place() {
    let mut set = builtin();
    let cases = [
        (json!({"type": "string"}), "openAPIV3Schema.type"),
        (
            json!({"type": "object", "properties": {"a": {"type": "strin"}}}),
            "openAPIV3Schema.properties[a].type",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}),
            "openAPIV3Schema.properties[a].pattern",
        ),
        (
            json!({"type": "object", "properties": {"a": {"$ref": "#/definitions/x"}}}),
            "openAPIV3Schema.properties[a].$ref",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "array", "x-kubernetes-list-type": "map"}}}),
            "x-kubernetes-list-map-keys",
        ),
        (
            json!({"type": "object", "properties": {"a": {"type": "string", "maxLength": -1}}}),
            "openAPIV3Schema.properties[a].maxLength",
        ),
    ];
    for (schema, place) in cases {
        let error = set
            .set_custom("example.com", "v1", "Bad", &schema)
            .unwrap_err();
        assert!(
            error.to_string().contains(place),
            "{error} should name {place}"
        );
    }
    assert!(set.get("example.com", "v1", "Bad").is_none());
}

#[test]
fn schema_sets_are_send_sync_and_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<SchemaSet>();
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
