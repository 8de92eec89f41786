//! Part 1: the first sync of the 1,000-object Application through the library, compared with
//! `kubectl apply --server-side` of the same files, on a fresh cluster per round.

use std::path::Path;
use std::time::{Duration, Instant};

use driftless::sync::AppliedState;

use crate::cluster::{count_objects, create_namespace, kubectl, start_cluster, write_kubeconfig};
use crate::engine::{check, engine, no_wait, parse_app};
use crate::fixture::{application, MIX};

pub struct FirstSync {
    pub driftless: Duration,
    pub kubectl: Duration,
}

/// One round on a fresh cluster: the library syncs the app into `bench-driftless`, kubectl
/// applies the same files into `bench-kubectl`; the order alternates between rounds.
pub async fn first_sync_round(repo: &Path, round: usize, scratch: &Path) -> FirstSync {
    let cluster = start_cluster().await;
    let client = cluster.client();
    create_namespace(&client, "bench-driftless").await;
    create_namespace(&client, "bench-kubectl").await;
    let kubeconfig = write_kubeconfig(&cluster, scratch);
    let app = parse_app(&application("bench", repo, "app", "bench-driftless"));
    let cache = scratch.join(format!("cache-{round}"));
    let total: usize = MIX.iter().map(|(_, n)| n).sum();

    let run_driftless = || async {
        let engine = engine(&cluster, &cache);
        let mut state = AppliedState::default();
        let started = Instant::now();
        let outcome = engine.sync(&app, &mut state, &no_wait()).await;
        let took = started.elapsed();
        check(&outcome, "first sync");
        took
    };
    let dir = repo.join("app");
    let dir = dir.to_str().expect("utf-8 path");
    let run_kubectl = || async {
        let started = Instant::now();
        kubectl(
            &kubeconfig,
            &["apply", "--server-side", "-n", "bench-kubectl", "-f", dir],
        )
        .await;
        started.elapsed()
    };
    let (driftless, kubectl) = if round.is_multiple_of(2) {
        let d = run_driftless().await;
        (d, run_kubectl().await)
    } else {
        let k = run_kubectl().await;
        (run_driftless().await, k)
    };
    assert_eq!(count_objects(&client, "bench-driftless").await, total);
    assert_eq!(count_objects(&client, "bench-kubectl").await, total);
    FirstSync { driftless, kubectl }
}
