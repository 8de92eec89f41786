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
    assert!(source.cache_bytes() <= 20_100, "{}", source.cache_bytes());
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

#[tokio::test]
async fn unchanged_files_are_shared_with_the_previous_artifact() {
    use std::os::unix::fs::MetadataExt;
    let upstream = Upstream::new();
    upstream.commit(
        &[("keep.yaml", "k: 1\n"), ("bin/run.sh", "#!/bin/sh\n")],
        "files",
    );
    let script = upstream.path().join("bin/run.sh");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    upstream.commit(&[], "exec");
    let url = format!("file://{}", upstream.path().display());
    let (source, _dir) = source_with(|_| {});
    let repo = open_repo(&url);
    let (_, old) = source.fetch(&repo, "main").await.unwrap();
    upstream.commit(&[("app/config.yaml", "replicas: 3\n")], "scale");
    let (_, new) = source.fetch(&repo, "main").await.unwrap();
    let inode = |a: &driftless_source::Artifact, p: &str| {
        std::fs::metadata(a.path().join(p)).unwrap().ino()
    };
    assert_eq!(
        inode(&old, "keep.yaml"),
        inode(&new, "keep.yaml"),
        "an unchanged file is hard-linked"
    );
    assert_eq!(inode(&old, "bin/run.sh"), inode(&new, "bin/run.sh"));
    assert_ne!(
        inode(&old, "app/config.yaml"),
        inode(&new, "app/config.yaml")
    );
    assert_eq!(
        read(&old, "app/config.yaml"),
        "replicas: 1\n",
        "the earlier artifact is unchanged"
    );
    assert_eq!(read(&new, "app/config.yaml"), "replicas: 3\n");
    let mode = std::fs::metadata(new.path().join("bin/run.sh"))
        .unwrap()
        .mode();
    assert_eq!(mode & 0o777, 0o555, "executable bit kept, read-only");
}

#[tokio::test]
async fn mirror_is_repacked_past_the_pack_limit_and_keeps_working() {
    let upstream = Upstream::new();
    let url = format!("file://{}", upstream.path().display());
    let (source, dir) = source_with(|c| c.mirror_pack_limit = 2);
    let repo = open_repo(&url);
    let packs = || {
        let pack_dir = dir.path().join(format!(
            "cache/mirrors/{}.git/objects/pack",
            repo.url().id()
        ));
        std::fs::read_dir(pack_dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "pack"))
            .count()
    };
    let mut most = 0;
    for n in 0..5 {
        upstream.commit(&[(&format!("f{n}.yaml"), "x: 1\n")], "next");
        let (_, artifact) = source.fetch(&repo, "main").await.unwrap();
        assert_eq!(read(&artifact, &format!("f{n}.yaml")), "x: 1\n");
        most = most.max(packs());
    }
    assert!(
        most <= 2,
        "at most the limit of packs stays after a fetch, saw {most}"
    );
    upstream.commit(&[("last.yaml", "y: 2\n")], "last");
    let (_, artifact) = source.fetch(&repo, "main").await.unwrap();
    assert_eq!(
        read(&artifact, "f0.yaml"),
        "x: 1\n",
        "history the repack dropped is not needed"
    );
    assert_eq!(read(&artifact, "last.yaml"), "y: 2\n");
}
