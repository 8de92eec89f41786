//! `driftless sync -f app.yaml --watch` as a child process of a test, and polling with a
//! deadline for what it should bring about.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{App, Cluster};

/// How long a test waits for the watch mode to bring something about.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A running `driftless sync --watch`; killed when dropped.
pub struct Watching {
    child: Child,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watching {
    /// Sends SIGTERM and returns the exit code, waiting at most [`DEADLINE`].
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let started = Instant::now();
        while started.elapsed() < DEADLINE {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Cluster {
    /// Starts `driftless sync -f <app file> --watch` against this cluster.
    pub fn watch(&self, app: &App) -> Watching {
        let file = self.app_file(app);
        let child = Command::new(env!("CARGO_BIN_EXE_driftless"))
            .args(["sync", "-f", file.to_str().unwrap(), "--watch"])
            .env("KUBECONFIG", &self.kubeconfig)
            .env("DRIFTLESS_CACHE_DIR", self.scratch("repository-cache"))
            .env_remove("DRIFTLESS_KUBECONFIG")
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Watching { child }
    }
}

/// Polls `check` every 20 ms until it returns true; panics with `what` after [`DEADLINE`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < DEADLINE,
            "not within {DEADLINE:?}: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `mode` of the `shop/settings` ConfigMap the self-heal tests manage.
pub fn settings_mode(cluster: &Cluster) -> Option<String> {
    cluster
        .find("configmap", "shop", "settings")
        .and_then(|c| c["data"]["mode"].as_str().map(str::to_owned))
}

/// Sets that ConfigMap's mode to `slow` by hand, as a user with kubectl would.
pub fn drift_settings_mode(cluster: &Cluster) {
    cluster.kubectl_ok(&[
        "patch",
        "configmap",
        "settings",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"mode":"slow"}}"#,
    ]);
}
