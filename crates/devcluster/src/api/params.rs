//! Query parameters and headers of API requests, parsed into plain data.

use std::collections::HashMap;

use axum::http::HeaderMap;

use crate::cluster::{
    DeleteOptions, FieldValidation, ListOptions, PatchKind, Propagation, WriteOptions,
};
use crate::error::{ApiError, ApiResult};
use crate::selector::{FieldSelector, LabelSelector};

/// Raw query parameters.
pub type Query = HashMap<String, String>;

/// Whether a boolean parameter is set (`true` or `1`).
pub fn flag(q: &Query, name: &str) -> bool {
    q.get(name).is_some_and(|v| v == "true" || v == "1")
}

/// `labelSelector`, `fieldSelector`, `limit`, `continue`.
pub fn list_options(q: &Query) -> ApiResult<ListOptions> {
    let labels = LabelSelector::parse(q.get("labelSelector").map(String::as_str).unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = FieldSelector::parse(q.get("fieldSelector").map(String::as_str).unwrap_or(""))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let limit = match q.get("limit") {
        Some(l) => Some(
            l.parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
        ),
        None => None,
    };
    let continue_token = q.get("continue").filter(|c| !c.is_empty()).cloned();
    Ok(ListOptions {
        labels,
        fields,
        limit,
        continue_token,
    })
}

/// `dryRun`, `fieldManager` (else derived from the User-Agent), `fieldValidation`, `force`.
pub fn write_options(q: &Query, headers: &HeaderMap) -> ApiResult<WriteOptions> {
    let dry_run = dry_run(q)?;
    let field_validation = match q.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => FieldValidation::Warn,
        Some("Strict") => FieldValidation::Strict,
        Some("Ignore") => FieldValidation::Ignore,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
            "fieldValidation parameter unsupported: {other}, must be one of Ignore, Warn, Strict"
        )))
        }
    };
    let field_manager = match q.get("fieldManager").filter(|m| !m.is_empty()) {
        Some(m) if m.len() > 128 => {
            return Err(ApiError::bad_request(
                "fieldManager must not be longer than 128 characters",
            ))
        }
        Some(m) => m.clone(),
        None if content_type(headers).starts_with("application/apply-patch") => {
            return Err(ApiError::bad_request(
                "PATCH requests with apply content type require fieldManager",
            ))
        }
        None => manager_from_user_agent(headers),
    };
    Ok(WriteOptions {
        dry_run,
        field_manager,
        field_validation,
        force: flag(q, "force"),
    })
}

fn dry_run(q: &Query) -> ApiResult<bool> {
    match q.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "unsupported dry run value {other:?}: only All is supported"
        ))),
    }
}

/// The default field manager: the User-Agent up to the first `/`, as kube-apiserver derives it.
fn manager_from_user_agent(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .chars()
        .take(128)
        .collect()
}

/// DeleteOptions from the query and the optional body.
pub fn delete_options(q: &Query, headers: &HeaderMap, body: &[u8]) -> ApiResult<DeleteOptions> {
    let parsed: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Null
    } else {
        decode_body(headers, body)?
    };
    let text = |p: &str| {
        parsed
            .pointer(p)
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let policy = q
        .get("propagationPolicy")
        .cloned()
        .or_else(|| text("/propagationPolicy"));
    let orphan_dependents = parsed
        .get("orphanDependents")
        .and_then(serde_json::Value::as_bool)
        .or_else(|| q.get("orphanDependents").map(|v| v == "true"));
    let propagation = match (policy.as_deref(), orphan_dependents) {
        (Some("Foreground"), _) => Some(Propagation::Foreground),
        (Some("Background"), _) => Some(Propagation::Background),
        (Some("Orphan"), _) | (None, Some(true)) => Some(Propagation::Orphan),
        (None, _) => None,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "propagationPolicy {other:?} is not supported: use Foreground, Background or Orphan"
            )))
        }
    };
    let body_dry_run = parsed
        .get("dryRun")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    Ok(DeleteOptions {
        propagation,
        precondition_uid: text("/preconditions/uid"),
        precondition_resource_version: text("/preconditions/resourceVersion"),
        dry_run: dry_run(q)? || body_dry_run,
    })
}

/// The patch type from the Content-Type header.
pub fn patch_kind(headers: &HeaderMap) -> ApiResult<PatchKind> {
    let content_type = content_type(headers);
    match content_type.as_str() {
        "application/json-patch+json" => Ok(PatchKind::Json),
        "application/merge-patch+json" => Ok(PatchKind::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
        "application/apply-patch+yaml"
        | "application/apply-patch+json"
        | "application/apply-patch+cbor" => Ok(PatchKind::Apply),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// The media type of the body, without parameters.
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// Decodes a create/update body (JSON, or YAML when the content type says so).
pub fn decode_body(headers: &HeaderMap, body: &[u8]) -> ApiResult<serde_json::Value> {
    match content_type(headers).as_str() {
        "" | "application/json" => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}"))),
        "application/vnd.kubernetes.protobuf" => crate::protobuf::decode(body).map_err(|e| {
            ApiError::bad_request(format!(
                "the protobuf request body could not be decoded: {e}"
            ))
        }),
        "application/yaml" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
            crate::yaml::parse(text).map_err(|e| {
                ApiError::bad_request(format!("the request body is not valid YAML: {e}"))
            })
        }
        other => Err(ApiError::unsupported_media_type(other)),
    }
}
