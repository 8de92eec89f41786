//! Real Git repositories and servers for the integration tests. Every helper panics loudly when
//! git (or sshd) is missing: the tests must not pass by skipping.

pub mod daemon;
pub mod http;
pub mod sshd;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs git with a fixed identity and no user config; panics with git's message on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git must be installed to run these tests");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A repository that the test servers serve, edited in place.
pub struct Upstream {
    /// The directory that holds every served repository (the servers' root).
    pub root: PathBuf,
    /// The repository's name under `root`.
    pub name: String,
    _tmp: tempfile::TempDir,
}

impl Upstream {
    /// A repository `repo` with one commit on `main` holding `app/config.yaml`.
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("srv");
        let name = "repo".to_string();
        std::fs::create_dir_all(root.join(&name)).unwrap();
        let upstream = Upstream {
            root,
            name,
            _tmp: tmp,
        };
        git(&upstream.path(), &["init", "-q", "-b", "main"]);
        upstream.commit(&[("app/config.yaml", "replicas: 1\n")], "first");
        upstream
    }

    /// The working directory of the repository.
    pub fn path(&self) -> PathBuf {
        self.root.join(&self.name)
    }

    /// Writes `files`, commits them on the current branch and returns the new commit id.
    pub fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (name, content) in files {
            let path = self.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        git(&self.path(), &["add", "-A"]);
        git(
            &self.path(),
            &["commit", "-q", "--allow-empty", "-m", message],
        );
        self.head()
    }

    /// Adds a symlink and commits it.
    pub fn commit_symlink(&self, link: &str, target: &str) -> String {
        let path = self.path().join(link);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, &path).unwrap();
        self.commit(&[], &format!("link {link}"))
    }

    /// The current commit id.
    pub fn head(&self) -> String {
        git(&self.path(), &["rev-parse", "HEAD"])
    }

    /// Runs git in the repository.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.path(), args)
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port`, or panics after 10 s.
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed when dropped.
pub struct Daemon(pub std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
