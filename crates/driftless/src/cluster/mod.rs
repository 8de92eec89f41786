//! The cluster layer: discovery cached per kind, and a [`ResourceManager`] that reads, applies
//! (server-side, field manager `driftless`), deletes and watches objects of any kind.

mod discovery;
mod error;
mod manager;

pub use discovery::{Discovery, Resolved};
pub use error::ClusterError;
pub use manager::{ApiStats, Deleted, ResourceManager};
