//! Resource requests: `/api/v1/...` and `/apis/{group}/{version}/...` parsed into a target (collection,
//! object, subresource) and dispatched to the cluster by method.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::params::{self, decode_body, delete_options, list_options, patch_kind, write_options};
use super::{bytes_response, discovery, json_response, served, watch, ApiState, MAX_BODY_BYTES};
use crate::cluster::{apply_patch, Deleted, PatchKind, Subresource, Written};
use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use crate::table::{self, IncludeObject, TableOptions};

/// What a path addresses.
#[derive(Debug)]
enum Target {
    /// `/api/v1` or `/apis/g/v`: discovery.
    Discovery,
    /// `/apis/g`: one group.
    Group(String),
    /// A collection, in one namespace or across all.
    Collection {
        rt: Arc<ResourceType>,
        namespace: Option<String>,
    },
    /// One object, optionally a subresource of it.
    Object {
        rt: Arc<ResourceType>,
        namespace: String,
        name: String,
        sub: Option<String>,
    },
}

/// `/api/{*rest}`: the core group.
pub async fn core(
    state: State<ApiState>,
    Path(rest): Path<String>,
    q: Query<params::Query>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    serve(&state, "", segments(&rest), &q, method, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `/apis/{*rest}`: named groups; the first segment is the group.
pub async fn named(
    state: State<ApiState>,
    Path(rest): Path<String>,
    q: Query<params::Query>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut segments = segments(&rest);
    if segments.is_empty() {
        return ApiError::no_route("/apis/").into_response();
    }
    let group = segments.remove(0);
    serve(&state, &group, segments, &q, method, &headers, body)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The non-empty segments of a path.
fn segments(rest: &str) -> Vec<String> {
    rest.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn serve(
    state: &ApiState,
    group: &str,
    segments: Vec<String>,
    q: &params::Query,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let target = resolve(state, group, &segments)?;
    let cluster = &state.cluster;
    match (target, method) {
        (Target::Discovery, Method::GET) => {
            let version = segments.first().cloned().unwrap_or_default();
            let list = cluster.read(|s| discovery::resource_list(s, group, &version));
            list.map(|l| json_response(StatusCode::OK, &l))
                .ok_or_else(|| ApiError::no_route(&format!("{group}/{version}")))
        }
        (Target::Group(g), Method::GET) => cluster
            .read(|s| discovery::group(s, &g))
            .map(|v| json_response(StatusCode::OK, &v))
            .ok_or_else(|| ApiError::no_route(&g)),
        (Target::Collection { rt, namespace }, Method::GET) => {
            if params::flag(q, "watch") {
                let table = table_options(q, headers)?;
                return watch::serve(state.cluster.clone(), rt, namespace, q, table).await;
            }
            let page = cluster.list(&rt, namespace.as_deref(), &list_options(q)?)?;
            let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
            if let Some(c) = &page.continue_token {
                metadata["continue"] = json!(c);
            }
            if let Some(r) = page.remaining {
                metadata["remainingItemCount"] = json!(r);
            }
            if let Some(options) = table_options(q, headers)? {
                let table = table::list(&rt, &page.items, metadata, &options);
                return Ok(json_response(StatusCode::OK, &table));
            }
            Ok(list_response(&rt, &metadata, &page.items))
        }
        (Target::Collection { rt, namespace }, Method::POST) => {
            let ns = namespace.unwrap_or_default();
            if rt.namespaced && ns.is_empty() {
                return Err(ApiError::method_not_allowed(
                    "create of a namespaced resource needs a namespace in the path",
                ));
            }
            let bytes = read_body(body).await?;
            let object = decode_body(headers, &bytes)?;
            let written = cluster
                .create(&rt, &ns, object, &write_options(q, headers)?)
                .await?;
            Ok(written_response(&written, &rt, StatusCode::CREATED))
        }
        (Target::Collection { rt, namespace }, Method::DELETE) => {
            let bytes = read_body(body).await?;
            let opts = delete_options(q, headers, &bytes)?;
            let gone = cluster
                .delete_collection(&rt, namespace.as_deref(), &list_options(q)?, &opts)
                .await?;
            let items: Vec<Value> = gone.iter().map(|o| served(o, &rt)).collect();
            Ok(json_response(
                StatusCode::OK,
                &json!({"kind": rt.list_kind(), "apiVersion": rt.api_version(), "metadata": {}, "items": items}),
            ))
        }
        (
            Target::Object {
                rt,
                namespace,
                name,
                sub,
            },
            method,
        ) => object_request(state, rt, namespace, name, sub, q, method, headers, body).await,
        (_, method) => Err(ApiError::method_not_allowed(format!(
            "{method} is not supported on this path"
        ))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn object_request(
    state: &ApiState,
    rt: Arc<ResourceType>,
    namespace: String,
    name: String,
    sub: Option<String>,
    q: &params::Query,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let cluster = &state.cluster;
    if sub.as_deref() == Some("scale") && rt.scale.is_some() {
        return scale_request(state, &rt, &namespace, &name, q, method, headers, body).await;
    }
    let sub = match sub.as_deref() {
        None => Subresource::Main,
        Some("status") if rt.status => Subresource::Status,
        Some(other) => return Err(ApiError::no_route(&format!("{}/{name}/{other}", rt.plural))),
    };
    match method {
        Method::GET => {
            let object = cluster.get(&rt, &namespace, &name)?;
            let body = match table_options(q, headers)? {
                Some(options) => table::object(&rt, &object, &options),
                None => served(&object, &rt),
            };
            Ok(json_response(StatusCode::OK, &body))
        }
        Method::PUT => {
            let bytes = read_body(body).await?;
            let object = decode_body(headers, &bytes)?;
            let written = cluster
                .replace(
                    &rt,
                    &namespace,
                    &name,
                    object,
                    sub,
                    &write_options(q, headers)?,
                )
                .await?;
            Ok(written_response(&written, &rt, StatusCode::OK))
        }
        Method::PATCH => {
            let kind = patch_kind(headers)?;
            let bytes = read_body(body).await?;
            let written = cluster
                .patch(
                    &rt,
                    &namespace,
                    &name,
                    (kind, &bytes),
                    sub,
                    &write_options(q, headers)?,
                )
                .await?;
            Ok(written_response(&written, &rt, StatusCode::OK))
        }
        Method::DELETE if sub == Subresource::Main => {
            let bytes = read_body(body).await?;
            match cluster
                .delete(&rt, &namespace, &name, &delete_options(q, headers, &bytes)?)
                .await?
            {
                Deleted::Pending(object) => {
                    Ok(json_response(StatusCode::OK, &served(&object, &rt)))
                }
                Deleted::Gone(object) => {
                    Ok(json_response(StatusCode::OK, &deleted_status(&rt, &object)))
                }
            }
        }
        other => Err(ApiError::method_not_allowed(format!(
            "{other} is not supported on this path"
        ))),
    }
}

/// `/scale`: GET the Scale, PUT a Scale, or PATCH it (JSON, merge or strategic — a Scale has no lists, so
/// strategic merge is a merge patch).
#[allow(clippy::too_many_arguments)]
async fn scale_request(
    state: &ApiState,
    rt: &ResourceType,
    namespace: &str,
    name: &str,
    q: &params::Query,
    method: Method,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let cluster = &state.cluster;
    let scale = match method {
        Method::GET => cluster.get_scale(rt, namespace, name)?,
        Method::PUT => {
            let replacement = decode_body(headers, &read_body(body).await?)?;
            let change = |scale: &mut Value| {
                scale["spec"] = replacement.get("spec").cloned().unwrap_or(Value::Null);
                if let Some(rv) = replacement.pointer("/metadata/resourceVersion") {
                    scale["metadata"]["resourceVersion"] = rv.clone();
                }
                Ok(())
            };
            cluster
                .update_scale(rt, namespace, name, change, &write_options(q, headers)?)
                .await?
        }
        Method::PATCH => {
            let kind = match patch_kind(headers)? {
                PatchKind::Json => PatchKind::Json,
                PatchKind::Merge | PatchKind::Strategic => PatchKind::Merge,
                PatchKind::Apply => {
                    return Err(ApiError::unsupported_media_type(
                        "application/apply-patch+yaml on /scale",
                    ))
                }
            };
            let patch: Value = serde_json::from_slice(&read_body(body).await?)
                .map_err(|e| ApiError::bad_request(format!("the patch is not valid JSON: {e}")))?;
            let change = |scale: &mut Value| apply_patch(kind, scale, &patch);
            cluster
                .update_scale(rt, namespace, name, change, &write_options(q, headers)?)
                .await?
        }
        other => {
            return Err(ApiError::method_not_allowed(format!(
                "{other} is not supported on /scale"
            )))
        }
    };
    Ok(json_response(StatusCode::OK, &scale))
}

/// Maps path segments (after the group) onto a target.
fn resolve(state: &ApiState, group: &str, segments: &[String]) -> ApiResult<Target> {
    let Some(version) = segments.first() else {
        return Ok(Target::Group(group.to_string()));
    };
    let rest: Vec<&str> = segments[1..].iter().map(String::as_str).collect();
    let lookup = |plural: &str| {
        state
            .cluster
            .read(|s| s.registry.by_plural(group, version, plural))
            .ok_or_else(|| ApiError::no_route(&format!("{group}/{version}/{plural}")))
    };
    let namespaced_path =
        rest.len() >= 3 && rest[0] == "namespaces" && !matches!(rest[2], "status" | "finalize");
    if namespaced_path {
        let rt = lookup(rest[2])?;
        if !rt.namespaced {
            return Err(ApiError::no_route(rest[2]));
        }
        let namespace = rest[1].to_string();
        return Ok(match &rest[3..] {
            [] => Target::Collection {
                rt,
                namespace: Some(namespace),
            },
            [name] => Target::Object {
                rt,
                namespace,
                name: name.to_string(),
                sub: None,
            },
            [name, sub] => Target::Object {
                rt,
                namespace,
                name: name.to_string(),
                sub: Some(sub.to_string()),
            },
            _ => return Err(ApiError::no_route(&segments.join("/"))),
        });
    }
    match rest.as_slice() {
        [] => Ok(Target::Discovery),
        [plural] => Ok(Target::Collection {
            rt: lookup(plural)?,
            namespace: None,
        }),
        [plural, name] | [plural, name, _] => {
            let rt = lookup(plural)?;
            if rt.namespaced {
                return Err(ApiError::no_route(&segments.join("/")));
            }
            Ok(Target::Object {
                rt,
                namespace: String::new(),
                name: name.to_string(),
                sub: rest.get(2).map(|s| s.to_string()),
            })
        }
        _ => Err(ApiError::no_route(&segments.join("/"))),
    }
}

/// How to print a Table, when the Accept header asks for one (`as=Table;g=meta.k8s.io`).
fn table_options(q: &params::Query, headers: &HeaderMap) -> ApiResult<Option<TableOptions>> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(version) = table::requested(accept) else {
        return Ok(None);
    };
    let include = IncludeObject::parse(q.get("includeObject").map(String::as_str))
        .map_err(ApiError::bad_request)?;
    Ok(Some(TableOptions {
        version,
        include,
        now: jiff::Timestamp::now(),
    }))
}

async fn read_body(body: Body) -> ApiResult<bytes::Bytes> {
    to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))
}

/// A list object, serialized item by item without copying the stored objects.
fn list_response(rt: &ResourceType, metadata: &Value, items: &[Arc<Value>]) -> Response {
    let api_version = rt.api_version();
    let mut body = Vec::with_capacity(256 + items.len() * 512);
    let head = json!({"kind": rt.list_kind(), "apiVersion": api_version, "metadata": metadata});
    let head = head.to_string();
    body.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
    body.extend_from_slice(b",\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        let written =
            if item.get("apiVersion").and_then(Value::as_str) == Some(api_version.as_str()) {
                serde_json::to_writer(&mut body, item.as_ref())
            } else {
                serde_json::to_writer(&mut body, &served(item, rt))
            };
        if let Err(e) = written {
            return ApiError::internal(format!("encoding the list: {e}")).into_response();
        }
    }
    body.extend_from_slice(b"]}");
    bytes_response(StatusCode::OK, body)
}

fn written_response(written: &Written, rt: &ResourceType, created_code: StatusCode) -> Response {
    let code = if written.created {
        created_code
    } else {
        StatusCode::OK
    };
    let mut response = json_response(code, &served(&written.object, rt));
    for warning in &written.warnings {
        let text = format!("299 - \"{}\"", warning.replace('"', "\\\""));
        if let Ok(v) = HeaderValue::from_str(&text) {
            response.headers_mut().append("warning", v);
        }
    }
    response
}

fn deleted_status(rt: &ResourceType, object: &Value) -> Value {
    let meta = |f: &str| {
        object
            .pointer(&format!("/metadata/{f}"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut details = json!({"name": meta("name"), "kind": rt.plural, "uid": meta("uid")});
    if !rt.group.is_empty() {
        details["group"] = json!(rt.group);
    }
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}
