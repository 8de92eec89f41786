//! What a poll costs, counted on the server: one listing and one fetch for many apps, and a
//! no-change poll that downloads nothing.

use crate::support::http::{Auth, GitHttpServer, Kind};
use crate::support::Upstream;
use crate::{open_repo, source};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_apps_on_one_repository_cause_one_listing_and_one_fetch() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, _dir) = source();
    let repo = Arc::new(open_repo(&server.url("repo")));
    let start = Arc::new(tokio::sync::Barrier::new(50));
    let apps: Vec<_> = (0..50)
        .map(|_| {
            let (source, repo, start) = (source.clone(), repo.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                source.fetch(&repo, "main").await.unwrap()
            })
        })
        .collect();
    let mut paths = std::collections::BTreeSet::new();
    for app in apps {
        paths.insert(app.await.unwrap().1.path().to_path_buf());
    }
    assert_eq!(paths.len(), 1, "every app gets the same artifact");
    assert_eq!(
        server.count(Kind::LsRefs),
        1,
        "one ref listing: {:?}",
        server.log()
    );
    assert_eq!(
        server.count(Kind::Advertisement),
        2,
        "one ls-remote and one fetch: {:?}",
        server.log()
    );
    assert!(server.count(Kind::Fetch) >= 1);
    assert_eq!(source.stats().fetches.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn no_change_poll_lists_refs_and_downloads_nothing() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, _dir) = source();
    let repo = open_repo(&server.url("repo"));
    let (first, _) = source.fetch(&repo, "main").await.unwrap();
    server.clear_log();
    let (again, _) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(again.id, first.id);
    let kinds: Vec<Kind> = server.log().iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [Kind::Advertisement, Kind::LsRefs],
        "a no-change poll only lists refs"
    );
}

#[tokio::test]
async fn a_new_commit_fetches_only_that_commit() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, _dir) = source();
    let repo = open_repo(&server.url("repo"));
    source.fetch(&repo, "main").await.unwrap();
    upstream.commit(&[("b.yaml", "b: 1\n")], "second");
    server.clear_log();
    source.fetch(&repo, "main").await.unwrap();
    assert_eq!(server.count(Kind::LsRefs), 1);
    assert_eq!(
        server.count(Kind::Advertisement),
        2,
        "one listing and one fetch: {:?}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_within_the_max_age_reuse_one_listing_and_a_fresh_resolve_lists_again() {
    let upstream = Upstream::new();
    let server = GitHttpServer::start(&upstream.root, Auth::default());
    let (source, _dir) = source();
    let repo = open_repo(&server.url("repo"));
    let max_age = std::time::Duration::from_secs(60);
    let first = source.resolve_within(&repo, "main", max_age).await.unwrap();
    let second = source.resolve_within(&repo, "main", max_age).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(server.count(Kind::LsRefs), 1, "{:?}", server.log());
    source.resolve(&repo, "main").await.unwrap();
    assert_eq!(
        server.count(Kind::LsRefs),
        2,
        "a fresh resolve lists: {:?}",
        server.log()
    );
    source.resolve_within(&repo, "main", max_age).await.unwrap();
    assert_eq!(server.count(Kind::LsRefs), 2, "{:?}", server.log());
}
