//! Every transport delivers the same commit as a read-only artifact.

use crate::support::daemon::GitDaemon;
use crate::support::http::{Auth, GitHttpServer};
use crate::support::sshd::Sshd;
use crate::support::Upstream;
use crate::{open_repo, read, source};
use driftless_source::{Credentials, Repository};

async fn assert_fetches_head(url: &str, credentials: Credentials, upstream: &Upstream) {
    let (source, _dir) = source();
    let repo = Repository::new(url, credentials).unwrap();
    let (commit, artifact) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(commit.id.as_str(), upstream.head());
    assert_eq!(commit.reference.as_deref(), Some("refs/heads/main"));
    assert_eq!(read(&artifact, "app/config.yaml"), "replicas: 1\n");
    assert!(artifact
        .path()
        .ends_with(format!("{}/{}", repo.url().id(), commit.id)));
    let meta = std::fs::metadata(artifact.path().join("app/config.yaml")).unwrap();
    assert!(
        meta.permissions().readonly(),
        "artifact files are read-only"
    );
    assert!(std::fs::metadata(artifact.path())
        .unwrap()
        .permissions()
        .readonly());
    assert!(
        !artifact.path().join(".git").exists(),
        "an artifact is a tree, not a repository"
    );
}

#[tokio::test]
async fn git_daemon() {
    let upstream = Upstream::new();
    let daemon = GitDaemon::start(&upstream.root);
    assert_fetches_head(&daemon.url("repo"), Credentials::default(), &upstream).await;
}

#[tokio::test]
async fn smart_http_with_basic_auth() {
    let upstream = Upstream::new();
    let auth = Auth {
        basic: Some(("bot".into(), "s3cret-pw".into())),
        bearer: None,
    };
    let server = GitHttpServer::start(&upstream.root, auth);
    let credentials = Credentials {
        username: Some("bot".into()),
        password: Some("s3cret-pw".into()),
        ..Default::default()
    };
    assert_fetches_head(&server.url("repo"), credentials, &upstream).await;
}

#[tokio::test]
async fn smart_http_with_bearer_token() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(
        &upstream.root,
        Auth {
            basic: None,
            bearer: Some("tok-123".into()),
        },
    );
    let credentials = Credentials {
        bearer_token: Some("tok-123".into()),
        ..Default::default()
    };
    assert_fetches_head(&server.url("repo"), credentials, &upstream).await;
}

#[tokio::test]
async fn file_url_and_plain_path_share_one_artifact() {
    let upstream = Upstream::new();
    let (source, _dir) = source();
    let by_url = open_repo(&format!("file://{}", upstream.path().display()));
    let by_path = open_repo(&upstream.path().to_string_lossy());
    let (_, a) = source.fetch(&by_url, "HEAD").await.unwrap();
    let (_, b) = source.fetch(&by_path, "HEAD").await.unwrap();
    assert_eq!(a.path(), b.path());
    assert_eq!(read(&b, "app/config.yaml"), "replicas: 1\n");
    assert_eq!(
        source
            .stats()
            .checkouts
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn ssh_with_key_and_strict_known_hosts() {
    let upstream = Upstream::new();
    let sshd = Sshd::start("");
    let credentials = Credentials {
        identity: Some(sshd.client_key.clone()),
        known_hosts: Some(sshd.known_hosts.clone()),
        ..Default::default()
    };
    assert_fetches_head(&sshd.url(&upstream.path()), credentials.clone(), &upstream).await;
    assert_fetches_head(&sshd.scp_url(&upstream.path()), credentials, &upstream).await;
}

#[tokio::test]
async fn ssh_with_passphrase_protected_key() {
    let upstream = Upstream::new();
    let sshd = Sshd::start("open sesame");
    let credentials = Credentials {
        identity: Some(sshd.client_key.clone()),
        password: Some("open sesame".into()),
        known_hosts: Some(sshd.known_hosts.clone()),
        ..Default::default()
    };
    assert_fetches_head(&sshd.url(&upstream.path()), credentials, &upstream).await;
}
