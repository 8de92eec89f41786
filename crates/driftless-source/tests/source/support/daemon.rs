//! `git daemon` serving a directory over git:// on a random loopback port.

use super::{free_port, wait_for_port, Daemon};
use std::path::Path;
use std::process::{Command, Stdio};

/// A running `git daemon`; stopped when dropped.
pub struct GitDaemon {
    /// The port it listens on.
    pub port: u16,
    _child: Daemon,
}

impl GitDaemon {
    /// Serves every repository under `root` read-only.
    pub fn start(root: &Path) -> Self {
        let port = free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", root.display()))
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git must be installed to run git daemon");
        let child = Daemon(child);
        wait_for_port(port, "git daemon");
        GitDaemon {
            port,
            _child: child,
        }
    }

    /// The git:// URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }
}
