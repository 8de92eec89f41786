//! What a sync of an Application would change, computed the way the controller would sync it
//! (same destination engine, same applied state) but writing nothing: `app diff` and the
//! API's diff both use this.

use driftless_core::application::Application;

use crate::cluster::{AppliedState, DestinationError, Destinations};
use crate::sync::{SyncOutcome, SyncRequest};

/// Compares `app` at `revision` (its target revision when `None`) with its destination.
pub async fn preview(
    destinations: &Destinations,
    app: &Application,
    revision: Option<String>,
) -> Result<SyncOutcome, DestinationError> {
    let engine = destinations.engine_for(app).await?;
    let mut state = app
        .status
        .as_ref()
        .map(|s| AppliedState::from_resources(&s.resources))
        .unwrap_or_default();
    let request = SyncRequest {
        revision,
        dry_run: true,
        ..SyncRequest::default()
    };
    Ok(engine.sync(app, &mut state, &request).await)
}
