//! `POST /api/v1/webhook`: push notifications from GitHub, GitLab, Gitea/Forgejo and Bitbucket
//! Cloud. A delivery is accepted only with a valid signature (or GitLab token) for the
//! configured secret; a push then refreshes every Application whose `spec.source.repoURL` names
//! the pushed repository (URLs compared after normalisation) and whose target revision the
//! push may have moved (a push to one branch leaves Applications on other branches, tags,
//! ranges and commits alone). Nothing else from the payload is used: a webhook never carries
//! desired state.

pub mod payload;
pub mod provider;
pub mod url;

use std::collections::HashSet;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use driftless_core::application::Application;
use kube::api::{Api, ListParams};
use serde_json::{json, Value};

use self::provider::{Delivery, Provider};
use super::config::WebhookSecret;
use super::error::{body_error, ApiError};
use super::ServerState;
use crate::controller::hub::Trigger;

/// The largest webhook body accepted (5 MiB); larger ones get 413.
pub const BODY_LIMIT: usize = 5 << 20;

/// Receives one delivery: 403 when no secret is configured, 401 for a missing or bad
/// signature, 400 for an unknown sender or a payload without a repository URL, 200
/// `{"refreshed": []}` for anything but a push, and 200 `{"refreshed": ["ns/name", ...]}` (plus
/// `"failed"` when some refresh could not be asked for) after a push.
pub async fn receive(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let secret = state.webhook.as_ref().ok_or_else(|| {
        ApiError::Forbidden("no webhook secret is configured, so webhooks are refused".to_owned())
    })?;
    let body = body.map_err(|e| body_error(&e, &format!("{} MiB", BODY_LIMIT >> 20)))?;
    let delivery = authenticate(&headers, &body, secret)?;
    if !delivery.is_push() {
        tracing::debug!(
            provider = delivery.provider.as_str(),
            "webhook: not a push, ignored"
        );
        return Ok(Json(json!({"refreshed": []})));
    }
    let (repositories, pushed) = pushed_repositories(delivery.provider, &body)?;
    let (refreshed, failed) = refresh_matching(&state, &repositories, &pushed).await?;
    tracing::info!(
        provider = delivery.provider.as_str(),
        refreshed = refreshed.len(),
        failed = failed.len(),
        "webhook: push received"
    );
    let mut answer = json!({"refreshed": refreshed});
    if !failed.is_empty() {
        answer["failed"] = json!(failed);
    }
    Ok(Json(answer))
}

/// The delivery's provider and event, once its signature checks out.
fn authenticate(
    headers: &HeaderMap,
    body: &[u8],
    secret: &WebhookSecret,
) -> Result<Delivery, ApiError> {
    let delivery = Delivery::detect(headers).ok_or_else(|| {
        ApiError::BadRequest(
            "not a known webhook: no X-GitHub-Event, X-Gitlab-Event, X-Gitea-Event or X-Event-Key header"
                .to_owned(),
        )
    })?;
    provider::verify(delivery.provider, headers, body, secret).map_err(|e| {
        tracing::warn!(provider = delivery.provider.as_str(), error = %e, "webhook refused");
        ApiError::BadSignature(match e {
            provider::SignatureError::Missing(_) => "missing webhook signature",
            provider::SignatureError::Malformed(_) => "malformed webhook signature",
            provider::SignatureError::Mismatch(_) => {
                "the webhook signature does not match the secret"
            }
        })
    })?;
    Ok(delivery)
}

/// The normalised URLs of the pushed repository and what was pushed; 400 when the payload
/// names no repository.
fn pushed_repositories(
    provider: Provider,
    body: &[u8],
) -> Result<(HashSet<String>, payload::Pushed), ApiError> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::BadRequest("the webhook payload is not JSON".to_owned()))?;
    let urls: HashSet<String> = payload::repository_urls(provider, &payload)
        .iter()
        .filter_map(|u| url::normalise(u))
        .collect();
    if urls.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "the {} push names no repository URL",
            provider.as_str()
        )));
    }
    Ok((urls, payload::pushed(provider, &payload)))
}

/// Refreshes every Application of a pushed repository whose target revision the push may
/// have moved; the keys refreshed and those whose refresh could not be asked for, both sorted.
async fn refresh_matching(
    state: &ServerState,
    repositories: &HashSet<String>,
    pushed: &payload::Pushed,
) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let apps = Api::<Application>::all(state.hub.client().clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| ApiError::kube("listing applications", &e))?;
    let (mut refreshed, mut failed) = (Vec::new(), Vec::new());
    for app in apps.items.iter().filter(|app| {
        url::normalise(&app.spec.source.repo_url).is_some_and(|u| repositories.contains(&u))
            && pushed.may_move(&app.spec.source.target_revision)
    }) {
        match state
            .hub
            .refresh(app.namespace(), app.name(), Trigger::Webhook)
            .await
        {
            Ok(()) => refreshed.push(app.key()),
            Err(error) => {
                tracing::warn!(app = %app.key(), %error, "webhook: refresh not requested");
                failed.push(app.key());
            }
        }
    }
    refreshed.sort();
    failed.sort();
    Ok((refreshed, failed))
}
