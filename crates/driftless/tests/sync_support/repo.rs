//! Git repositories the tests commit to, served from their directory or by `git daemon` on a
//! free loopback port.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs git in `dir` with a fixed identity; panics with git's message on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git must be installed to run these tests");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A Git repository the test writes and commits to: `<root>/repo`, so that `git daemon` can
/// serve `<root>` as its base path.
pub struct Repo {
    root: tempfile::TempDir,
}

impl Repo {
    /// An empty repository on branch `main`.
    pub fn new() -> Repo {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("repo")).unwrap();
        let repo = Repo { root };
        git(&repo.path(), &["init", "-q", "-b", "main"]);
        repo
    }

    /// The working directory (also the repoURL of a local repository).
    pub fn path(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    /// The repoURL that names the repository by its directory.
    pub fn url(&self) -> String {
        self.path().display().to_string()
    }

    /// Writes `contents` at `file` (relative to the repository root).
    pub fn write(&self, file: &str, contents: &str) -> &Repo {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Removes `file` from the working tree.
    pub fn remove(&self, file: &str) -> &Repo {
        std::fs::remove_file(self.path().join(file)).unwrap();
        self
    }

    /// Commits everything written or removed so far; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        git(&self.path(), &["add", "-A"]);
        git(
            &self.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        git(&self.path(), &["rev-parse", "HEAD"])
    }

    /// Serves the repository read-only over git:// until the returned daemon is dropped.
    pub fn serve(&self) -> GitDaemon {
        GitDaemon::start(self.root.path())
    }
}

/// A running `git daemon` on a free loopback port; stopped when dropped.
pub struct GitDaemon {
    port: u16,
    child: Child,
}

impl GitDaemon {
    fn start(base: &Path) -> GitDaemon {
        let port = free_port();
        let child = Command::new("git")
            .arg("daemon")
            .arg("--reuseaddr")
            .arg("--export-all")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git must be installed to run git daemon");
        let daemon = GitDaemon { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// The git:// URL of the repository.
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/repo", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
