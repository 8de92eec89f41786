//! Following the demo's own repository: the commit of `main` is read from the ref files every
//! 200 ms, and a new one refreshes every Application that follows the repository, so that a
//! commit is applied within a second without a Git host to send a webhook.

use std::path::{Path, PathBuf};
use std::time::Duration;

use driftless::controller::{Hub, Trigger};
use driftless_core::application::Application;
use kube::api::{Api, ListParams};

/// How often the branch is read.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The commit `refs/heads/<branch>` points at in the repository whose Git directory is
/// `git_dir`: the loose ref file if there is one, else its line in `packed-refs`. `None` when
/// the branch does not exist (or is being written at this instant).
pub fn read_branch(git_dir: &Path, branch: &str) -> Option<String> {
    let name = format!("refs/heads/{branch}");
    if let Ok(text) = std::fs::read_to_string(git_dir.join(&name)) {
        return commit_id(text.trim()).map(str::to_owned);
    }
    let packed = std::fs::read_to_string(git_dir.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (id, reference) = line.split_once(' ')?;
        (reference.trim() == name)
            .then(|| commit_id(id))
            .flatten()
            .map(str::to_owned)
    })
}

/// `text` when it is an object id (40 or 64 hex digits).
fn commit_id(text: &str) -> Option<&str> {
    ((text.len() == 40 || text.len() == 64) && text.chars().all(|c| c.is_ascii_hexdigit()))
        .then_some(text)
}

/// Watches the branch of the repository at `worktree` until the task is dropped.
pub struct RepoWatch {
    /// The repository's Git directory.
    pub git_dir: PathBuf,
    /// The branch followed.
    pub branch: String,
    /// The repoURL the demo's Applications carry.
    pub repo_url: String,
    /// The namespace of the Applications.
    pub namespace: String,
}

impl RepoWatch {
    /// Polls the branch forever; on every new commit refreshes the Applications in
    /// `namespace` whose `spec.source.repoURL` is `repo_url`.
    pub async fn run(self, hub: Hub) {
        let mut seen = read_branch(&self.git_dir, &self.branch);
        let mut ticker = tokio::time::interval(POLL_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let Some(commit) = read_branch(&self.git_dir, &self.branch) else {
                continue;
            };
            if seen.as_deref() == Some(commit.as_str()) {
                continue;
            }
            tracing::info!(revision = %commit, branch = %self.branch, "new commit in the demo repository");
            match self.refresh_all(&hub).await {
                Ok(()) => seen = Some(commit),
                Err(error) => {
                    // Tried again on the next tick, as the commit is still unseen.
                    tracing::warn!(%error, "refreshing the demo applications failed");
                }
            }
        }
    }

    async fn refresh_all(&self, hub: &Hub) -> anyhow::Result<()> {
        let apps = Api::<Application>::namespaced(hub.client().clone(), &self.namespace)
            .list(&ListParams::default())
            .await?;
        for app in apps.items {
            if app.spec.source.repo_url != self.repo_url {
                continue;
            }
            let Some(name) = app.metadata.name.as_deref() else {
                continue;
            };
            hub.refresh(&self.namespace, name, Trigger::Webhook).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "4f1c5e6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4";
    const B: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_loose_ref_wins_over_packed_refs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("refs/heads")).unwrap();
        std::fs::write(dir.path().join("refs/heads/main"), format!("{A}\n")).unwrap();
        std::fs::write(
            dir.path().join("packed-refs"),
            format!("# pack-refs with: peeled fully-peeled sorted \n{B} refs/heads/main\n"),
        )
        .unwrap();
        assert_eq!(read_branch(dir.path(), "main").as_deref(), Some(A));
    }

    #[test]
    fn a_packed_ref_is_found_by_its_exact_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("packed-refs"),
            format!(
                "# pack-refs with: peeled fully-peeled sorted \n{A} refs/heads/main-old\n{B} refs/heads/main\n^{A}\n"
            ),
        )
        .unwrap();
        assert_eq!(read_branch(dir.path(), "main").as_deref(), Some(B));
        assert_eq!(read_branch(dir.path(), "other"), None);
    }

    #[test]
    fn a_missing_or_half_written_ref_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_branch(dir.path(), "main"), None);
        std::fs::create_dir_all(dir.path().join("refs/heads")).unwrap();
        std::fs::write(dir.path().join("refs/heads/main"), "4f1c").unwrap();
        assert_eq!(read_branch(dir.path(), "main"), None);
    }

    #[test]
    fn a_commit_made_with_git_is_read_and_a_new_one_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        crate::cli::demo::sample::ensure_repository(&repo).unwrap();
        let rev_parse = || {
            let out = std::process::Command::new("git")
                .args(["rev-parse", "main"])
                .current_dir(&repo)
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        };
        let first = read_branch(&repo.join(".git"), "main").unwrap();
        assert_eq!(first, rev_parse());
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(args)
                .current_dir(&repo)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@t")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@t")
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        git(&["pack-refs", "--all"]);
        assert_eq!(read_branch(&repo.join(".git"), "main").unwrap(), first);
        git(&["commit", "-q", "--allow-empty", "-m", "next"]);
        let second = read_branch(&repo.join(".git"), "main").unwrap();
        assert_ne!(second, first);
        assert_eq!(second, rev_parse());
    }
}
