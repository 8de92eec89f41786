//! The controller: keeps every Application of a cluster in sync on its own. Triggers
//! (interval, Application changes, drift, webhooks, refresh and operation requests) go into
//! one queue that runs at most one reconcile per Application and a bounded number at once; a
//! reconcile returns what to do next and an error policy decides retries and back-off.

mod drift;
pub mod events;
pub mod finalizer;
pub mod hub;
pub mod leader;
mod memory;
pub mod metrics;
mod policy;
pub mod preview;
mod queue;
mod reconcile;
pub mod requests;
mod run;

pub use events::AppEvent;
pub use hub::{Hub, Trigger, Triggered};
pub use metrics::Metrics;
pub use run::{run, ControllerConfig};
