//! Built-in objects are checked against their upstream schemas: wrong types are 400, missing required fields
//! and invalid values are 422 naming the field; unknown fields follow fieldValidation.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn wrong_type_is_bad_request() {
    let c = cluster().await;
    let mut d = deployment("web", "default", 1, "nginx");
    d["spec"]["replicas"] = json!("two");
    let err = status_of(apply(&deployments(&c, "default"), "t", d, false).await);
    assert_eq!((err.code, err.reason.as_str()), (400, "BadRequest"));
    assert!(err.message.contains("spec.replicas"), "{}", err.message);
}

#[tokio::test]
async fn container_without_image_is_invalid_naming_the_field() {
    let c = cluster().await;
    let mut d = deployment("web", "default", 1, "nginx");
    d["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("image");
    let err = status_of(apply(&deployments(&c, "default"), "t", d, false).await);
    assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
    let causes = err.details.unwrap().causes;
    assert!(
        causes
            .iter()
            .any(|c| c.field == "spec.template.spec.containers[0].image"
                && c.reason == "FieldValueRequired"),
        "{causes:?}"
    );
    assert_eq!(err.message, "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value");
}

#[tokio::test]
async fn selector_must_match_template_labels() {
    let c = cluster().await;
    let mut d = deployment("web", "default", 1, "nginx");
    d["spec"]["selector"]["matchLabels"] = json!({"app": "other"});
    let err = status_of(apply(&deployments(&c, "default"), "t", d, false).await);
    assert_eq!(err.code, 422);
    assert!(
        err.message
            .contains("`selector` does not match template `labels`"),
        "{}",
        err.message
    );
}

async fn raw(
    c: &devcluster::DevCluster,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, serde_json::Value, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = c.url().strip_prefix("http://").unwrap().to_string();
    let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (
        code,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
        head.to_string(),
    )
}

#[tokio::test]
async fn unknown_fields_follow_field_validation() {
    let c = cluster().await;
    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "u"}, "data": {}, "bogus": 1}).to_string();
    let (code, status, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
        "application/json",
        &body,
    )
    .await;
    assert_eq!(code, 400);
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("unknown field \"bogus\""),
        "{status}"
    );
    let (code, object, head) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &body,
    )
    .await;
    assert_eq!(code, 201);
    assert!(object.get("bogus").is_none());
    assert!(
        head.to_ascii_lowercase()
            .contains("warning: 299 - \"unknown field \\\"bogus\\\"\""),
        "{head}"
    );
}

#[tokio::test]
async fn malformed_and_mismatched_bodies_get_clear_4xx() {
    let c = cluster().await;
    let (code, status, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        "{not json",
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (400, Some("BadRequest")));
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}).to_string();
    let (code, status, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &secret,
    )
    .await;
    assert_eq!(code, 400, "{status}");
    assert!(
        status["message"].as_str().unwrap().contains("kind"),
        "{status}"
    );
    let big = format!("{{\"data\": \"{}\"}}", "x".repeat(3 * 1024 * 1024 + 10));
    let (code, status, _) = raw(
        &c,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        &big,
    )
    .await;
    assert_eq!(code, 413, "{status}");
    let (code, status, _) = raw(
        &c,
        "PATCH",
        "/api/v1/namespaces/default/configmaps/x",
        "text/plain",
        "{}",
    )
    .await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    let (code, _, _) = raw(
        &c,
        "GET",
        "/apis/nope.example.com/v1/things",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 404);
    let (code, status, _) = raw(
        &c,
        "PUT",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        "{}",
    )
    .await;
    assert_eq!(
        (code, status["reason"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
    // The server is still healthy and unchanged after all of that.
    let (code, list, _) = raw(
        &c,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        "",
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn secret_values_never_appear_in_errors() {
    let c = cluster().await;
    let secrets = kube::Api::<kube::api::DynamicObject>::namespaced_with(
        c.client(),
        "default",
        &resource("", "v1", "Secret", "secrets"),
    );
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "hunter2-not-base64!"}});
    let err = status_of(apply(&secrets, "t", secret, false).await);
    assert_eq!(err.code, 400);
    assert!(!err.message.contains("hunter2"), "{}", err.message);
    assert!(err.message.contains("data[password]"), "{}", err.message);
}

#[tokio::test]
async fn secret_string_data_is_folded_into_data() {
    let c = cluster().await;
    let secrets = kube::Api::<kube::api::DynamicObject>::namespaced_with(
        c.client(),
        "default",
        &resource("", "v1", "Secret", "secrets"),
    );
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                        "data": {"a": "b2xk", "b": "a2VwdA=="}, "stringData": {"a": "new"}});
    let stored = apply(&secrets, "t", secret.clone(), false).await.unwrap();
    let stored = serde_json::to_value(stored).unwrap();
    assert_eq!(stored["data"], json!({"a": "bmV3", "b": "a2VwdA=="}));
    assert!(stored.get("stringData").is_none(), "{stored}");
    let again = serde_json::to_value(apply(&secrets, "t", secret, false).await.unwrap()).unwrap();
    assert_eq!(
        again["metadata"]["resourceVersion"], stored["metadata"]["resourceVersion"],
        "re-applying the same stringData is a no-op"
    );
}
