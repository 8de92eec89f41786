//! The `driftless controller` process measured: started against the benchmark's cluster, its
//! log kept in a file, and its memory (RSS, peak RSS) and CPU time read from /proc.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running controller; killed when dropped.
pub struct Controller {
    child: Child,
    log: PathBuf,
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Controller {
    /// Starts `driftless controller <args>` with the kubeconfig at `kubeconfig`, logging at
    /// debug level for the controller's reconcile lines, and waits until it runs.
    pub fn start(kubeconfig: &Path, dir: &Path, args: &[&str]) -> Controller {
        let log = dir.join("controller.log");
        let out = File::create(&log).expect("controller log");
        let child = Command::new(env!("CARGO_BIN_EXE_driftless"))
            .arg("controller")
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("DRIFTLESS_CACHE_DIR", dir.join("cache"))
            .env("RUST_LOG", "warn,driftless::controller::reconcile=debug")
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .expect("driftless controller starts");
        let controller = Controller { child, log };
        let started = Instant::now();
        while !controller.log().contains("driftless controller:") {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "controller did not start:\n{}",
                controller.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        controller
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Reconciles logged so far with `needle` in their line (`reasons={Interval}`, ...).
    pub fn count(&self, needle: &str) -> usize {
        self.log()
            .lines()
            .filter(|l| l.contains("reconciled") && l.contains(needle))
            .count()
    }

    /// (RSS, peak RSS) in MiB.
    pub fn memory_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// User plus system CPU time used so far.
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // utime and stime are fields 14 and 15 of /proc/PID/stat: 12 and 13 after the name.
        let total = ticks(11) + ticks(12);
        Duration::from_millis(total * 1000 / clock_ticks())
    }
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}
