//! The sync engine: one sync of one Application. Render the source, compare every object with
//! the cluster (dry-run first, apply nothing if any fails), apply what differs phase by phase and
//! wave by wave, waiting for health between waves, run hooks, prune last, and report a ChangeSet.

mod cascade;
mod desired;
mod execute;
pub mod heal;
mod hooks;
mod rollback;
mod run;
mod source;
pub mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use driftless_core::application::SyncStatusCode;
use driftless_core::health::Health;
use driftless_core::plan::PlanError;
use driftless_core::{ChangeSet, ObjectRef, Origin};
use driftless_render::{RenderError, Renderer};
use driftless_source::{Source, SourceError};

use crate::cluster::{ClusterError, ResourceManager};

pub use crate::cluster::hash_of;
pub use crate::cluster::{AppliedState, LiveCache};
pub use rollback::rollback_request;
pub use source::LOCAL_REVISION;

/// Why a sync could not run or stopped before applying.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The revision could not be resolved or fetched.
    #[error("fetching {repo} at {revision}: {source}")]
    Source {
        /// Repository URL.
        repo: String,
        /// The revision asked for.
        revision: String,
        /// What went wrong.
        #[source]
        source: Box<SourceError>,
    },
    /// The repository's credentials could not be read.
    #[error("repository credentials from Secret {secret}: {message}")]
    Credentials {
        /// `namespace/name` of the Secret.
        secret: String,
        /// What went wrong.
        message: String,
        /// True when reading the Secret failed (the API may answer later); false when it is
        /// missing or malformed, which only a change to it fixes.
        transient: bool,
    },
    /// Rendering failed (a broken manifest, a Kustomize error, ...).
    #[error("rendering failed: {0}")]
    Render(#[source] Box<RenderError>),
    /// A rendered manifest lacks what a Kubernetes object needs.
    #[error("{origin}: {message}")]
    Manifest {
        /// Where it came from.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
    /// A kind is not served by the cluster and no CRD in the app defines it.
    #[error("{origin}: {object}: the cluster does not serve this kind and no CustomResourceDefinition in the app defines it")]
    UnknownKind {
        /// The object.
        object: Box<ObjectRef>,
        /// Where it came from.
        origin: Origin,
    },
    /// An annotation or sync option is malformed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The cluster could not be read.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A rollback was refused or names no history entry.
    #[error("rollback refused: {0}")]
    Rollback(String),
    /// A task of the engine itself failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl SyncError {
    /// True when retrying later may help (network, API availability); false when the
    /// Application or its repository must change first.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Source { source, .. } => source.is_transient(),
            SyncError::Render(error) => error.is_transient(),
            SyncError::Cluster(error) => error.is_transient(),
            SyncError::Credentials { transient, .. } => *transient,
            SyncError::Internal(_) => true,
            _ => false,
        }
    }
}

/// How the engine waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Longest wait for a wave, a CRD or a hook to become healthy.
    pub health_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            health_timeout: Duration::from_secs(300),
        }
    }
}

/// What one sync is asked to do.
#[derive(Debug, Clone, Default)]
pub struct SyncRequest {
    /// Revision to sync instead of `spec.source.targetRevision`.
    pub revision: Option<String>,
    /// Source to use instead of `spec.source` (a rollback restores the source of its history entry).
    pub source: Option<driftless_core::SourceSpec>,
    /// Prune (true) or not (false) regardless of `syncPolicy.automated.prune`.
    pub prune: Option<bool>,
    /// Compare only: report what a sync would change, write nothing.
    pub dry_run: bool,
    /// Run hooks and a full sync even when nothing differs (an explicit sync request).
    pub force: bool,
    /// Wait for every object to be healthy at the end of a sync that applied something.
    pub wait: bool,
    /// Live objects as watches see them; kinds it has listed are read from it, not listed.
    pub live_cache: Option<LiveCache>,
    /// Render this local directory as it is instead of fetching the source (diff previews).
    pub local: Option<PathBuf>,
    /// The target revision may be resolved from a listing of the remote's refs made at most
    /// this long ago (interval polls of many Applications on one repository share one);
    /// zero always lists.
    pub refs_max_age: Duration,
    /// Receives one line per step as a sync applies (`Sync wave 1 (2/3): applying`), so a
    /// watcher can show progress; a closed receiver is ignored.
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

/// The textual diff of one object.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    /// The object.
    pub object: ObjectRef,
    /// Unified diff, live to desired, Secret values masked.
    pub text: String,
}

/// Sync and health of one managed object after a sync.
#[derive(Debug, Clone)]
pub struct ResourceOutcome {
    /// The object.
    pub object: ObjectRef,
    /// Synced or OutOfSync.
    pub sync: SyncStatusCode,
    /// Its health.
    pub health: Health,
}

/// What a sync (or a dry run) found and did.
#[derive(Debug, Clone, Default)]
pub struct SyncOutcome {
    /// The commit synced (empty when it could not be resolved).
    pub revision: String,
    /// The source synced (`spec.source`, or a history entry's for a rollback).
    pub source: driftless_core::SourceSpec,
    /// One entry per object, in the order the steps ran.
    pub changes: ChangeSet,
    /// Diffs of the objects that differed.
    pub diffs: Vec<ObjectDiff>,
    /// Why the sync failed, when it did.
    pub error: Option<String>,
    /// True when the error will not go away without a change to the Application or Git.
    pub terminal: bool,
    /// Every managed object's sync and health.
    pub resources: Vec<ResourceOutcome>,
    /// What pruning may delete next time.
    pub inventory: Vec<ObjectRef>,
    /// The Application's sync status.
    pub sync: SyncStatusCode,
    /// The worst health of the managed objects.
    pub health: Health,
    /// True when objects were applied, pruned or hooks ran (an operation took place).
    pub operated: bool,
    /// True when the request only compared (a diff), so no operation is recorded.
    pub compared_only: bool,
    /// How long resolving and fetching the revision took, when it was fetched.
    pub fetch_duration: Option<Duration>,
}

impl SyncOutcome {
    /// True when the sync (or the dry run) found no failure.
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && !self.changes.has_failures()
    }

    /// The kinds of the managed objects (what drift watches follow).
    pub fn kinds(&self) -> std::collections::BTreeSet<crate::cluster::KindKey> {
        self.resources
            .iter()
            .map(|r| {
                (
                    r.object.group.clone(),
                    r.object.version.clone(),
                    r.object.kind.clone(),
                )
            })
            .collect()
    }

    /// The outcome as data, as `-o json` and the HTTP API show it: revision, result, sync,
    /// health and the ChangeSet.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "revision": self.revision,
            "succeeded": self.succeeded(),
            "error": self.error,
            "sync": self.sync,
            "health": self.health,
            "changes": self.changes.entries,
        })
    }
}

/// Syncs Applications into one cluster. Cheap to share behind an `Arc`.
pub struct Engine {
    manager: Arc<ResourceManager>,
    git: Arc<Source>,
    renderer: Arc<Renderer>,
    settings: Settings,
    control: kube::Client,
}

impl Engine {
    /// An engine over the cluster of `manager`, fetching with `git` and rendering with `renderer`.
    pub fn new(
        manager: Arc<ResourceManager>,
        git: Arc<Source>,
        renderer: Arc<Renderer>,
        settings: Settings,
    ) -> Self {
        Self {
            control: manager.client().clone(),
            manager,
            git,
            renderer,
            settings,
        }
    }

    /// The same engine reading repository credentials (spec.source.secretRef) from `control`,
    /// the cluster that holds the Application, when the objects go to another cluster.
    pub fn with_control_client(mut self, control: kube::Client) -> Self {
        self.control = control;
        self
    }

    /// The cluster layer this engine uses.
    pub fn manager(&self) -> &Arc<ResourceManager> {
        &self.manager
    }
}
