//! The documents as kubectl reads them: the index, the PATCH operations it checks before trusting
//! server-side validation, and schemas whose `$ref`s all resolve.

use serde_json::{json, Value};

use super::*;

fn resource<'a>(
    group: &'a str,
    version: &'a str,
    kind: &'a str,
    plural: &'a str,
) -> OpenApiResource<'a> {
    OpenApiResource {
        group,
        version,
        kind,
        plural,
        namespaced: true,
        status: false,
        scale: false,
    }
}

fn served() -> Vec<OpenApiResource<'static>> {
    vec![
        OpenApiResource {
            status: true,
            scale: true,
            ..resource("apps", "v1", "Deployment", "deployments")
        },
        resource("apps", "v1", "StatefulSet", "statefulsets"),
        resource("", "v1", "ConfigMap", "configmaps"),
        OpenApiResource {
            namespaced: false,
            ..resource("", "v1", "Namespace", "namespaces")
        },
        OpenApiResource {
            status: true,
            ..resource("example.com", "v1", "Widget", "widgets")
        },
        OpenApiResource {
            namespaced: false,
            ..resource("example.com", "v1", "Gadget", "gadgets")
        },
    ]
}

fn schemas() -> SchemaSet {
    let mut set = SchemaSet::builtin().unwrap();
    let widget = json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "size": {"type": "string", "nullable": true, "description": "How big."},
                "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]}
            }},
            "metadata": {"type": "object"}
        }
    });
    set.set_custom("example.com", "v1", "Widget", &widget)
        .unwrap();
    set
}

/// Every `$ref` in `document` (outside `properties` names) with its target.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match (key.as_str(), child) {
                    ("$ref", Value::String(reference)) => out.push(reference.clone()),
                    ("properties", Value::Object(properties)) => {
                        properties.values().for_each(|p| references(p, out))
                    }
                    _ => references(child, out),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn assert_references_resolve(document: &Value, prefix: &str, section: &Value) {
    let mut found = Vec::new();
    references(document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let name = reference
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{reference}"));
        assert!(section.get(name).is_some(), "{reference} does not resolve");
    }
}

fn has_query_parameter(operation: &Value, name: &str) -> bool {
    operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == name && p["in"] == "query")
}

#[test]
fn index_lists_each_group_version_with_its_hash() {
    let index = v3_index(&[
        ("api/v1".to_string(), "AB12".to_string()),
        ("apis/apps/v1".to_string(), "CD34".to_string()),
    ]);
    assert_eq!(
        index,
        json!({"paths": {
            "api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=AB12"},
            "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=CD34"}
        }})
    );
}

#[test]
fn apps_v1_patch_carries_the_gvk_and_field_validation() {
    let document = v3_document(&schemas(), "apps", "v1", &served());
    assert_eq!(document["openapi"], "3.0.0");
    let patch =
        &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
    assert_eq!(
        patch["x-kubernetes-group-version-kind"],
        json!({"group": "apps", "version": "v1", "kind": "Deployment"})
    );
    assert_eq!(patch["x-kubernetes-action"], "patch");
    assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
    for name in ["fieldValidation", "dryRun", "fieldManager", "force"] {
        assert!(has_query_parameter(patch, name), "{name}");
    }
    let content = patch["requestBody"]["content"].as_object().unwrap();
    let media: Vec<&str> = content.keys().map(String::as_str).collect();
    assert_eq!(
        media,
        vec![
            "application/apply-patch+yaml",
            "application/json-patch+json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json"
        ]
    );
    let post = &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"];
    assert!(has_query_parameter(post, "fieldValidation"));
    assert!(!has_query_parameter(post, "force"));
    assert_eq!(post["x-kubernetes-action"], "post");
    let list = &document["paths"]["/apis/apps/v1/deployments"]["get"];
    assert_eq!(list["operationId"], "listAppsV1DeploymentForAllNamespaces");
    assert_eq!(
        list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/io.k8s.api.apps.v1.DeploymentList"
    );
}

#[test]
fn apps_v1_has_only_its_own_resources_and_subresources() {
    let document = v3_document(&schemas(), "apps", "v1", &served());
    let paths: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        paths.iter().all(|p| p.starts_with("/apis/apps/v1/")),
        "{paths:?}"
    );
    let scale = &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
    assert_eq!(
        scale["patch"]["x-kubernetes-group-version-kind"],
        json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    );
    let status =
        &document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"];
    assert_eq!(
        status["put"]["operationId"],
        "replaceAppsV1NamespacedDeploymentStatus"
    );
    assert!(document["paths"]
        .get("/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}/status")
        .is_none());
}

#[test]
fn apps_v1_components_describe_kinds_for_explain_and_strategic_merge() {
    let document = v3_document(&schemas(), "apps", "v1", &served());
    let components = &document["components"]["schemas"];
    let deployment = &components["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
    );
    assert_eq!(
        deployment["properties"]["spec"]["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}])
    );
    assert!(deployment["description"]
        .as_str()
        .is_some_and(|d| !d.is_empty()));
    let containers = &components["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    for name in [
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        "io.k8s.api.autoscaling.v1.Scale",
    ] {
        assert!(components.get(name).is_some(), "{name}");
    }
    assert!(components.get("io.k8s.api.batch.v1.Job").is_none());
    assert_references_resolve(&document, "#/components/schemas/", components);
}

#[test]
fn core_group_paths_and_cluster_scoped_kinds() {
    let document = v3_document(&schemas(), "", "v1", &served());
    let paths = &document["paths"];
    let patch = &paths["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
    assert_eq!(patch["operationId"], "patchCoreV1NamespacedConfigMap");
    assert_eq!(patch["tags"], json!(["core_v1"]));
    assert!(has_query_parameter(patch, "fieldValidation"));
    let namespace = &paths["/api/v1/namespaces/{name}"];
    assert_eq!(namespace["get"]["operationId"], "readCoreV1Namespace");
    assert_eq!(
        namespace["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "path")
            .count(),
        1
    );
    assert!(paths.get("/api/v1/configmaps").is_some());
    assert_references_resolve(
        &document,
        "#/components/schemas/",
        &document["components"]["schemas"],
    );
}

#[test]
fn custom_resources_get_their_crd_schema_with_object_metadata() {
    let document = v3_document(&schemas(), "example.com", "v1", &served());
    let components = &document["components"]["schemas"];
    let widget = &components["com.example.v1.Widget"];
    assert_eq!(
        widget["x-kubernetes-group-version-kind"],
        json!([{"group": "example.com", "version": "v1", "kind": "Widget"}])
    );
    assert_eq!(widget["properties"]["apiVersion"]["type"], "string");
    assert_eq!(
        widget["properties"]["metadata"]["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])
    );
    assert_eq!(
        widget["properties"]["spec"]["properties"]["size"]["nullable"],
        true
    );
    let gadget = &components["com.example.v1.Gadget"];
    assert_eq!(gadget["x-kubernetes-preserve-unknown-fields"], true);
    assert!(components.get("com.example.v1.WidgetList").is_some());
    let patch =
        &document["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]["patch"];
    assert!(has_query_parameter(patch, "fieldValidation"));
    assert_eq!(patch["operationId"], "patchExampleComV1NamespacedWidget");
    let media = patch["requestBody"]["content"].as_object().unwrap();
    assert!(!media.contains_key("application/strategic-merge-patch+json"));
    assert!(document["paths"]
        .get("/apis/example.com/v1/gadgets/{name}")
        .is_some());
    assert!(document["paths"]
        .get("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/status")
        .is_some());
    assert_references_resolve(&document, "#/components/schemas/", components);
}

#[test]
fn v2_covers_every_resource_in_swagger_form() {
    let document = v2_document(&schemas(), &served());
    assert_eq!(document["swagger"], "2.0");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
        "/api/v1/namespaces/{namespace}/configmaps/{name}",
        "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}",
    ] {
        let patch = &paths[path]["patch"];
        assert!(has_query_parameter(patch, "fieldValidation"), "{path}");
        let body = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["in"] == "body")
            .unwrap();
        assert_eq!(
            body["schema"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
        );
        let field_validation = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "fieldValidation")
            .unwrap();
        assert_eq!(field_validation["type"], "string");
        assert!(field_validation.get("schema").is_none());
    }
    let definitions = &document["definitions"];
    let spec = &definitions["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"];
    assert_eq!(
        spec["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    );
    let size = &definitions["com.example.v1.Widget"]["properties"]["spec"]["properties"]["size"];
    assert!(
        size.get("nullable").is_none(),
        "Swagger 2.0 has no nullable"
    );
    let port = &definitions["com.example.v1.Widget"]["properties"]["spec"]["properties"]["port"];
    assert!(port.get("anyOf").is_none(), "Swagger 2.0 has no anyOf");
    assert_references_resolve(&document, "#/definitions/", definitions);
}
