//! `GET /api/v1/events[?app=NS/NAME]`: the hub's Application events as server-sent events,
//! one `event: <reason>` with `data: <AppEvent JSON>` each, and a keep-alive comment every
//! 15 seconds. A client too slow to keep up gets one `event: lagged` with
//! `data: {"missed": N}` in place of the N events it lost, and the stream goes on.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Extension;
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::api::QueryOf;
use super::error::ApiError;
use super::ServerState;
use crate::controller::AppEvent;

/// Set by [`super::serve`] on every request: turns true when the server shuts down, so that
/// open event streams end and graceful shutdown does not wait on them forever.
#[derive(Debug, Clone)]
pub struct Closing(pub tokio::sync::watch::Receiver<bool>);

impl Closing {
    /// Resolves once the server shuts down (or whoever signals it is gone).
    async fn closed(mut self) {
        let _ = self.0.wait_for(|closing| *closing).await;
    }
}

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Query of `GET /api/v1/events`.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Only the events of this Application (`namespace/name`).
    pub app: Option<String>,
}

/// The SSE stream of every event published from now on (of `app` only, when given), until
/// the client leaves or the server shuts down.
pub async fn stream(
    State(state): State<ServerState>,
    closing: Option<Extension<Closing>>,
    QueryOf(query): QueryOf<EventsQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let filter = query.app.filter(|app| !app.is_empty());
    if let Some(app) = &filter {
        check_app_key(app)?;
    }
    let events = BroadcastStream::new(state.hub.subscribe()).filter_map(move |item| {
        let event = to_sse(item, filter.as_deref());
        async move { event.map(Ok) }
    });
    let closed: futures::future::BoxFuture<'static, ()> = match closing {
        Some(Extension(closing)) => Box::pin(closing.closed()),
        None => Box::pin(futures::future::pending()),
    };
    let events = events.take_until(closed);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

/// The SSE event for one item of the broadcast, `None` when it is filtered out.
fn to_sse(item: Result<AppEvent, BroadcastStreamRecvError>, app: Option<&str>) -> Option<Event> {
    match item {
        Ok(event) if app.is_some_and(|app| app != event.app) => None,
        Ok(event) => Some(app_event(&event)),
        Err(BroadcastStreamRecvError::Lagged(missed)) => Some(
            Event::default()
                .event("lagged")
                .data(json!({"missed": missed}).to_string()),
        ),
    }
}

/// `event: <reason>` (line breaks removed, which SSE forbids there), `data: <JSON>`.
fn app_event(event: &AppEvent) -> Event {
    let reason: String = event
        .reason
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .collect();
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Event::default().event(reason).data(data)
}

/// 400 unless `app` looks like `namespace/name`.
fn check_app_key(app: &str) -> Result<(), ApiError> {
    match app.split_once('/') {
        Some((namespace, name))
            if !namespace.is_empty() && !name.is_empty() && !name.contains('/') =>
        {
            Ok(())
        }
        _ => Err(ApiError::BadRequest(
            "the `app` query must be namespace/name".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(app: &str) -> AppEvent {
        AppEvent {
            app: app.to_owned(),
            reason: "Synced".to_owned(),
            type_: "Normal".to_owned(),
            revision: "abc".to_owned(),
            message: "line one\nline two".to_owned(),
            time: "2026-01-01T00:00:00Z".to_owned(),
        }
    }

    #[test]
    fn events_of_other_apps_are_filtered_out() {
        assert!(to_sse(Ok(event("a/b")), Some("a/c")).is_none());
        assert!(to_sse(Ok(event("a/b")), Some("a/b")).is_some());
        assert!(to_sse(Ok(event("a/b")), None).is_some());
        assert!(to_sse(Err(BroadcastStreamRecvError::Lagged(3)), Some("x/y")).is_some());
    }

    #[test]
    fn app_keys_are_namespace_slash_name() {
        assert!(check_app_key("ns/name").is_ok());
        for bad in ["ns", "/name", "ns/", "a/b/c"] {
            assert!(check_app_key(bad).is_err(), "{bad}");
        }
    }
}
