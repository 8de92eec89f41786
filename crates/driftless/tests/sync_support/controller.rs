//! `driftless controller` as a child process of a test: started against the test's cluster,
//! its output kept in a file for the failure message, killed when dropped.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Cluster;

/// A running `driftless controller`.
pub struct ControllerProcess {
    child: Child,
    log: PathBuf,
}

impl Drop for ControllerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ControllerProcess {
    /// What the controller printed and logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `127.0.0.1:PORT` of its HTTP API, from the line it prints at start.
    pub fn api_addr(&self) -> String {
        let log = self.log();
        log.split("API at http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no API address in:\n{log}"))
            .to_owned()
    }

    /// True once it said it leads.
    pub fn is_leading(&self) -> bool {
        self.log()
            .contains("leading: reconciling every Application")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process at once (SIGKILL: no clean shutdown, as when a node dies).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and returns the exit code, waiting at most 10 s.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Cluster {
    /// Starts `driftless controller <args>` against this cluster and waits until it says it
    /// runs. `name` tells apart the logs of several controllers of one test.
    pub fn controller(&self, name: &str, args: &[&str]) -> ControllerProcess {
        // The leader Lease lives in the system namespace; it may exist already.
        let _ = self.kubectl(&["create", "namespace", "driftless"]);
        let log = self.scratch(&format!("controller-{name}.log"));
        let out = File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_driftless"))
            .args(["controller", "--listen", "127.0.0.1:0"])
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env(
                "DRIFTLESS_CACHE_DIR",
                self.scratch(&format!("cache-{name}")),
            )
            .env("RUST_LOG", "info,driftless=debug")
            .env_remove("DRIFTLESS_KUBECONFIG")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let process = ControllerProcess { child, log };
        let started = Instant::now();
        while !process.log().contains("driftless controller:") {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the controller did not start:\n{}",
                process.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        process
    }
}
