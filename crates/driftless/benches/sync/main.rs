//! Sync engine benchmark against an in-process devcluster (in memory, workload simulator on):
//! first sync of a 1,000-object Application through the library versus `kubectl apply
//! --server-side` of the same files, a re-sync with nothing changed (time, dry-runs, writes,
//! resourceVersions), and drift repair latency of `driftless sync -f app.yaml --watch`.
//! Prints a table.
//!
//! Run: `cargo bench -p driftless --bench sync` (BENCH_ROUNDS, default 3, first-sync rounds;
//! BENCH_RESYNCS, default 20, no-op re-syncs; BENCH_DRIFTS, default 20, drift repairs).
//!
//! This file holds the flow and the table; [`fixture`] builds the Git repository and the
//! Application files, [`cluster`] and [`engine`] the cluster and the engine measured,
//! [`first_sync`], [`resync`] and [`repair`] the three parts, [`stats`] the statistics.

mod cluster;
mod engine;
mod first_sync;
mod fixture;
mod repair;
mod resync;
mod stats;

use std::time::Duration;

use cluster::SIMULATOR_DELAY;
use first_sync::first_sync_round;
use fixture::{make_repo, HEAL_OBJECTS, MIX};
use repair::{drift_repair, watch_mode_available};
use resync::resync;
use stats::{median, ms, pct, secs};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3);
    let resyncs = env_usize("BENCH_RESYNCS", 20);
    let drifts = env_usize("BENCH_DRIFTS", 20);
    let total: usize = MIX.iter().map(|(_, n)| n).sum();
    let mix = MIX
        .iter()
        .map(|(k, n)| format!("{n} {k}s"))
        .collect::<Vec<_>>()
        .join(", ");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let scratch = tempfile::tempdir().expect("temporary directory");
    let repo = scratch.path().join("repo");
    make_repo(&repo);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut firsts = Vec::new();
        for round in 0..rounds {
            let dir = scratch.path().join(format!("round-{round}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let r = first_sync_round(&repo, round, &dir).await;
            eprintln!(
                "round {round}: driftless {} kubectl {}",
                secs(r.driftless),
                secs(r.kubectl)
            );
            firsts.push(r);
        }
        let resync_dir = scratch.path().join("resync");
        std::fs::create_dir_all(&resync_dir).expect("mkdir");
        let re = resync(&repo, &resync_dir, resyncs).await;
        let heal_dir = scratch.path().join("heal");
        std::fs::create_dir_all(&heal_dir).expect("mkdir");
        let repair = if watch_mode_available() {
            Some(drift_repair(&repo, &heal_dir, drifts).await)
        } else {
            None
        };

        let d: Vec<Duration> = firsts.iter().map(|r| r.driftless).collect();
        let k: Vec<Duration> = firsts.iter().map(|r| r.kubectl).collect();
        let (dm, km) = (median(&d), median(&k));
        let list = |v: &[Duration]| v.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(", ");
        println!(
            "driftless sync benchmark: {cores} cores, devcluster in process (in memory, simulator delay {} ms), one Application of {total} objects ({mix}) in one namespace, plain YAML, one file per object, in a local git repository",
            SIMULATOR_DELAY.as_millis()
        );
        println!("| what is compared | result | goal |");
        println!("|---|---|---|");
        println!(
            "| first sync of {total} objects: `Engine::sync` (fresh AppliedState, SyncRequest {{wait: false}}, cold discovery and caches, includes git ls-remote, fetch and render) vs `kubectl apply --server-side -f <dir>` of the same files into a second empty namespace; median of {rounds} rounds, fresh cluster each | driftless {} vs kubectl {}: **{:.1}x** faster (rounds: driftless {}; kubectl {}) | at least 3x |",
            secs(dm),
            secs(km),
            km.as_secs_f64() / dm.as_secs_f64(),
            list(&d),
            list(&k)
        );
        println!(
            "| first sync of {total} objects with SyncRequest {{wait: true}} (waits until all are healthy; Deployments ready after the simulator's {} ms), one run | {} | - |",
            SIMULATOR_DELAY.as_millis(),
            secs(re.wait_true_first)
        );
        let mut t = re.times.clone();
        t.sort();
        let n = t.len().max(1) as f64;
        println!(
            "| re-sync with nothing changed: `Engine::sync` (SyncRequest {{wait: false}}) with the AppliedState of a wait: true first sync and the status it produced (inventory from status, as a controller or the watch mode has it), same Engine (warm render cache and discovery), no live cache (lists each kind); {} runs | median {}, p99 {}, max {} (min {}) | median under 50 ms |",
            t.len(),
            ms(pct(&t, 50.0)),
            ms(pct(&t, 99.0)),
            ms(t.last().copied().unwrap_or_default()),
            ms(t.first().copied().unwrap_or_default())
        );
        println!(
            "| requests made by those {} re-syncs (ResourceManager ApiStats) | {} dry-runs ({} in the first run, {} in the others), {} writes; {:.0} LISTs and {:.0} GETs per sync | 0 dry-runs, 0 writes |",
            t.len(),
            re.dry_runs,
            re.first_run_dry_runs,
            re.later_dry_runs,
            re.writes,
            re.lists as f64 / n,
            re.gets as f64 / n
        );
        println!(
            "| objects whose resourceVersion moved during those re-syncs (LIST before and after, independent of the engine) | {} of {} | 0 |",
            re.moved, re.objects
        );
        let mut l = re.list_cost.clone();
        l.sort();
        let mut g = re.ls_remote_cost.clone();
        g.sort();
        println!(
            "| parts of that re-sync measured alone, {} runs each: the engine's 4 labelled LISTs (one per kind, {} objects decoded) / one `git ls-remote` of the repository | median {} / {} | - |",
            l.len(),
            re.objects,
            ms(pct(&l, 50.0)),
            ms(pct(&g, 50.0))
        );
        let mut c = re.cached.clone();
        c.sort();
        let cr = re.cached_requests;
        println!(
            "| the same re-sync reading a live cache fed by label-selected watches (SyncRequest {{live_cache}}, as the watch mode runs it); {} runs | median {}, p99 {}, max {}; requests in all: {} LISTs, {} GETs, {} dry-runs, {} writes | median under 50 ms |",
            c.len(),
            ms(pct(&c, 50.0)),
            ms(pct(&c, 99.0)),
            ms(c.last().copied().unwrap_or_default()),
            cr.1,
            cr.0,
            cr.2,
            cr.3
        );
        let mut w = re.without_status.clone();
        w.sort();
        println!(
            "| the same re-sync when the Application has no status (inventory found by listing: `driftless sync -f` of an Application that is not in the cluster); {} runs | median {}, max {}; {:.0} LISTs per sync | - |",
            w.len(),
            ms(pct(&w, 50.0)),
            ms(w.last().copied().unwrap_or_default()),
            re.without_status_lists as f64 / w.len().max(1) as f64
        );
        println!(
            "| first re-sync after a wait: false first sync, once the simulator has written the Deployments' status | {}, {} dry-runs, {} writes | - |",
            ms(re.after_no_wait.0),
            re.after_no_wait.1,
            re.after_no_wait.2
        );
        println!(
            "| re-sync with nothing changed and SyncRequest {{force: true, wait: true}} (what `driftless sync -f` asks for), one run | {}, {} GETs, {} dry-runs, {} writes | - |",
            ms(re.forced.0),
            re.forced.1,
            re.forced.2,
            re.forced.3
        );
        match repair {
            Some(Ok(r)) => {
                let mut a = r.from_kubectl.clone();
                a.sort();
                let mut b = r.from_event.clone();
                b.sort();
                println!(
                    "| drift repair: `driftless sync -f app.yaml --watch` (selfHeal, {HEAL_OBJECTS} ConfigMaps), `kubectl patch` of data.k, from kubectl returning to Git's value back (seen by a watch); {} drifts | p50 {}, p90 {}, max {} ({} repaired before kubectl returned, counted as 0) | p50 under 500 ms |",
                    a.len(),
                    ms(pct(&a, 50.0)),
                    ms(pct(&a, 90.0)),
                    ms(a.last().copied().unwrap_or_default()),
                    r.before_kubectl_returned
                );
                println!(
                    "| drift repair, same drifts, from the drift's watch event to the repair's watch event | p50 {}, p90 {}, max {} | - |",
                    ms(pct(&b, 50.0)),
                    ms(pct(&b, 90.0)),
                    ms(b.last().copied().unwrap_or_default())
                );
            }
            Some(Err(e)) => println!("| drift repair | not measured: {e} | p50 under 500 ms |"),
            None => println!("drift repair: not measured (watch mode missing)"),
        }
    });
}
