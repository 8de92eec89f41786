//! Custom resources: CRD schemas with typical keywords, pruning, defaulting and errors.

use serde_json::{json, Value};

use super::{builtin, deployment, fields};
use crate::schema::{FieldError, FieldErrorKind, SchemaSet};
use crate::shape::{ListType, Shape};

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
fn schema_sets_are_send_sync_and_clone_and_debug_briefly() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<SchemaSet>();
    let set = with_widget();
    let shown = format!("{set:?}");
    assert!(shown.contains("example.com/v1 Widget"), "{shown}");
    assert!(shown.len() < 200, "{shown}");
}

/// The shapes prometheus-operator's ServiceMonitor CRD uses: duration patterns, int-or-string
/// ports, enums with defaults, atomic secret references, CEL rules (ignored) and a label selector.
fn service_monitor_schema() -> Value {
    let secret_key = json!({
        "type": "object", "x-kubernetes-map-type": "atomic", "required": ["key"],
        "properties": {"key": {"type": "string"}, "name": {"type": "string", "default": ""}, "optional": {"type": "boolean"}}
    });
    json!({
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["selector"],
                "x-kubernetes-validations": [{"rule": "self.endpoints.size() > 0", "message": "ignored"}],
                "properties": {
                    "endpoints": {"type": "array", "items": {"type": "object", "properties": {
                        "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                        "targetPort": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
                        "bearerTokenSecret": secret_key,
                        "metricRelabelings": {"type": "array", "items": {"type": "object", "properties": {
                            "action": {"type": "string", "default": "replace", "enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop"]},
                            "sourceLabels": {"type": "array", "items": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"}}
                        }}}
                    }}},
                    "selector": {"type": "object", "x-kubernetes-map-type": "atomic", "properties": {
                        "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "matchExpressions": {"type": "array", "x-kubernetes-list-type": "atomic", "items": {"type": "object", "required": ["key", "operator"], "properties": {
                            "key": {"type": "string"}, "operator": {"type": "string"}, "values": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}
                        }}}
                    }}
                }
            }
        }
    })
}

#[test]
fn a_service_monitor_shaped_schema_defaults_prunes_and_validates() {
    let mut set = builtin();
    set.set_custom(
        "monitoring.coreos.com",
        "v1",
        "ServiceMonitor",
        &service_monitor_schema(),
    )
    .unwrap();
    let schema = set
        .get("monitoring.coreos.com", "v1", "ServiceMonitor")
        .unwrap();
    let mut object = json!({
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
        "metadata": {"name": "web", "namespace": "default", "labels": {"release": "prom"}},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "endpoints": [{
                "interval": "30s", "targetPort": "metrics", "scrapeTimeout": "10s",
                "bearerTokenSecret": {"key": "token"},
                "metricRelabelings": [{"sourceLabels": ["__name__"]}]
            }]
        }
    });
    schema.apply_defaults(&mut object);
    assert_eq!(
        schema.prune(&mut object),
        vec!["spec.endpoints[0].scrapeTimeout"]
    );
    assert_eq!(schema.validate(&object), vec![]);
    let endpoint = &object["spec"]["endpoints"][0];
    assert_eq!(endpoint["metricRelabelings"][0]["action"], "replace");
    assert_eq!(
        endpoint["bearerTokenSecret"],
        json!({"key": "token", "name": ""})
    );

    object["spec"]["endpoints"][0]["interval"] = json!("30 seconds");
    object["spec"]["endpoints"][0]["targetPort"] = json!(9090);
    object["spec"]["endpoints"][0]["metricRelabelings"][0]["action"] = json!("Rename");
    let errors = schema.validate(&object);
    assert_eq!(
        fields(&errors),
        vec![
            ("spec.endpoints[0].interval", FieldErrorKind::Invalid),
            (
                "spec.endpoints[0].metricRelabelings[0].action",
                FieldErrorKind::NotSupported
            )
        ]
    );
    let spec = schema.field("spec").unwrap();
    assert!(spec.field("selector").unwrap().is_atomic());
    let endpoint = spec.field("endpoints").unwrap().items().unwrap();
    assert!(endpoint.field("bearerTokenSecret").unwrap().is_atomic());
    assert_eq!(
        endpoint.field("metricRelabelings").unwrap().list_type(),
        ListType::Atomic
    );
}
