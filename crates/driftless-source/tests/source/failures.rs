//! Each kind of failure gives its own typed error, leaves no half checkout behind, and keeps the
//! last good artifact usable.

use crate::support::daemon::GitDaemon;
use crate::support::http::{silent_server, Auth, Fault, GitHttpServer};
use crate::support::sshd::Sshd;
use crate::support::{free_port, Upstream};
use crate::{open_repo, read, source, source_with};
use driftless_source::{
    CheckoutError, Credentials, GitError, Limits, Repository, RevisionError, SourceError,
};
use std::time::{Duration, Instant};

fn artifact_dirs(cache: &std::path::Path) -> Vec<String> {
    let mut names = Vec::new();
    for repo in std::fs::read_dir(cache.join("cache/artifacts"))
        .unwrap()
        .flatten()
    {
        for entry in std::fs::read_dir(repo.path()).unwrap().flatten() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names
}

#[tokio::test]
async fn unreachable_host() {
    let (source, _dir) = source();
    for url in [
        format!("http://127.0.0.1:{}/repo", free_port()),
        format!("git://127.0.0.1:{}/repo", free_port()),
    ] {
        let err = source.resolve(&open_repo(&url), "main").await.unwrap_err();
        assert!(
            matches!(err, SourceError::Git(GitError::Unreachable { .. })),
            "{url}: {err:?}"
        );
        assert!(err.is_transient());
    }
}

#[tokio::test]
async fn refused_credentials_are_not_echoed() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(
        &upstream.root,
        Auth {
            basic: Some(("bot".into(), "right".into())),
            bearer: None,
        },
    );
    let (source, _dir) = source();
    let wrong = Credentials {
        username: Some("bot".into()),
        password: Some("wrong-pass".into()),
        ..Default::default()
    };
    for credentials in [wrong, Credentials::default()] {
        let repo = Repository::new(&server.url("repo"), credentials).unwrap();
        let err = source.resolve(&repo, "main").await.unwrap_err();
        assert!(
            matches!(err, SourceError::Git(GitError::AuthenticationFailed { .. })),
            "{err:?}"
        );
        assert!(
            !err.to_string().contains("wrong-pass") && !format!("{err:?}").contains("wrong-pass")
        );
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn ssh_host_key_is_checked_strictly() {
    let upstream = Upstream::new();
    let sshd = Sshd::start("");
    let other = Sshd::start("");
    let (source, _dir) = source();
    let url = sshd.url(&upstream.path());
    let wrong_key = other
        .known_hosts
        .replace(&format!(":{}]", other.port), &format!(":{}]", sshd.port));
    for known_hosts in [None, Some(wrong_key)] {
        let credentials = Credentials {
            identity: Some(sshd.client_key.clone()),
            known_hosts,
            ..Default::default()
        };
        let err = source
            .resolve(&Repository::new(&url, credentials).unwrap(), "main")
            .await
            .unwrap_err();
        assert!(
            matches!(err, SourceError::Git(GitError::HostKeyRejected { .. })),
            "{err:?}"
        );
    }
    let insecure = Credentials {
        identity: Some(sshd.client_key.clone()),
        insecure_skip_host_key_check: true,
        ..Default::default()
    };
    source
        .resolve(&Repository::new(&url, insecure).unwrap(), "main")
        .await
        .expect("host key check can be switched off explicitly");
    let refused = Credentials {
        identity: Some(other.client_key.clone()),
        known_hosts: Some(sshd.known_hosts.clone()),
        ..Default::default()
    };
    let err = source
        .resolve(&Repository::new(&url, refused).unwrap(), "main")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Git(GitError::AuthenticationFailed { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn missing_repository_and_unknown_revisions() {
    let upstream = Upstream::new();
    let daemon = GitDaemon::start(&upstream.root);
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, _dir) = source();
    for url in [daemon.url("nope"), server.url("nope")] {
        let err = source.resolve(&open_repo(&url), "main").await.unwrap_err();
        assert!(
            matches!(err, SourceError::Git(GitError::RepositoryNotFound { .. })),
            "{url}: {err:?}"
        );
    }
    let repo = open_repo(&daemon.url("repo"));
    let err = source.resolve(&repo, "no-such-branch").await.unwrap_err();
    assert!(
        matches!(err, SourceError::Revision(RevisionError::NotFound { .. })),
        "{err:?}"
    );
    let err = source.resolve(&repo, ">=9.0.0").await.unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::Revision(RevisionError::NoMatchingTag { .. })
        ),
        "{err:?}"
    );
    let err = source
        .fetch(&repo, &"1234abcd".repeat(5))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Git(GitError::UnknownRevision { .. })),
        "{err:?}"
    );
    let err = source.resolve(&repo, "deadbeef").await.unwrap_err();
    assert!(
        matches!(err, SourceError::Revision(RevisionError::NotFound { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn corrupt_or_truncated_pack_is_reported_and_last_good_artifact_stays() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, dir) = source();
    let repo = open_repo(&server.url("repo"));
    let (_, good) = source.fetch(&repo, "main").await.unwrap();
    upstream.commit(&[("big.bin", &"z".repeat(200_000))], "big");
    for fault in [Fault::TruncatePack, Fault::CorruptPack] {
        server.set_fault(fault);
        let err = source.fetch(&repo, "main").await.unwrap_err();
        assert!(
            matches!(err, SourceError::Git(GitError::CorruptPack { .. })),
            "{fault:?}: {err:?}"
        );
        assert!(err.is_transient());
        assert_eq!(
            read(&good, "app/config.yaml"),
            "replicas: 1\n",
            "the last good artifact is intact"
        );
        assert_eq!(
            artifact_dirs(dir.path()).len(),
            1,
            "no half checkout is left"
        );
    }
    server.set_fault(Fault::None);
    let (_, fresh) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(
        read(&fresh, "big.bin").len(),
        200_000,
        "the mirror recovers from the broken transfers"
    );
}

#[tokio::test]
async fn fetch_timeout_kills_git() {
    let port = silent_server();
    let (source, _dir) = source_with(|c| c.fetch_timeout = Duration::from_millis(800));
    let started = Instant::now();
    let err = source
        .resolve(&open_repo(&format!("http://127.0.0.1:{port}/repo")), "main")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Git(GitError::TimedOut { .. })),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn size_and_file_count_limits() {
    let upstream = Upstream::new();
    upstream.commit(
        &[("a.yaml", "a: 1\n"), ("b.yaml", &"b".repeat(5000))],
        "more",
    );
    let url = format!("file://{}", upstream.path().display());
    let (source, dir) = source_with(|c| {
        c.limits = Limits {
            max_bytes: 1 << 20,
            max_files: 2,
        }
    });
    let err = source.fetch(&open_repo(&url), "main").await.unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::Checkout(CheckoutError::TooManyFiles {
                count: 3,
                limit: 2,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(artifact_dirs(dir.path()).is_empty());
    let (source, dir) = source_with(|c| {
        c.limits = Limits {
            max_bytes: 1000,
            max_files: 100,
        }
    });
    let err = source.fetch(&open_repo(&url), "main").await.unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::Checkout(CheckoutError::TooLarge { limit: 1000, .. })
        ),
        "{err:?}"
    );
    assert!(artifact_dirs(dir.path()).is_empty());
}

#[tokio::test]
async fn symlinks_out_of_the_checkout_are_refused() {
    let upstream = Upstream::new();
    upstream.commit_symlink("app/inside", "config.yaml");
    let url = format!("file://{}", upstream.path().display());
    let (source, _dir) = source();
    let (_, artifact) = source.fetch(&open_repo(&url), "main").await.unwrap();
    assert_eq!(read(&artifact, "app/inside"), "replicas: 1\n");
    assert!(
        std::fs::symlink_metadata(artifact.path().join("app/inside"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    upstream.commit_symlink("app/escape", "../../../etc/passwd");
    let err = source.fetch(&open_repo(&url), "main").await.unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::Checkout(CheckoutError::SymlinkEscapes { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("app/escape"), "{err}");
}

#[tokio::test]
async fn locks_left_by_a_killed_fetch_are_cleared() {
    let upstream = Upstream::new();
    let url = format!("file://{}", upstream.path().display());
    let (source, dir) = source();
    let repo = open_repo(&url);
    source.fetch(&repo, "main").await.unwrap();
    let mirror = dir
        .path()
        .join(format!("cache/mirrors/{}.git", repo.url().id()));
    std::fs::write(mirror.join("shallow.lock"), "").unwrap();
    std::fs::write(mirror.join("refs/driftless/last.lock"), "").unwrap();
    upstream.commit(&[("next.yaml", "n: 1\n")], "next");
    let (_, artifact) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(read(&artifact, "next.yaml"), "n: 1\n");
}
