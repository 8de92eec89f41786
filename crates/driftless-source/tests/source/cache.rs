//! The artifact cache as the controller sees it: shared, bounded, crash-safe.

use crate::support::Upstream;
use crate::{open_repo, read, source_with};
use driftless_source::{Source, SourceConfig};

#[tokio::test]
async fn artifacts_past_the_budget_are_evicted_unless_held() {
    let upstream = Upstream::new();
    let url = format!("file://{}", upstream.path().display());
    let (source, _dir) = source_with(|c| c.cache_budget_bytes = 15_000);
    let repo = open_repo(&url);
    let (_, held) = source.fetch(&repo, "main").await.unwrap();
    upstream.commit(&[("a.bin", &"a".repeat(10_000))], "a");
    let (first, dropped) = source.fetch(&repo, "main").await.unwrap();
    let dropped_path = dropped.path().to_path_buf();
    drop(dropped);
    upstream.commit(&[("b.bin", &"b".repeat(10_000))], "b");
    let (_, newest) = source.fetch(&repo, "main").await.unwrap();
    assert!(
        !dropped_path.exists(),
        "the least recently used artifact nobody holds is evicted"
    );
    assert_eq!(
        read(&held, "app/config.yaml"),
        "replicas: 1\n",
        "a held artifact stays"
    );
    assert_eq!(read(&newest, "b.bin").len(), 10_000);
    let (_, again) = source.fetch(&repo, &first.id.to_string()).await.unwrap();
    assert_eq!(
        read(&again, "a.bin").len(),
        10_000,
        "an evicted commit is checked out again on demand"
    );
}

#[tokio::test]
async fn a_restarted_source_reuses_artifacts_and_drops_half_written_ones() {
    let upstream = Upstream::new();
    let repo = open_repo(&upstream.path().to_string_lossy());
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let path = {
        let source = Source::open(SourceConfig::new(&cache)).unwrap();
        let (_, artifact) = source.fetch(&repo, "main").await.unwrap();
        artifact.path().to_path_buf()
    };
    let half = path.with_file_name(".tmp-deadbeef-crashed");
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join("partial.yaml"), "x").unwrap();
    let source = Source::open(SourceConfig::new(&cache)).unwrap();
    assert!(
        !half.exists(),
        "a crash's staging directory is removed at start-up"
    );
    let (_, artifact) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(artifact.path(), path);
    assert_eq!(
        source
            .stats()
            .fetches
            .load(std::sync::atomic::Ordering::Relaxed),
        0,
        "nothing is fetched again"
    );
}
