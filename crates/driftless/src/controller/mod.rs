//! The controller: keeps every Application of a cluster in sync on its own. Triggers
//! (interval, Application changes, drift, webhooks, refresh and operation requests) go into
//! one queue that runs at most one reconcile per Application and a bounded number at once; a
//! reconcile returns what to do next and an error policy decides retries and back-off.

pub mod events;
pub mod hub;
pub mod leader;
pub mod metrics;
pub mod preview;
pub mod requests;

pub use events::AppEvent;
pub use hub::{Hub, Trigger, Triggered};
pub use metrics::Metrics;
