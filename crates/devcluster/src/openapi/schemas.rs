//! The schemas part of the documents: built-in definitions (converted to the dialect) and custom
//! resource schemas with the type and object metadata kube-apiserver adds to them.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::OpenApiResource;
use crate::schema::SchemaSet;

pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
pub(super) const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
const OBJECT_META_DESCRIPTION: &str = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const LIST_META_DESCRIPTION: &str = "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// Swagger 2.0 (`/openapi/v2`) or OpenAPI 3 (`/openapi/v3/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    V2,
    V3,
}

impl Dialect {
    fn ref_prefix(self) -> &'static str {
        match self {
            Dialect::V2 => "#/definitions/",
            Dialect::V3 => "#/components/schemas/",
        }
    }

    /// `{"$ref": "<prefix><name>"}`.
    pub fn reference(self, name: &str) -> Value {
        json!({ "$ref": format!("{}{name}", self.ref_prefix()) })
    }

    /// A reference with a description: OpenAPI 3 ignores siblings of `$ref`, so kube-apiserver
    /// wraps the reference in `allOf` there.
    fn described_reference(self, name: &str, description: &str) -> Value {
        match self {
            Dialect::V2 => {
                json!({ "$ref": format!("{}{name}", self.ref_prefix()), "description": description })
            }
            Dialect::V3 => json!({ "allOf": [self.reference(name)], "description": description }),
        }
    }
}

/// The definition name of a kind: the built-in one (`io.k8s.api.apps.v1.Deployment`), or for a
/// custom resource its reversed group, version and kind (`com.example.v1.Widget`).
pub(super) fn kind_definition(
    schemas: &SchemaSet,
    group: &str,
    version: &str,
    kind: &str,
) -> String {
    schemas
        .builtin_definition_name(group, version, kind)
        .map_or_else(|| custom_definition(group, version, kind), str::to_string)
}

/// The definition name of a kind's list (`io.k8s.api.apps.v1.DeploymentList`).
pub(super) fn list_definition(
    schemas: &SchemaSet,
    group: &str,
    version: &str,
    kind: &str,
) -> String {
    let builtin_list = schemas
        .builtin_definition_name(group, version, kind)
        .map(|name| format!("{name}List"))
        .filter(|name| schemas.builtin_definitions().contains_key(name));
    builtin_list.unwrap_or_else(|| custom_definition(group, version, &format!("{kind}List")))
}

fn custom_definition(group: &str, version: &str, kind: &str) -> String {
    let mut parts: Vec<&str> = group.split('.').rev().collect();
    parts.push(version);
    parts.push(kind);
    parts.join(".")
}

/// Every schema the resources' operations refer to, keyed by definition name.
pub(super) fn components(
    schemas: &SchemaSet,
    resources: &[OpenApiResource],
    dialect: Dialect,
) -> Value {
    let builtin = schemas.builtin_definitions();
    let mut out = Map::new();
    let mut roots: Vec<String> = [STATUS, DELETE_OPTIONS, PATCH, OBJECT_META, LIST_META]
        .map(str::to_string)
        .to_vec();
    for resource in resources {
        let (group, version, kind) = (resource.group, resource.version, resource.kind);
        let kind_name = kind_definition(schemas, group, version, kind);
        if !builtin.contains_key(&kind_name) {
            let schema = schemas.custom_schema(group, version, kind);
            out.insert(
                kind_name.clone(),
                custom_kind_schema(schema, resource, dialect),
            );
        }
        let list_name = list_definition(schemas, group, version, kind);
        if builtin.contains_key(&list_name) {
            roots.push(list_name);
        } else {
            out.insert(list_name, list_schema(&kind_name, resource, dialect));
        }
        roots.push(kind_name);
        if resource.scale {
            roots.push(SCALE.to_string());
        }
    }
    for name in reachable(builtin, roots) {
        if let Some(definition) = builtin.get(&name) {
            out.insert(name, convert(definition, dialect, false));
        }
    }
    Value::Object(out)
}

/// The definitions reachable from `roots` through `$ref`s.
fn reachable(definitions: &Map<String, Value>, roots: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = roots;
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(definition) = definitions.get(&name) {
            collect_references(definition, &mut todo);
        }
    }
    seen
}

fn collect_references(schema: &Value, out: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        return;
    };
    for (key, value) in object {
        match (key.as_str(), value) {
            ("$ref", Value::String(reference)) => {
                out.push(reference.rsplit('/').next().unwrap_or_default().to_string())
            }
            ("properties", Value::Object(properties)) => {
                properties.values().for_each(|p| collect_references(p, out))
            }
            ("items" | "additionalProperties" | "not", _) => collect_references(value, out),
            ("allOf" | "anyOf" | "oneOf", Value::Array(list)) => {
                list.iter().for_each(|s| collect_references(s, out))
            }
            _ => {}
        }
    }
}

/// Keywords Swagger 2.0 does not have; kube-apiserver leaves them out of custom resource
/// schemas in `/openapi/v2`.
const NOT_IN_V2: &[&str] = &["nullable", "anyOf", "oneOf", "not"];

/// A schema in the dialect's form: `$ref`s point into the dialect's schema section, and in
/// OpenAPI 3 a `$ref` with siblings is wrapped in `allOf`.
fn convert(schema: &Value, dialect: Dialect, custom: bool) -> Value {
    let Some(object) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in object {
        if custom && dialect == Dialect::V2 && NOT_IN_V2.contains(&key.as_str()) {
            continue;
        }
        let converted = match (key.as_str(), value) {
            ("$ref", Value::String(reference)) => {
                let name = reference.rsplit('/').next().unwrap_or_default();
                Value::String(format!("{}{name}", dialect.ref_prefix()))
            }
            ("properties", Value::Object(properties)) => Value::Object(
                properties
                    .iter()
                    .map(|(name, p)| (name.clone(), convert(p, dialect, custom)))
                    .collect(),
            ),
            ("items" | "additionalProperties" | "not", Value::Object(_)) => {
                convert(value, dialect, custom)
            }
            ("allOf" | "anyOf" | "oneOf", Value::Array(list)) => {
                Value::Array(list.iter().map(|s| convert(s, dialect, custom)).collect())
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if dialect == Dialect::V3 && out.len() > 1 {
        if let Some(reference) = out.remove("$ref") {
            out.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
    }
    Value::Object(out)
}

fn gvk_extension(resource: &OpenApiResource, kind: &str) -> Value {
    json!([{ "group": resource.group, "version": resource.version, "kind": kind }])
}

/// A custom resource's schema as kube-apiserver publishes it: the CRD's schema (or an open object
/// when there is none) with apiVersion, kind and metadata declared and the GVK extension.
fn custom_kind_schema(
    schema: Option<&Value>,
    resource: &OpenApiResource,
    dialect: Dialect,
) -> Value {
    let mut out = match schema.map(|s| convert(s, dialect, true)) {
        Some(Value::Object(object)) => object,
        _ => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    let properties = out
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        properties.insert(
            "apiVersion".into(),
            json!({"description": API_VERSION_DESCRIPTION, "type": "string"}),
        );
        properties.insert(
            "kind".into(),
            json!({"description": KIND_DESCRIPTION, "type": "string"}),
        );
        properties.insert(
            "metadata".into(),
            dialect.described_reference(OBJECT_META, OBJECT_META_DESCRIPTION),
        );
    }
    out.insert(
        "x-kubernetes-group-version-kind".into(),
        gvk_extension(resource, resource.kind),
    );
    Value::Object(out)
}

/// The list type of a custom resource (`<Kind>List`).
fn list_schema(kind_name: &str, resource: &OpenApiResource, dialect: Dialect) -> Value {
    let kind = resource.kind;
    json!({
        "description": format!("{kind}List is a list of {kind}"),
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"description": API_VERSION_DESCRIPTION, "type": "string"},
            "items": {
                "description": format!("List of {}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md", resource.plural),
                "type": "array",
                "items": dialect.reference(kind_name)
            },
            "kind": {"description": KIND_DESCRIPTION, "type": "string"},
            "metadata": dialect.described_reference(LIST_META, LIST_META_DESCRIPTION)
        },
        "x-kubernetes-group-version-kind": gvk_extension(resource, &format!("{kind}List"))
    })
}
