//! The Application routes of `/api/v1`: list, get, diff, and the sync, rollback and refresh
//! requests. Reads go to the cluster that holds the Applications; requests are written on the
//! Application (see `controller::requests`) or handed to the hub, so any replica can serve them.
//! Every route here sits behind the bearer-token middleware.

mod extract;
mod params;
mod summary;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use driftless_core::application::Application;
use kube::api::{Api, ListParams};
use serde::Deserialize;
use serde_json::{json, Value};

pub use extract::{AppPath, QueryOf};
pub use params::{RollbackBody, SyncBody};
pub use summary::AppSummary;

use super::auth::Caller;
use super::error::{body_error, ApiError};
use super::ServerState;
use crate::controller::hub::Trigger;
use crate::controller::preview::preview;
use crate::controller::requests;

/// The request body limit of these routes (axum's default), as error messages name it.
const BODY_LIMIT_TEXT: &str = "2 MiB";

/// Query of `GET /api/v1/applications`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Only this namespace; every namespace when absent.
    pub namespace: Option<String>,
}

/// Query of `GET .../diff`.
#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    /// Compare this revision instead of the target revision.
    pub revision: Option<String>,
}

/// `GET /api/v1/applications[?namespace=NS]`: the summaries, sorted by namespace and name.
pub async fn list(
    State(state): State<ServerState>,
    QueryOf(query): QueryOf<ListQuery>,
) -> Result<Json<Vec<AppSummary>>, ApiError> {
    let client = state.hub.client().clone();
    let api = match query.namespace.as_deref() {
        Some(namespace) => {
            params::check_name("namespace", namespace)?;
            Api::<Application>::namespaced(client, namespace)
        }
        None => Api::<Application>::all(client),
    };
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|e| ApiError::kube("listing applications", &e))?;
    let mut summaries: Vec<AppSummary> = list.items.iter().map(AppSummary::of).collect();
    summaries.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(Json(summaries))
}

/// `GET /api/v1/applications/{namespace}/{name}`: the Application as stored, managedFields
/// left out.
pub async fn get(
    State(state): State<ServerState>,
    AppPath { namespace, name }: AppPath,
) -> Result<Json<Application>, ApiError> {
    let mut app = fetch(&state, &namespace, &name).await?;
    app.metadata.managed_fields = None;
    Ok(Json(app))
}

/// `GET .../diff[?revision=REV]`: what a sync would change now, computed as the controller
/// would sync it but writing nothing: the outcome's JSON plus `diffs: [{object, diff}]`
/// (Secret values masked).
pub async fn diff(
    State(state): State<ServerState>,
    AppPath { namespace, name }: AppPath,
    QueryOf(query): QueryOf<DiffQuery>,
) -> Result<Json<Value>, ApiError> {
    let app = fetch(&state, &namespace, &name).await?;
    let revision = query.revision.filter(|r| !r.is_empty());
    let outcome = preview(state.hub.destinations(), &app, revision)
        .await
        .map_err(|e| ApiError::Unprocessable(format!("{}: {e}", app.key())))?;
    let mut body = outcome.to_json();
    body["diffs"] = outcome
        .diffs
        .iter()
        .map(|d| json!({"object": d.object, "diff": d.text}))
        .collect();
    Ok(Json(body))
}

/// `POST .../sync` (optional body `{revision, prune}`): writes a sync request on the
/// Application; 202.
pub async fn sync(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    AppPath { namespace, name }: AppPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = params::sync_body(&body.map_err(|e| body_error(&e, BODY_LIMIT_TEXT))?)?;
    requests::request_sync(
        state.hub.client(),
        &namespace,
        &name,
        &body.revision,
        body.prune,
        caller.username(),
    )
    .await?;
    Ok(accepted(&namespace, &name, "sync"))
}

/// `POST .../rollback` (body `{id, force}`): writes a rollback request; 409 when refused up
/// front (no such history entry, or automated sync without `force`); 202 otherwise.
pub async fn rollback(
    State(state): State<ServerState>,
    Extension(caller): Extension<Caller>,
    AppPath { namespace, name }: AppPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = params::rollback_body(&body.map_err(|e| body_error(&e, BODY_LIMIT_TEXT))?)?;
    requests::request_rollback(
        state.hub.client(),
        &namespace,
        &name,
        body.id,
        body.force,
        caller.username(),
    )
    .await?;
    Ok(accepted(&namespace, &name, "rollback"))
}

/// `POST .../refresh`: a fresh look at Git and the cluster now (in this process's queue when
/// it leads, through the refresh annotation otherwise); 404 for a missing Application; 202.
pub async fn refresh(
    State(state): State<ServerState>,
    AppPath { namespace, name }: AppPath,
) -> Result<Response, ApiError> {
    fetch(&state, &namespace, &name).await?;
    state
        .hub
        .refresh(&namespace, &name, Trigger::Refresh)
        .await?;
    Ok(accepted(&namespace, &name, "refresh"))
}

/// The Application `namespace/name`, 404 when missing.
async fn fetch(state: &ServerState, namespace: &str, name: &str) -> Result<Application, ApiError> {
    Ok(requests::get(state.hub.client(), namespace, name).await?)
}

/// 202 with `{"message": "<what> of ns/name requested", "app": "ns/name"}`, logged.
fn accepted(namespace: &str, name: &str, what: &str) -> Response {
    let app = format!("{namespace}/{name}");
    tracing::info!(app = %app, request = what, "requested through the API");
    (
        StatusCode::ACCEPTED,
        Json(json!({"message": format!("{what} of {app} requested"), "app": app})),
    )
        .into_response()
}
