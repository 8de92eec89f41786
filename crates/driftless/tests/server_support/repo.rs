//! A local Git repository the diff test commits manifests to (the small part of the sync
//! tests' repository helper that these tests need).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs git in `dir` with a fixed identity; panics with git's message on failure.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
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

/// A Git repository on branch `main` in a temporary directory.
pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// An empty repository on branch `main`.
    pub fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        git(repo.dir.path(), &["init", "-q", "-b", "main"]);
        repo
    }

    /// The repoURL naming the repository by its directory.
    pub fn url(&self) -> String {
        self.path().display().to_string()
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Writes `contents` at `file` and commits everything; returns the commit id.
    pub fn commit(&self, file: &str, contents: &str) -> String {
        let path = self.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        git(&self.path(), &["add", "-A"]);
        git(&self.path(), &["commit", "-q", "-m", file]);
        git(&self.path(), &["rev-parse", "HEAD"])
    }
}
