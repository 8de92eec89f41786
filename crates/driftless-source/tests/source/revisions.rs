//! Branches, tags, semver ranges, commits and refs resolve as users expect, and new or rewritten
//! history is followed.

use crate::support::daemon::GitDaemon;
use crate::support::Upstream;
use crate::{open_repo, read, source};

#[tokio::test]
async fn new_commit_is_picked_up_and_old_artifact_kept() {
    let upstream = Upstream::new();
    let daemon = GitDaemon::start(&upstream.root);
    let (source, _dir) = source();
    let repo = open_repo(&daemon.url("repo"));
    let (first, old) = source.fetch(&repo, "main").await.unwrap();
    let second = upstream.commit(&[("app/config.yaml", "replicas: 2\n")], "scale");
    let (commit, new) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(commit.id.as_str(), second);
    assert_ne!(commit.id, first.id);
    assert_eq!(read(&new, "app/config.yaml"), "replicas: 2\n");
    assert_eq!(
        read(&old, "app/config.yaml"),
        "replicas: 1\n",
        "artifacts are immutable"
    );
}

#[tokio::test]
async fn force_push_is_followed() {
    let upstream = Upstream::new();
    let base = upstream.head();
    let daemon = GitDaemon::start(&upstream.root);
    let (source, _dir) = source();
    let repo = open_repo(&daemon.url("repo"));
    let doomed = upstream.commit(&[("app/config.yaml", "replicas: 9\n")], "doomed");
    assert_eq!(
        source.resolve(&repo, "main").await.unwrap().id.as_str(),
        doomed
    );
    source.fetch(&repo, "main").await.unwrap();
    upstream.git(&["reset", "-q", "--hard", &base]);
    let rewritten = upstream.commit(&[("app/other.yaml", "x: 1\n")], "rewritten");
    let (commit, artifact) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(commit.id.as_str(), rewritten);
    assert_eq!(read(&artifact, "app/config.yaml"), "replicas: 1\n");
    assert_eq!(read(&artifact, "app/other.yaml"), "x: 1\n");
}

#[tokio::test]
async fn tags_and_semver_ranges() {
    let upstream = Upstream::new();
    let mut commits = std::collections::HashMap::new();
    for (tag, annotated) in [
        ("v1.2.0", false),
        ("v1.4.1", true),
        ("1.5.0", false),
        ("v2.0.0", true),
        ("v2.1.0-rc.1", false),
    ] {
        let id = upstream.commit(&[("version", tag)], tag);
        if annotated {
            upstream.git(&["tag", "-a", "-m", tag, tag]);
        } else {
            upstream.git(&["tag", tag]);
        }
        commits.insert(tag, id);
    }
    let daemon = GitDaemon::start(&upstream.root);
    let (source, _dir) = source();
    let repo = open_repo(&daemon.url("repo"));
    for (revision, tag) in [
        ("v1.4.1", "v1.4.1"),
        (">=1.2.0 <2.0.0", "1.5.0"),
        ("~1.4", "v1.4.1"),
        ("^2", "v2.0.0"),
        (">=1.0.0", "v2.0.0"),
        ("v1.x", "1.5.0"),
    ] {
        let commit = source.resolve(&repo, revision).await.unwrap();
        assert_eq!(
            commit.id.as_str(),
            commits[tag],
            "{revision} should pick {tag}"
        );
    }
    let (_, artifact) = source.fetch(&repo, "~1.4").await.unwrap();
    assert_eq!(
        read(&artifact, "version"),
        "v1.4.1",
        "annotated tags are peeled to their commit"
    );
}

#[tokio::test]
async fn head_commits_abbreviations_and_pull_refs() {
    let upstream = Upstream::new();
    let old = upstream.head();
    let pull = upstream.commit(&[("pr.txt", "proposed")], "pr");
    upstream.git(&["update-ref", "refs/pull/7/head", &pull]);
    upstream.git(&["reset", "-q", "--hard", &old]);
    let tip = upstream.commit(&[("tip.txt", "tip")], "tip");
    let middle = upstream.commit(&[("more.txt", "more")], "more");
    let tip_now = upstream.commit(&[], "tip again");
    let daemon = GitDaemon::start(&upstream.root);
    let (source, _dir) = source();
    let repo = open_repo(&daemon.url("repo"));

    assert_eq!(
        source.resolve(&repo, "HEAD").await.unwrap().id.as_str(),
        tip_now
    );
    assert_eq!(
        source.resolve(&repo, "").await.unwrap().id.as_str(),
        tip_now
    );
    let (commit, artifact) = source.fetch(&repo, "refs/pull/7/head").await.unwrap();
    assert_eq!(commit.id.as_str(), pull);
    assert_eq!(read(&artifact, "pr.txt"), "proposed");

    let (commit, artifact) = source.fetch(&repo, &tip).await.unwrap();
    assert_eq!(
        commit.id.as_str(),
        tip,
        "a full id that is no ref's tip is fetched by id"
    );
    assert_eq!(read(&artifact, "tip.txt"), "tip");
    assert!(!artifact.path().join("more.txt").exists());

    let (commit, artifact) = source.fetch(&repo, &middle[..8]).await.unwrap();
    assert_eq!(
        commit.id.as_str(),
        middle,
        "an abbreviated id is found in the history"
    );
    assert_eq!(read(&artifact, "more.txt"), "more");
    let commit = source.resolve(&repo, &tip_now[..10]).await.unwrap();
    assert_eq!(
        commit.id.as_str(),
        tip_now,
        "an abbreviated tip is found among the refs"
    );
}
