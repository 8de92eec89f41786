//! Rendering benchmark: a large plain directory, a Jsonnet guestbook, a Kustomize overlay
//! through the subprocess (against `kubectl kustomize` run directly in the same process),
//! and a cache hit. Prints a table; results are recorded in BENCHMARKS.md.
//!
//! Run with `cargo bench -p driftless-render --bench render`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use driftless_core::{DirectorySource, JsonnetSource, JsonnetVar, SourceSpec};
use driftless_render::{
    HelmCommand, KustomizeCommand, RenderCache, RenderRequest, Renderer, DEFAULT_TOOL_TIMEOUT,
};

const FILES: usize = 500;
const OBJECTS_PER_FILE: usize = 20;

fn main() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    clock_ticks_per_second();
    println!("load average at start: {}", load_average());
    let big = tempfile::tempdir().expect("temporary directory");
    write_large_directory(big.path());
    println!("| case | runs | median wall | min wall | CPU per run | objects | objects/s (median wall) |");
    println!("|---|---|---|---|---|---|---|");
    bench_uncached(
        "directory: 10,000 objects in 500 files",
        15,
        big.path(),
        &SourceSpec::default(),
    );
    bench_uncached(
        "jsonnet: guestbook (extVar, TLA, lib)",
        300,
        &fixtures.join("jsonnet"),
        &guestbook(),
    );
    let (through_renderer, direct) = bench_kustomize(15, &fixtures.join("kustomize"));
    bench_cache_hit(big.path());
    println!();
    println!("load average at end: {}", load_average());
    println!(
        "Kustomize through the Renderer / `kubectl kustomize` alone, same run, interleaved: \
         median {:.2}, min {:.2}",
        through_renderer.median.as_secs_f64() / direct.median.as_secs_f64(),
        through_renderer.min.as_secs_f64() / direct.min.as_secs_f64(),
    );
}

fn renderer(cache: Option<RenderCache>) -> Renderer {
    Renderer::new(
        Arc::new(KustomizeCommand::from_path(DEFAULT_TOOL_TIMEOUT)),
        HelmCommand::from_path(DEFAULT_TOOL_TIMEOUT),
        cache,
    )
}

fn guestbook() -> SourceSpec {
    let var = |name: &str, value: &str, code| JsonnetVar {
        name: name.into(),
        value: value.into(),
        code,
    };
    SourceSpec {
        path: "guestbook".into(),
        directory: Some(DirectorySource {
            jsonnet: JsonnetSource {
                ext_vars: vec![var("env", "prod", false)],
                tlas: vec![var("replicas", "3", true)],
                libs: vec!["lib".into()],
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Wall-clock times of a case, and the CPU time it used (this process and its waited-for
/// children, so `kubectl` counts too).
struct Timing {
    median: Duration,
    min: Duration,
    runs: usize,
    cpu_per_run: Option<Duration>,
}

/// Renders `runs` times without a cache and prints a row.
fn bench_uncached(name: &str, runs: usize, checkout: &Path, source: &SourceSpec) -> Timing {
    let renderer = renderer(None);
    let render = || {
        renderer
            .render(&RenderRequest::new(checkout, "bench", source))
            .unwrap_or_else(|err| panic!("{name}: {err}"))
            .len()
    };
    let objects = render(); // warm-up: page cache, tool start-up
    let timing = measure(runs, || {
        render();
    });
    print_row(name, &timing, objects);
    timing
}

/// The overlay through the Renderer and `kubectl kustomize` run directly, interleaved
/// run by run so that both see the same machine load.
fn bench_kustomize(runs: usize, checkout: &Path) -> (Timing, Timing) {
    let renderer = renderer(None);
    let overlay = SourceSpec {
        path: "overlays/prod".into(),
        ..Default::default()
    };
    let through_renderer = || {
        renderer
            .render(&RenderRequest::new(checkout, "bench", &overlay))
            .expect("kustomize render")
            .len()
    };
    let direct = || {
        let output = Command::new("kubectl")
            .args(["kustomize", "--load-restrictor=LoadRestrictionsRootOnly"])
            .arg(checkout.join("overlays/prod"))
            .output()
            .expect("kubectl kustomize runs");
        assert!(output.status.success(), "kubectl kustomize failed");
    };
    let objects = through_renderer();
    direct();
    let mut renderer_times = Vec::new();
    let mut direct_times = Vec::new();
    for _ in 0..runs {
        renderer_times.push(measure(1, || {
            through_renderer();
        }));
        direct_times.push(measure(1, direct));
    }
    let renderer_timing = merge(renderer_times);
    let direct_timing = merge(direct_times);
    print_row(
        "kustomize: overlays/prod through the Renderer",
        &renderer_timing,
        objects,
    );
    print_row(
        "kustomize: `kubectl kustomize overlays/prod` alone",
        &direct_timing,
        objects,
    );
    (renderer_timing, direct_timing)
}

fn bench_cache_hit(checkout: &Path) {
    let renderer = renderer(Some(RenderCache::new(4)));
    let source = SourceSpec::default();
    let request = RenderRequest::new(checkout, "bench", &source);
    let first = renderer.render(&request).expect("first render");
    let timing = measure(1000, || {
        let hit = renderer.render(&request).expect("cached render");
        assert!(Arc::ptr_eq(&hit, &first));
    });
    print_row(
        "cache hit: the 10,000-object directory again",
        &timing,
        first.len(),
    );
}

fn measure(runs: usize, mut run: impl FnMut()) -> Timing {
    let cpu_before = cpu_time();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    let cpu = cpu_before
        .zip(cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    times.sort();
    Timing {
        median: times[times.len() / 2],
        min: times[0],
        runs,
        cpu_per_run: cpu.map(|total| total / runs as u32),
    }
}

/// Combines single-run timings into one (median of the runs, summed CPU).
fn merge(single_runs: Vec<Timing>) -> Timing {
    let runs = single_runs.len();
    let mut times: Vec<Duration> = single_runs.iter().map(|t| t.median).collect();
    times.sort();
    let cpu: Option<Duration> = single_runs.iter().map(|t| t.cpu_per_run).sum();
    Timing {
        median: times[runs / 2],
        min: times[0],
        runs,
        cpu_per_run: cpu.map(|total| total / runs as u32),
    }
}

/// CPU time used so far by this process and its waited-for children, from
/// /proc/self/stat (Linux); `None` elsewhere. Resolution: one clock tick.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14-17 of stat(5) (utime, stime, cutime, cstime) are 12-15 after the name.
    let ticks: u64 = fields
        .get(11..15)?
        .iter()
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Some(Duration::from_secs_f64(
        ticks as f64 / clock_ticks_per_second(),
    ))
}

/// The 1, 5 and 15 minute load averages (Linux), to judge how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "n/a".to_owned())
}

/// Asked once (before any measurement) so that `getconf` itself is not counted.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(ask_clock_ticks)
}

fn ask_clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

fn print_row(name: &str, timing: &Timing, objects: usize) {
    let rate = objects as f64 / timing.median.as_secs_f64();
    let cpu = timing.cpu_per_run.map_or_else(|| "n/a".to_owned(), show);
    println!(
        "| {name} | {} | {} | {} | {cpu} | {objects} | {rate:.0} |",
        timing.runs,
        show(timing.median),
        show(timing.min),
    );
}

fn show(duration: Duration) -> String {
    if duration < Duration::from_millis(1) {
        format!("{:.1} µs", duration.as_secs_f64() * 1e6)
    } else {
        format!("{:.1} ms", duration.as_secs_f64() * 1e3)
    }
}

/// 500 files of 20 objects each (Deployments, Services and ConfigMaps in turn), in
/// 10 subdirectories' worth of names but one flat directory.
fn write_large_directory(dir: &Path) {
    for file in 0..FILES {
        let mut text = String::new();
        for index in 0..OBJECTS_PER_FILE {
            let name = format!("app-{file}-{index}");
            text.push_str("---\n");
            text.push_str(&match index % 3 {
                0 => deployment(&name),
                1 => service(&name),
                _ => config_map(&name),
            });
        }
        std::fs::write(dir.join(format!("app-{file:03}.yaml")), text).expect("write fixture");
    }
}

fn deployment(name: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels: {{app: {name}, tier: web}}\n\
         spec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      \
         labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        \
         ports:\n        - containerPort: 80\n        resources:\n          limits: {{cpu: 100m, memory: 128Mi}}\n"
    )
}

fn service(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector: {{app: {name}}}\n  ports:\n  \
         - port: 80\n    targetPort: 80\n    protocol: TCP\n"
    )
}

fn config_map(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  LOG_LEVEL: info\n  \
         FEATURE_FLAGS: \"a,b,c\"\n  settings.json: |\n    {{\"retries\": 3, \"timeout\": \"5s\"}}\n"
    )
}
