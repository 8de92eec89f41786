//! The engine under measurement: how it is built, what the measured syncs ask of it, and the
//! request counters of its ResourceManager.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use devcluster::DevCluster;
use driftless::cluster::ResourceManager;
use driftless::sync::{Engine, Settings, SyncOutcome, SyncRequest};
use driftless_core::application::Application;
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};

pub fn engine(cluster: &DevCluster, cache: &Path) -> Engine {
    let git = Source::open(SourceConfig::new(cache)).expect("repository cache");
    Engine::new(
        Arc::new(ResourceManager::new(cluster.client())),
        Arc::new(git),
        Arc::new(Renderer::from_path()),
        Settings::default(),
    )
}

/// What the measured syncs ask for: the target revision, no final health wait.
pub fn no_wait() -> SyncRequest {
    SyncRequest {
        wait: false,
        ..SyncRequest::default()
    }
}

pub fn parse_app(text: &str) -> Application {
    serde_saphyr::from_str(text).expect("valid Application")
}

pub fn check(outcome: &SyncOutcome, what: &str) {
    assert!(
        outcome.succeeded(),
        "{what} failed: {:?}",
        outcome.error.as_deref()
    );
}

/// Counters of the engine's ResourceManager: (gets, lists, dry-runs, writes).
pub fn counters(engine: &Engine) -> (u64, u64, u64, u64) {
    let stats = engine.manager().stats();
    let (dry_runs, writes) = stats.dry_runs_and_writes();
    (
        stats.gets.load(Ordering::Relaxed),
        stats.lists.load(Ordering::Relaxed),
        dry_runs,
        writes,
    )
}

pub fn delta(after: (u64, u64, u64, u64), before: (u64, u64, u64, u64)) -> (u64, u64, u64, u64) {
    (
        after.0 - before.0,
        after.1 - before.1,
        after.2 - before.2,
        after.3 - before.3,
    )
}
