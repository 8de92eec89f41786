//! The HTTP face of a controller: the REST API over Applications (`/api/v1`, bearer tokens),
//! their events as server-sent events, the Git hosts' webhook receiver, and the unauthenticated
//! `/healthz`, `/readyz` and `/metrics`. Every answer that is not a success is JSON
//! `{"error": "<one line>"}`, and no answer or log holds a token or secret.
//!
//! The controller glue builds a [`ServerState`] from its `Hub`, the API tokens and the optional
//! webhook secret, [`bind`]s an address (port 0 picks one, and the bound address is returned to
//! print) and runs [`serve`] until its shutdown future resolves.

pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod events;
pub mod health;
pub mod webhook;

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::{Extension, Router};
use tokio::net::TcpListener;

pub use config::{ApiTokens, ConfigError, Role, WebhookSecret};
pub use error::ApiError;

use crate::controller::Hub;

/// What every route shares: the controller's hub, the API tokens and the webhook secret (none:
/// webhooks are refused with 403). Cheap to clone.
#[derive(Clone)]
pub struct ServerState {
    /// The controller's hub: Applications' cluster, destinations, metrics, events, queue.
    pub hub: Hub,
    /// Who may call `/api/v1`.
    pub tokens: ApiTokens,
    /// The secret webhooks must prove.
    pub webhook: Option<WebhookSecret>,
}

/// Why the server could not listen or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound.
    #[error("listening on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving HTTP: {0}")]
    Serve(#[source] std::io::Error),
}

/// Every route, with `state`:
///
/// - `GET /healthz`, `GET /readyz`, `GET /metrics`: no authentication (kubelet and Prometheus
///   convention).
/// - `POST /api/v1/webhook`: no token, but a signature of the webhook secret; body at most 5 MiB.
/// - `GET /api/v1/applications[?namespace=]`, `GET .../{namespace}/{name}`, `GET .../diff`,
///   `POST .../sync|rollback|refresh`, `GET /api/v1/events[?app=]`: a bearer token; POST needs
///   the admin role.
/// - anything else: 404 JSON (405 JSON for a known path with another method).
pub fn router(state: ServerState) -> Router {
    let app = "/applications/{namespace}/{name}";
    let authenticated = Router::new()
        .route("/applications", get(api::list))
        .route(app, get(api::get))
        .route(&format!("{app}/diff"), get(api::diff))
        .route(&format!("{app}/sync"), post(api::sync))
        .route(&format!("{app}/rollback"), post(api::rollback))
        .route(&format!("{app}/refresh"), post(api::refresh))
        .route("/events", get(events::stream))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/api/v1/webhook",
            post(webhook::receive).layer(DefaultBodyLimit::max(webhook::BODY_LIMIT)),
        )
        .nest("/api/v1", authenticated)
        .fallback(error::no_route)
        .method_not_allowed_fallback(error::wrong_method)
        .with_state(state)
}

/// A listener on `addr` and the address it got (the port chosen when `addr` asks for port 0).
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), ServerError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| ServerError::Bind { addr, source })?;
    Ok((listener, bound))
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then stops accepting, ends the
/// open event streams and waits for the requests in flight to finish.
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let (closing, closed) = tokio::sync::watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = closing.send(true);
    };
    let app = router(state).layer(Extension(events::Closing(closed)));
    axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await
        .map_err(ServerError::Serve)
}
