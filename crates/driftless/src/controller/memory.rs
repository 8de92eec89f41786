//! What the controller remembers about each Application between reconciles: the applied
//! state that lets a steady-state reconcile cost no request, the live objects its watches
//! feed, the last status written (so an unchanged one is not written again) and its failures.

use std::sync::{Arc, Mutex, MutexGuard};

use driftless_core::application::{Application, ApplicationStatus};

use crate::cluster::{AppliedState, LiveCache};

/// The remembered part of one Application.
#[derive(Debug, Default)]
pub struct Remembered {
    /// What the last sync applied or verified, per object.
    pub applied: AppliedState,
    /// The status last written (or read at start).
    pub written: Option<ApplicationStatus>,
    /// The commit last synced, for drift repairs without a listing of the remote.
    pub revision: Option<String>,
    /// Consecutive failed attempts, for the retry back-off.
    pub failures: u32,
    /// The last error reported, so the same error is not recorded as an Event again.
    pub last_error: Option<String>,
    /// True once the Application was Ready, so that dependents are woken on the change.
    pub ready: bool,
    /// The operation this controller last carried out and cleared: while the watch still shows
    /// it (the clearing not seen yet), it is not carried out again.
    pub handled_operation: Option<driftless_core::application::Operation>,
    /// The sync status last reported, so that a newly OutOfSync comparison is an Event once.
    pub written_sync: Option<driftless_core::application::SyncStatusCode>,
}

/// One Application's memory; shared between its reconciles and the drift router.
#[derive(Debug)]
pub struct AppMemory {
    /// Live objects as the watches see them.
    pub cache: LiveCache,
    inner: Mutex<Remembered>,
}

impl AppMemory {
    /// The memory of an Application seen for the first time: its status as written.
    pub fn from_app(app: &Application) -> Arc<Self> {
        let status = app.status.clone();
        let applied = status
            .as_ref()
            .map(|s| AppliedState::from_resources(&s.resources))
            .unwrap_or_default();
        let revision = status
            .as_ref()
            .map(|s| s.sync.revision.clone())
            .filter(|r| !r.is_empty());
        Arc::new(Self {
            cache: LiveCache::default(),
            inner: Mutex::new(Remembered {
                applied,
                ready: status.as_ref().is_some_and(is_ready),
                written: status,
                revision,
                ..Remembered::default()
            }),
        })
    }

    /// The remembered state, locked.
    pub fn lock(&self) -> MutexGuard<'_, Remembered> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// True when the status has `Ready=True`.
pub fn is_ready(status: &ApplicationStatus) -> bool {
    status
        .conditions
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}
