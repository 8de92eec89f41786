//! The cluster layer: discovery cached per kind; a [`ResourceManager`] that reads, applies
//! (server-side, field manager `driftless`), deletes and watches objects of any kind, and whose
//! batch verbs (diff, apply, prune, wait) report per object in the ChangeSet vocabulary; the
//! live view of an Application's objects and the watch-fed cache behind it.

mod apply;
mod cache;
mod desired;
mod destinations;
mod diff;
mod discovery;
mod error;
mod keys;
mod live;
mod manager;
mod prune;
mod state;
mod wait;

pub use cache::LiveCache;
pub use desired::{hash_of, Desired};
pub use destinations::{
    Destination, DestinationError, Destinations, CLUSTER_SECRET_TYPE, IN_CLUSTER,
    IN_CLUSTER_SERVER, SECRET_TYPE_LABEL,
};
pub use diff::{api_message, Verdict};
pub use discovery::{Discovery, Resolved};
pub use error::ClusterError;
pub use keys::{key, Key, KindKey};
pub use live::Live;
pub use manager::{ApiStats, Deleted, ResourceManager};
pub use prune::PruneScope;
pub use state::{live_digest, AppliedState, Recorded};
pub use wait::deadline_after;
