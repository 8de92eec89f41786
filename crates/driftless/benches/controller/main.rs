//! Controller benchmark against an in-process devcluster: a fleet of Applications synced by
//! one `driftless controller` process, then its steady state (memory, CPU per interval pass,
//! writes per pass), compared with one pass of `kubectl apply --server-side` over the same
//! objects. Prints a table.
//!
//! Run: `cargo bench -p driftless --bench controller` (BENCH_APPS, default 1000; BENCH_OBJECTS,
//! objects per app, default 10; BENCH_INTERVAL, seconds, default 30; BENCH_PASSES, default 3).

mod fleet;
mod process;
mod setup;

use std::time::Duration;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let apps = env_u64("BENCH_APPS", 1000) as usize;
    let objects = env_u64("BENCH_OBJECTS", 10) as usize;
    let interval = Duration::from_secs(env_u64("BENCH_INTERVAL", 30));
    let passes = env_u64("BENCH_PASSES", 3) as u32;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let scratch = tempfile::tempdir().expect("temporary directory");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let cluster = setup::start_cluster().await;
        let kubeconfig = setup::write_kubeconfig(&cluster, scratch.path());
        let client = cluster.client();
        let fleet = fleet::measure(
            &client,
            &kubeconfig,
            scratch.path(),
            apps,
            objects,
            interval,
            passes,
        )
        .await;
        println!("driftless controller benchmark ({cores} cores; devcluster in memory)");
        println!();
        println!(
            "| fleet: {} Applications x {objects} objects ({} objects), interval {}s | |",
            fleet.apps,
            fleet.objects,
            interval.as_secs()
        );
        println!("|---|---|");
        println!(
            "| initial sync of every Application (controller start to all Synced) | {:.1} s |",
            fleet.initial_sync.as_secs_f64()
        );
        println!(
            "| steady state: window, interval passes observed | {:.1} s, {:.2} passes |",
            fleet.window.as_secs_f64(),
            fleet.passes
        );
        println!(
            "| controller CPU per full pass | {:.0} ms |",
            fleet.cpu_per_pass.as_secs_f64() * 1000.0
        );
        println!(
            "| API writes in the window (cluster resourceVersion delta) | {} |",
            fleet.writes
        );
        println!(
            "| controller RSS at the end / peak | {:.1} MiB / {:.1} MiB |",
            fleet.rss_mib, fleet.peak_rss_mib
        );
        println!(
            "| one pass of `kubectl apply --server-side` over the same objects (wall) | {:.1} s |",
            fleet.kubectl_pass.as_secs_f64()
        );
        println!(
            "| ratio kubectl pass wall / controller CPU per pass | {:.1}x |",
            fleet.kubectl_pass.as_secs_f64() / fleet.cpu_per_pass.as_secs_f64().max(1e-9)
        );
    });
}
