//! The OpenAPI documents kubectl 1.32 reads: the `/openapi/v3` index, one OpenAPI 3 document per
//! group-version, and the Swagger 2.0 document of `/openapi/v2`. They follow kube-apiserver's
//! shape: component schemas named like `io.k8s.api.apps.v1.Deployment` carrying
//! `x-kubernetes-group-version-kind`, and one operation per verb tagged with
//! `x-kubernetes-action` and `x-kubernetes-group-version-kind`. kubectl trusts the server to
//! validate when a kind's PATCH operation has the `fieldValidation` query parameter.

mod paths;
mod schemas;

use serde_json::{json, Map, Value};

use crate::schema::SchemaSet;
use paths::{routes, Body, Operation, Route};
use schemas::{components, Dialect};

/// The Kubernetes version the documents describe.
const KUBERNETES_VERSION: &str = "v1.33.0";

/// One served resource, as the documents describe it.
#[derive(Debug, Clone, Copy)]
pub struct OpenApiResource<'a> {
    /// API group; "" for the core group.
    pub group: &'a str,
    /// API version (`v1`).
    pub version: &'a str,
    /// Kind (`Deployment`).
    pub kind: &'a str,
    /// Plural resource name (`deployments`).
    pub plural: &'a str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether the `/status` subresource is served.
    pub status: bool,
    /// Whether the `/scale` subresource is served.
    pub scale: bool,
}

/// The `/openapi/v3` index, `{"paths": {"apis/apps/v1": {"serverRelativeURL":
/// "/openapi/v3/apis/apps/v1?hash=<hash>"}, ...}}`, from (path, hash) pairs.
pub fn v3_index(entries: &[(String, String)]) -> Value {
    let paths: Map<String, Value> = entries
        .iter()
        .map(|(path, hash)| {
            let url = format!("/openapi/v3/{path}?hash={hash}");
            (path.clone(), json!({ "serverRelativeURL": url }))
        })
        .collect();
    json!({ "paths": paths })
}

/// The OpenAPI 3 document of one group-version: `components.schemas` for its kinds (and what they
/// reference, meta/v1 types included), and paths for every resource: list, create and
/// deletecollection on the collection; get, put, patch and delete on the item; status and scale
/// subresources when served. Each operation carries `x-kubernetes-group-version-kind` and
/// `x-kubernetes-action`; POST, PUT and PATCH take `dryRun`, `fieldManager` and `fieldValidation`
/// (PATCH also `force`). Custom resources get their CRD schema with apiVersion, kind and metadata
/// declared; kinds with no schema in the set get an open object schema.
pub fn v3_document(
    schemas: &SchemaSet,
    group: &str,
    version: &str,
    resources: &[OpenApiResource],
) -> Value {
    let resources: Vec<OpenApiResource> = resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .copied()
        .collect();
    let dialect = Dialect::V3;
    json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": KUBERNETES_VERSION },
        "paths": render_paths(schemas, &resources, dialect),
        "components": {
            "schemas": components(schemas, &resources, dialect),
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "description": "Bearer Token authentication",
                    "name": "authorization",
                    "in": "header"
                }
            }
        }
    })
}

/// The Swagger 2.0 document (`/openapi/v2`, JSON) covering every resource.
pub fn v2_document(schemas: &SchemaSet, resources: &[OpenApiResource]) -> Value {
    let dialect = Dialect::V2;
    json!({
        "swagger": "2.0",
        "info": { "title": "Kubernetes", "version": KUBERNETES_VERSION },
        "paths": render_paths(schemas, resources, dialect),
        "definitions": components(schemas, resources, dialect),
        "securityDefinitions": {
            "BearerToken": {
                "type": "apiKey",
                "description": "Bearer Token authentication",
                "name": "authorization",
                "in": "header"
            }
        },
        "security": [{ "BearerToken": [] }]
    })
}

fn render_paths(schemas: &SchemaSet, resources: &[OpenApiResource], dialect: Dialect) -> Value {
    let mut paths = Map::new();
    for resource in resources {
        for route in routes(schemas, resource) {
            paths.insert(route.path.clone(), render_route(&route, dialect));
        }
    }
    Value::Object(paths)
}

fn render_route(route: &Route, dialect: Dialect) -> Value {
    let mut item = Map::new();
    for operation in &route.operations {
        item.insert(
            operation.method.to_string(),
            render_operation(operation, dialect),
        );
    }
    let mut parameters: Vec<Value> = route
        .path_parameters
        .iter()
        .map(|name| path_parameter(name, dialect))
        .collect();
    parameters.push(query_parameter(
        paths::PRETTY.0,
        paths::PRETTY.1,
        paths::PRETTY.2,
        dialect,
    ));
    item.insert("parameters".to_string(), Value::Array(parameters));
    Value::Object(item)
}

fn render_operation(operation: &Operation, dialect: Dialect) -> Value {
    let mut parameters: Vec<Value> = operation
        .query
        .iter()
        .map(|(name, kind, description)| query_parameter(name, kind, description, dialect))
        .collect();
    let mut rendered = Map::new();
    rendered.insert("tags".into(), json!([operation.tag]));
    rendered.insert("description".into(), json!(operation.description));
    rendered.insert("operationId".into(), json!(operation.id));
    let response = dialect.reference(&operation.response);
    match (&operation.body, dialect) {
        (Some(body), Dialect::V3) => {
            rendered.insert("requestBody".into(), v3_body(body, dialect));
        }
        (Some(body), Dialect::V2) => {
            parameters.insert(
                0,
                json!({"name": "body", "in": "body", "required": true, "schema": dialect.reference(&body.schema)}),
            );
            rendered.insert("consumes".into(), json!(body.media_types));
        }
        (None, Dialect::V2) => {
            rendered.insert("consumes".into(), json!(["*/*"]));
        }
        (None, Dialect::V3) => {}
    }
    if dialect == Dialect::V2 {
        rendered.insert("produces".into(), json!(RESPONSE_MEDIA_TYPES));
        rendered.insert("schemes".into(), json!(["https"]));
    }
    if !parameters.is_empty() {
        rendered.insert("parameters".into(), Value::Array(parameters));
    }
    let responses: Map<String, Value> = operation
        .codes
        .iter()
        .map(|(code, text)| (code.to_string(), response_object(text, &response, dialect)))
        .chain(std::iter::once((
            "401".to_string(),
            json!({"description": "Unauthorized"}),
        )))
        .collect();
    rendered.insert("responses".into(), Value::Object(responses));
    rendered.insert("x-kubernetes-action".into(), json!(operation.action));
    rendered.insert(
        "x-kubernetes-group-version-kind".into(),
        json!({"group": operation.gvk.0, "version": operation.gvk.1, "kind": operation.gvk.2}),
    );
    Value::Object(rendered)
}

const RESPONSE_MEDIA_TYPES: [&str; 2] = ["application/json", "application/yaml"];

fn v3_body(body: &Body, dialect: Dialect) -> Value {
    let schema = dialect.reference(&body.schema);
    let content: Map<String, Value> = body
        .media_types
        .iter()
        .map(|media_type| (media_type.to_string(), json!({ "schema": schema })))
        .collect();
    json!({ "content": content, "required": true })
}

fn response_object(text: &str, schema: &Value, dialect: Dialect) -> Value {
    match dialect {
        Dialect::V2 => json!({ "description": text, "schema": schema }),
        Dialect::V3 => {
            let content: Map<String, Value> = RESPONSE_MEDIA_TYPES
                .iter()
                .map(|media_type| (media_type.to_string(), json!({ "schema": schema })))
                .collect();
            json!({ "description": text, "content": content })
        }
    }
}

fn path_parameter(name: &str, dialect: Dialect) -> Value {
    let description = match name {
        "namespace" => "object name and auth scope, such as for teams and projects",
        _ => "name of the resource",
    };
    let mut parameter = json!({
        "name": name,
        "in": "path",
        "description": description,
        "required": true,
    });
    set_parameter_type(&mut parameter, "string", dialect);
    parameter
}

fn query_parameter(name: &str, kind: &str, description: &str, dialect: Dialect) -> Value {
    let mut parameter = json!({ "name": name, "in": "query", "description": description });
    set_parameter_type(&mut parameter, kind, dialect);
    parameter
}

/// OpenAPI 3 puts a parameter's type in `schema`; Swagger 2.0 on the parameter itself.
fn set_parameter_type(parameter: &mut Value, kind: &str, dialect: Dialect) {
    let Some(object) = parameter.as_object_mut() else {
        return;
    };
    let mut schema = Map::new();
    schema.insert("type".into(), json!(kind));
    if kind == "string" {
        schema.insert("uniqueItems".into(), json!(true));
    }
    match dialect {
        Dialect::V3 => {
            object.insert("schema".into(), Value::Object(schema));
        }
        Dialect::V2 => object.extend(schema),
    }
}

#[cfg(test)]
mod tests;
