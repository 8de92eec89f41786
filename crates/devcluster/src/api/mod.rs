//! The HTTP API: routing of Kubernetes REST paths onto the cluster, bearer-token authentication, JSON answers.

mod discovery;
mod params;
mod resources;
mod watch;

pub use discovery::KUBERNETES_VERSION;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::registry::ResourceType;

/// What the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct ApiState {
    cluster: Arc<Cluster>,
    token: Option<Arc<str>>,
    openapi: Arc<std::sync::Mutex<discovery::OpenApiCache>>,
}

impl ApiState {
    /// State for serving `cluster`; with a token, every request but health and version checks must carry
    /// `Authorization: Bearer <token>`.
    pub fn new(cluster: Arc<Cluster>, token: Option<&str>) -> Self {
        ApiState {
            cluster,
            token: token.map(Arc::from),
            openapi: Arc::default(),
        }
    }
}

/// The largest request body accepted (kube-apiserver's limit).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// The router serving the Kubernetes API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(
            "/version",
            get(|| async { json_response(StatusCode::OK, &discovery::version()) }),
        )
        .route("/healthz", get(ok_text))
        .route("/livez", get(ok_text))
        .route("/readyz", get(ok_text))
        .route(
            "/api",
            get(|| async { json_response(StatusCode::OK, &discovery::core_versions()) }),
        )
        .route("/apis", get(groups))
        .route("/openapi/v2", get(openapi_v2))
        .route("/openapi/v3", get(openapi_v3_index))
        .route("/openapi/v3/{*path}", get(openapi_v3_document))
        .route("/api/{*rest}", axum::routing::any(resources::core))
        .route("/apis/{*rest}", axum::routing::any(resources::named))
        .fallback(
            |req: Request| async move { ApiError::no_route(req.uri().path()).into_response() },
        )
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

async fn ok_text() -> &'static str {
    "ok"
}

async fn groups(State(s): State<ApiState>) -> Response {
    json_response(StatusCode::OK, &s.cluster.read(discovery::group_list))
}

async fn openapi_v2(State(s): State<ApiState>) -> Response {
    openapi_response(&s, "/openapi/v2", |cache, state| cache.v2(state))
}

async fn openapi_v3_index(State(s): State<ApiState>) -> Response {
    openapi_response(&s, "/openapi/v3", |cache, state| cache.v3_index(state))
}

fn openapi_response(
    s: &ApiState,
    path: &str,
    get: impl FnOnce(&mut discovery::OpenApiCache, &crate::cluster::State) -> Option<bytes::Bytes>,
) -> Response {
    let document = s
        .cluster
        .read(|state| get(&mut crate::events::lock(&s.openapi), state));
    match document {
        Some(bytes) => bytes_response(StatusCode::OK, bytes.to_vec()),
        None => ApiError::no_route(path).into_response(),
    }
}

async fn openapi_v3_document(
    State(s): State<ApiState>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Response {
    openapi_response(&s, &format!("/openapi/v3/{path}"), |cache, state| {
        cache.v3_document(state, &path)
    })
}

/// Refuses requests without the configured bearer token (health and version stay open, as for anonymous
/// users of kube-apiserver).
async fn authenticate(State(s): State<ApiState>, req: Request, next: Next) -> Response {
    let Some(token) = &s.token else {
        return next.run(req).await;
    };
    let open = matches!(
        req.uri().path(),
        "/healthz" | "/livez" | "/readyz" | "/version"
    );
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if open || presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
        next.run(req).await
    } else {
        ApiError::unauthorized().into_response()
    }
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON response with `Content-Type: application/json`.
pub(crate) fn json_response(code: StatusCode, value: &Value) -> Response {
    bytes_response(code, serde_json::to_vec(value).unwrap_or_default())
}

/// A response whose body is already-encoded JSON.
pub(crate) fn bytes_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = code;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The object as served at `rt`'s version (conversion strategy None: only apiVersion changes).
pub(crate) fn served(object: &Arc<Value>, rt: &ResourceType) -> Value {
    let mut out = object.as_ref().clone();
    let api_version = rt.api_version();
    if out.get("apiVersion").and_then(Value::as_str) != Some(api_version.as_str()) {
        out["apiVersion"] = Value::String(api_version);
    }
    out
}
