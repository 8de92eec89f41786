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

/// What the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The cluster.
    pub cluster: Arc<Cluster>,
    /// When set, every request but health and version checks must carry `Authorization: Bearer <token>`.
    pub token: Option<Arc<str>>,
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
    json_response(StatusCode::OK, &s.cluster.read(discovery::openapi_v2))
}

async fn openapi_v3_index(State(s): State<ApiState>) -> Response {
    json_response(StatusCode::OK, &s.cluster.read(discovery::openapi_v3_index))
}

async fn openapi_v3_document(
    State(s): State<ApiState>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Response {
    match s
        .cluster
        .read(|st| discovery::openapi_v3_document(st, &path))
    {
        Some(doc) => json_response(StatusCode::OK, &doc),
        None => ApiError::no_route(&format!("/openapi/v3/{path}")).into_response(),
    }
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
