//! Liveness, readiness and metrics: `GET /healthz`, `GET /readyz` and `GET /metrics`. These
//! three are not authenticated, by the kubelet's and Prometheus's convention: they reveal no
//! Application content beyond names in metric labels, and their callers carry no token.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use driftless_core::application::Application;
use kube::api::{Api, ListParams};
use serde_json::json;

use super::error::kube_message;
use super::ServerState;

/// The content type of the OpenMetrics text format that `Metrics::encode` writes.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `GET /healthz`: 200 `ok` whenever the process serves HTTP.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: 200 `ok` when the cluster that holds the Applications answers a list of
/// Applications, 503 `{"error": ...}` otherwise.
pub async fn readyz(State(state): State<ServerState>) -> Response {
    let applications = Api::<Application>::all(state.hub.client().clone());
    match applications.list(&ListParams::default().limit(1)).await {
        Ok(_) => "ok".into_response(),
        Err(error) => {
            tracing::warn!(error = %kube_message(&error), "not ready: the Applications' cluster does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": format!("the Applications' cluster does not answer: {}", kube_message(&error))})),
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: every controller metric in the OpenMetrics text format.
pub async fn metrics(State(state): State<ServerState>) -> Response {
    (
        [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
        state.hub.metrics().encode(),
    )
        .into_response()
}
