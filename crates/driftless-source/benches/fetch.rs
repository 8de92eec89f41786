//! Benchmark of driftless-source against `git clone --depth 1`, both over git:// from a local
//! `git daemon`, on a generated repository (default 10,000 files, 1,000 commits).
//!
//! Run: `cargo bench -p driftless-source --bench fetch`
//! Sizes: `BENCH_FILES`, `BENCH_COMMITS`, `BENCH_RUNS`, `BENCH_APPS` environment variables;
//! `BENCH_LOG=1` prints the crate's per-step timings.

#[allow(dead_code)]
#[path = "../tests/source/support/mod.rs"]
mod support;

use driftless_source::{Credentials, Repository, Source, SourceConfig};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::daemon::GitDaemon;
use support::http::{Auth, GitHttpServer};
use support::sshd::Sshd;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A Kubernetes-looking file with a pseudo-random payload, so that it compresses like real text.
fn file_content(file: usize, revision: usize) -> String {
    let mut state = (file as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ revision as u64;
    let payload: String = (0..8)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("{state:016x}")
        })
        .collect();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{file}\n  namespace: team-{}\n  labels:\n    app: app-{}\ndata:\n  revision: \"{revision}\"\n  payload: \"{payload}\"\n",
        file / 100,
        file / 10
    )
}

fn file_path(file: usize) -> String {
    format!("apps/team-{}/app-{}/cm-{file}.yaml", file / 100, file / 10)
}

/// Builds a bare repository: one commit adding `files` files, then `commits - 1` commits
/// changing 10 files each.
fn generate(repo: &Path, files: usize, commits: usize) {
    support::git(
        repo.parent().unwrap(),
        &["init", "-q", "--bare", "-b", "main", repo.to_str().unwrap()],
    );
    import_commits(repo, files, 0..commits);
    support::git(repo, &["repack", "-a", "-d", "-q"]);
}

/// Appends the commits numbered `range` to `main` with `git fast-import` (commit 0 adds every
/// file, later ones change 10 files each).
fn import_commits(repo: &Path, files: usize, range: std::ops::Range<usize>) {
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .env("GIT_DIR", repo)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git must be installed");
    let mut stream = std::io::BufWriter::new(import.stdin.take().unwrap());
    for commit in range.clone() {
        let message = format!("commit {commit}");
        writeln!(stream, "commit refs/heads/main").unwrap();
        writeln!(
            stream,
            "committer Bench <bench@example.com> {} +0000",
            1_700_000_000 + commit
        )
        .unwrap();
        write!(stream, "data {}\n{message}\n", message.len()).unwrap();
        if commit == range.start && commit > 0 {
            writeln!(stream, "from refs/heads/main^0").unwrap();
        }
        let changed: Vec<usize> = if commit == 0 {
            (0..files).collect()
        } else {
            (0..10).map(|i| (commit * 37 + i * 1009) % files).collect()
        };
        for file in changed {
            let content = file_content(file, commit);
            write!(
                stream,
                "M 100644 inline {}\ndata {}\n{content}\n",
                file_path(file),
                content.len()
            )
            .unwrap();
        }
    }
    drop(stream);
    assert!(import.wait().unwrap().success(), "git fast-import failed");
}

/// `git fetch --depth 1` + `git reset --hard` in an existing shallow clone: git's way to get a
/// new commit's files onto disk.
fn git_update_clone(clone: &Path) -> Duration {
    let started = Instant::now();
    support::git(clone, &["fetch", "-q", "--depth", "1", "origin", "main"]);
    support::git(clone, &["reset", "-q", "--hard", "FETCH_HEAD"]);
    started.elapsed()
}

fn git_clone_depth_1(url: &str, into: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new("git")
        .args([
            "-c",
            "protocol.version=2",
            "clone",
            "--quiet",
            "--depth",
            "1",
            url,
        ])
        .arg(into)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap();
    assert!(status.success(), "git clone failed");
    started.elapsed()
}

fn open_source(cache: &Path) -> Arc<Source> {
    Arc::new(Source::open(SourceConfig::new(cache)).unwrap())
}

/// Fetches once, then times 50 polls that find nothing new.
fn poll_times(
    runtime: &tokio::runtime::Runtime,
    source: &Source,
    repo: &Repository,
) -> Vec<Duration> {
    runtime.block_on(source.fetch(repo, "main")).unwrap();
    (0..50)
        .map(|_| {
            let started = Instant::now();
            let (_, _artifact) = runtime.block_on(source.fetch(repo, "main")).unwrap();
            started.elapsed()
        })
        .collect()
}

/// Times 50 runs of the bare git CLI listing one branch, as a floor for a poll.
fn ls_remote_times(url: &str) -> Vec<Duration> {
    (0..50)
        .map(|_| {
            let started = Instant::now();
            let output = Command::new("git")
                .args(["ls-remote", url, "refs/heads/main"])
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .unwrap();
            assert!(output.status.success(), "git ls-remote failed");
            started.elapsed()
        })
        .collect()
}

/// The 1/5/15-minute load averages, to judge how busy the machine was.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// User + system CPU time of this process and its waited-for children (git clone, or the git
/// commands the source runs), which other load on the machine disturbs far less than wall time.
/// The git daemon's work is not included (its children are not ours).
fn cpu_time() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    [UsageWho::RUSAGE_SELF, UsageWho::RUSAGE_CHILDREN]
        .into_iter()
        .filter_map(|who| getrusage(who).ok())
        .map(|usage| {
            let (user, system) = (usage.user_time(), usage.system_time());
            let micros =
                (user.tv_sec() + system.tv_sec()) * 1_000_000 + user.tv_usec() + system.tv_usec();
            Duration::from_micros(u64::try_from(micros).unwrap_or(0))
        })
        .sum()
}

fn fastest(samples: &[Duration]) -> Duration {
    samples.iter().copied().min().unwrap_or_default()
}

fn median(samples: Vec<Duration>) -> Duration {
    percentile(samples, 0.5)
}

fn percentile(mut samples: Vec<Duration>, p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[index]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and must not start a minutes-long benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        println!("fetch benchmark: run it with `cargo bench -p driftless-source --bench fetch`");
        return;
    }
    if std::env::var_os("BENCH_LOG").is_some() {
        // Per-step durations (listing, fetch, tree writing) from the crate's own tracing events.
        tracing_subscriber::fmt()
            .with_env_filter("driftless_source=debug")
            .init();
    }
    let (files, commits) = (
        env_number("BENCH_FILES", 10_000),
        env_number("BENCH_COMMITS", 1_000),
    );
    let (runs, apps) = (env_number("BENCH_RUNS", 5), env_number("BENCH_APPS", 100));
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("srv");
    std::fs::create_dir_all(&root).unwrap();
    let started = Instant::now();
    generate(&root.join("bench.git"), files, commits);
    println!(
        "generated {files} files, {commits} commits in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let version = support::git(work.path(), &["version"]);
    println!("{version}; load average at start: {}", load_average());
    let daemon = GitDaemon::start(&root);
    let url = daemon.url("bench.git");
    let repo = Repository::new(&url, Credentials::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let (mut clone_times, mut source_times) = (Vec::new(), Vec::new());
    let (mut clone_cpu, mut source_cpu) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let cpu = cpu_time();
        clone_times.push(git_clone_depth_1(
            &url,
            &work.path().join(format!("clone-{run}")),
        ));
        clone_cpu.push(cpu_time() - cpu);
        let source = open_source(&work.path().join(format!("cache-{run}")));
        let (started, cpu) = (Instant::now(), cpu_time());
        let (_, artifact) = runtime.block_on(source.fetch(&repo, "main")).unwrap();
        source_times.push(started.elapsed());
        source_cpu.push(cpu_time() - cpu);
        assert!(artifact.path().join(file_path(files - 1)).exists());
    }

    let (mut git_updates, mut source_updates) = (Vec::new(), Vec::new());
    let updating = open_source(&work.path().join("cache-0"));
    for run in 0..runs {
        import_commits(
            &root.join("bench.git"),
            files,
            commits + run..commits + run + 1,
        );
        git_updates.push(git_update_clone(&work.path().join("clone-0")));
        let started = Instant::now();
        let (commit, _) = runtime.block_on(updating.fetch(&repo, "main")).unwrap();
        source_updates.push(started.elapsed());
        assert_eq!(
            commit.id.as_str(),
            support::git(&root.join("bench.git"), &["rev-parse", "main"])
        );
    }

    let http = GitHttpServer::start(&root, Auth::default());
    let sshd = Path::new("/usr/sbin/sshd")
        .exists()
        .then(|| Sshd::start(""));
    let mut remotes = vec![
        ("git://".to_string(), repo.clone()),
        (
            "http:// (test server spawning git http-backend)".to_string(),
            Repository::new(&http.url("bench.git"), Credentials::default()).unwrap(),
        ),
        (
            "file://".to_string(),
            Repository::new(
                &format!("file://{}", root.join("bench.git").display()),
                Credentials::default(),
            )
            .unwrap(),
        ),
    ];
    if let Some(sshd) = &sshd {
        let credentials = Credentials {
            identity: Some(sshd.client_key.clone()),
            known_hosts: Some(sshd.known_hosts.clone()),
            ..Default::default()
        };
        remotes.push((
            "ssh://".to_string(),
            Repository::new(&sshd.url(&root.join("bench.git")), credentials).unwrap(),
        ));
    }
    let source = open_source(&work.path().join("cache-polls"));
    let http_busy_before = http.backend_time();
    let polls: Vec<(String, Vec<Duration>)> = remotes
        .iter()
        .map(|(name, remote)| (name.clone(), poll_times(&runtime, &source, remote)))
        .collect();
    let http_server_per_poll = (http.backend_time() - http_busy_before) / 51;
    let baselines: Vec<(String, Vec<Duration>)> = remotes
        .iter()
        .filter(|(name, _)| !name.starts_with("ssh"))
        .map(|(name, remote)| (name.clone(), ls_remote_times(remote.url().as_git_arg())))
        .collect();

    let shared = open_source(&work.path().join("cache-apps"));
    let started = Instant::now();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..apps)
            .map(|_| {
                let (shared, repo) = (shared.clone(), repo.clone());
                tokio::spawn(async move { shared.fetch(&repo, "main").await.map(|(c, _)| c.id) })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
    });
    let apps_time = started.elapsed();
    let stats = shared.stats();

    println!("load average at end: {}", load_average());
    let (clone, ours) = (median(clone_times.clone()), median(source_times.clone()));
    println!();
    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| `git clone --depth 1` (git://, median of {runs}) | {} |",
        ms(clone)
    );
    println!(
        "| driftless resolve + fetch + checkout, cold cache (median of {runs}) | {} |",
        ms(ours)
    );
    println!(
        "| ratio driftless / git clone | {:.2} |",
        ours.as_secs_f64() / clone.as_secs_f64()
    );
    let (best_clone, best_ours) = (fastest(&clone_times), fastest(&source_times));
    println!(
        "| fastest of {runs}: git clone / driftless / ratio (least disturbed by other load) | {} / {} / {:.2} |",
        ms(best_clone),
        ms(best_ours),
        best_ours.as_secs_f64() / best_clone.as_secs_f64()
    );
    let (clone_cpu, source_cpu) = (median(clone_cpu), median(source_cpu));
    println!(
        "| client CPU (user+sys, this process and its git children), median: git clone / driftless / ratio | {} / {} / {:.2} |",
        ms(clone_cpu),
        ms(source_cpu),
        source_cpu.as_secs_f64() / clone_cpu.as_secs_f64()
    );
    let (git_update, our_update) = (median(git_updates.clone()), median(source_updates.clone()));
    println!("| new commit (10 files changed): `git fetch --depth 1` + `git reset --hard` in a clone (median of {runs}) | {} |", ms(git_update));
    println!("| new commit (10 files changed): driftless resolve + fetch + new immutable artifact (median of {runs}) | {} |", ms(our_update));
    println!(
        "| ratio driftless / git, new commit | {:.2} |",
        our_update.as_secs_f64() / git_update.as_secs_f64()
    );
    println!(
        "| all runs, git clone | {} |",
        clone_times
            .iter()
            .map(|d| ms(*d))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "| all runs, driftless | {} |",
        source_times
            .iter()
            .map(|d| ms(*d))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("| server side of one http poll (two `git http-backend` runs in the test server), mean | {} |", ms(http_server_per_poll));
    for (name, samples) in baselines {
        println!("| baseline: plain `git ls-remote URL refs/heads/main` over {name}, median / p95 of 50 | {} / {} |", ms(median(samples.clone())), ms(percentile(samples, 0.95)));
    }
    for (name, samples) in polls {
        println!("| no-change poll over {name} (resolve + cached checkout), median / p95 of 50 | {} / {} |", ms(median(samples.clone())), ms(percentile(samples, 0.95)));
    }
    println!(
        "| {apps} concurrent apps on one repository, cold | {} wall; {} ls-remote, {} fetch, {} checkout |",
        ms(apps_time),
        stats.listings.load(Ordering::Relaxed),
        stats.fetches.load(Ordering::Relaxed),
        stats.checkouts.load(Ordering::Relaxed)
    );
}
