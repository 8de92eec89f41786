//! The render cache: a second render of an unchanged source is a lookup.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{fixture, spec};
use driftless_render::{
    CacheStats, HelmCommand, KustomizeCommand, Release, RenderCache, RenderRequest, Renderer,
};

fn cached_renderer() -> Renderer {
    Renderer::new(
        Arc::new(KustomizeCommand::from_path(Duration::from_secs(30))),
        HelmCommand::new(None, Duration::from_secs(1)),
        Some(RenderCache::new(8)),
    )
}

#[test]
fn second_render_of_same_commit_is_a_hit_returning_the_same_result() {
    let renderer = cached_renderer();
    let source = spec("overlays/prod");
    let checkout = fixture("kustomize");
    let first = renderer
        .render(&RenderRequest::new(&checkout, "c1", &source))
        .unwrap();
    let second = renderer
        .render(&RenderRequest::new(&checkout, "c1", &source))
        .unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    let stats = renderer.cache().unwrap().stats();
    assert_eq!(
        stats,
        CacheStats {
            hits: 1,
            misses: 1,
            entries: 1
        }
    );
}

#[test]
fn another_commit_or_path_renders_again() {
    let renderer = cached_renderer();
    let checkout = fixture("plain");
    let source = spec("app");
    renderer
        .render(&RenderRequest::new(&checkout, "c1", &source))
        .unwrap();
    renderer
        .render(&RenderRequest::new(&checkout, "c2", &source))
        .unwrap();
    renderer
        .render(&RenderRequest::new(&checkout, "c2", &spec("app/nested")))
        .unwrap();
    assert_eq!(renderer.cache().unwrap().stats().misses, 3);
}

#[test]
fn errors_are_not_cached() {
    let renderer = cached_renderer();
    let checkout = fixture("broken");
    let source = spec("duplicate");
    assert!(renderer
        .render(&RenderRequest::new(&checkout, "c1", &source))
        .is_err());
    assert!(renderer
        .render(&RenderRequest::new(&checkout, "c1", &source))
        .is_err());
    assert_eq!(
        renderer.cache().unwrap().stats(),
        CacheStats {
            hits: 0,
            misses: 2,
            entries: 0
        }
    );
}

#[test]
fn renderer_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Renderer>();
    let renderer = Arc::new(cached_renderer());
    let checkout = fixture("plain");
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                renderer
                    .render(&RenderRequest::new(&checkout, "c1", &spec("app")))
                    .unwrap();
            });
        }
    });
    let stats = renderer.cache().unwrap().stats();
    assert_eq!(stats.hits + stats.misses, 4);
    assert_eq!(stats.entries, 1);
}

#[test]
fn applications_that_differ_only_in_release_share_the_render_of_a_plain_directory() {
    let renderer = cached_renderer();
    let checkout = fixture("kustomize");
    let source = spec("overlays/prod");
    for name in ["shop", "shop-eu", "shop-us"] {
        let request = RenderRequest {
            release: Release {
                name,
                namespace: name,
            },
            ..RenderRequest::new(&checkout, "c1", &source)
        };
        renderer.render(&request).unwrap();
    }
    let stats = renderer.cache().unwrap().stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 2, 1));
}
