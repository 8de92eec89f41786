//! The controller's Prometheus metrics: reconcile durations and syncs by result, each
//! Application's sync status and health, git fetch durations, queue depth and every request
//! made to a Kubernetes API (counted by a layer on the client, so nothing escapes the count).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::Request;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// The sync statuses an Application can report, one gauge series each.
const SYNC_STATUSES: [&str; 3] = ["Synced", "OutOfSync", "Unknown"];
/// The health statuses an Application can report, one gauge series each.
const HEALTH_STATUSES: [&str; 6] = [
    "Healthy",
    "Suspended",
    "Progressing",
    "Missing",
    "Degraded",
    "Unknown",
];

/// Every metric the controller exports. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Metrics {
    registry: Registry,
    reconcile_duration: Family<Labels, Histogram, fn() -> Histogram>,
    syncs: Family<Labels, Counter>,
    app_sync: Family<Labels, Gauge>,
    app_health: Family<Labels, Gauge>,
    git_fetch_duration: Histogram,
    queue_depth: Gauge,
    api_requests: Family<Labels, Counter>,
    writes: Arc<AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("driftless");
        let reconcile_duration: Family<Labels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        let syncs = Family::<Labels, Counter>::default();
        let app_sync = Family::<Labels, Gauge>::default();
        let app_health = Family::<Labels, Gauge>::default();
        let git_fetch_duration = duration_histogram();
        let queue_depth = Gauge::default();
        let api_requests = Family::<Labels, Counter>::default();
        registry.register(
            "reconcile_duration_seconds",
            "Time one reconcile of an Application took, by result",
            reconcile_duration.clone(),
        );
        registry.register(
            "syncs",
            "Syncs that applied or pruned something, by result",
            syncs.clone(),
        );
        registry.register(
            "app_sync_status",
            "1 for the sync status each Application reports",
            app_sync.clone(),
        );
        registry.register(
            "app_health_status",
            "1 for the health status each Application reports",
            app_health.clone(),
        );
        registry.register(
            "git_fetch_duration_seconds",
            "Time to resolve and fetch a revision",
            git_fetch_duration.clone(),
        );
        registry.register(
            "queue_depth",
            "Applications waiting for a reconcile",
            queue_depth.clone(),
        );
        registry.register(
            "kube_api_requests",
            "Requests to Kubernetes APIs, by verb",
            api_requests.clone(),
        );
        Self {
            registry,
            reconcile_duration,
            syncs,
            app_sync,
            app_health,
            git_fetch_duration,
            queue_depth,
            api_requests,
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Records one reconcile and how it ended (`success`, `error`, `stalled`, ...).
    pub fn observe_reconcile(&self, result: &str, took: Duration) {
        self.reconcile_duration
            .get_or_create(&vec![("result".to_owned(), result.to_owned())])
            .observe(took.as_secs_f64());
    }

    /// Counts one sync that operated (`succeeded` or `failed`).
    pub fn count_sync(&self, result: &str) {
        self.syncs
            .get_or_create(&vec![("result".to_owned(), result.to_owned())])
            .inc();
    }

    /// Sets the sync status and health gauges of one Application: 1 for the current value, 0
    /// for the others, so a dashboard can sum by status.
    pub fn set_app_status(&self, namespace: &str, name: &str, sync: &str, health: &str) {
        set_one_hot(&self.app_sync, namespace, name, &SYNC_STATUSES, sync);
        set_one_hot(&self.app_health, namespace, name, &HEALTH_STATUSES, health);
    }

    /// Drops the gauges of an Application that no longer exists.
    pub fn forget_app(&self, namespace: &str, name: &str) {
        for status in SYNC_STATUSES {
            self.app_sync.remove(&app_labels(namespace, name, status));
        }
        for status in HEALTH_STATUSES {
            self.app_health.remove(&app_labels(namespace, name, status));
        }
    }

    /// Records one resolve-and-fetch of a revision.
    pub fn observe_git_fetch(&self, took: Duration) {
        self.git_fetch_duration.observe(took.as_secs_f64());
    }

    /// Sets how many Applications wait for a reconcile.
    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
    }

    /// Counts one request to a Kubernetes API: `verb` is get, list, watch, create, update,
    /// patch or delete, as kube-apiserver's audit log names them.
    pub fn count_api_request(&self, verb: &str) {
        if !matches!(verb, "get" | "list" | "watch") {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        self.api_requests
            .get_or_create(&vec![("verb".to_owned(), verb.to_owned())])
            .inc();
    }

    /// Every write (create, update, patch, delete) counted so far, dry-runs included.
    pub fn api_writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// The metrics in the Prometheus text exposition format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }

    /// A client layer that counts every request sent through it (see [`Metrics::count_api_request`]).
    pub fn api_layer(
        self: &Arc<Self>,
    ) -> tower::util::MapRequestLayer<
        impl Fn(Request<kube::client::Body>) -> Request<kube::client::Body> + Clone,
    > {
        let metrics = Arc::clone(self);
        tower::util::MapRequestLayer::new(move |request: Request<kube::client::Body>| {
            metrics.count_api_request(verb_of(&request));
            request
        })
    }
}

/// Buckets from 1 ms to about 33 s, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

fn app_labels(namespace: &str, name: &str, status: &str) -> Labels {
    vec![
        ("namespace".to_owned(), namespace.to_owned()),
        ("name".to_owned(), name.to_owned()),
        ("status".to_owned(), status.to_owned()),
    ]
}

fn set_one_hot(
    family: &Family<Labels, Gauge>,
    namespace: &str,
    name: &str,
    all: &[&str],
    current: &str,
) {
    for status in all {
        family
            .get_or_create(&app_labels(namespace, name, status))
            .set(i64::from(*status == current));
    }
}

/// The Kubernetes verb of a request: the method, with GETs told apart by `watch=` and by
/// whether the path names one object (discovery and OpenAPI reads count as `get`).
pub fn verb_of<B>(request: &Request<B>) -> &'static str {
    let query = request.uri().query().unwrap_or_default();
    match *request.method() {
        http::Method::GET
            if query
                .split('&')
                .any(|p| p == "watch=true" || p == "watch=1") =>
        {
            "watch"
        }
        http::Method::GET if is_collection(request.uri().path()) => "list",
        http::Method::GET => "get",
        http::Method::POST => "create",
        http::Method::PUT => "update",
        http::Method::PATCH => "patch",
        http::Method::DELETE => "delete",
        _ => "other",
    }
}

/// True for `/api/v1/namespaces/{ns}/{plural}`, `/apis/{g}/{v}/{plural}` and the like: a path
/// whose last segment is a resource plural, not an object name.
fn is_collection(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest = match segments.as_slice() {
        ["api", _version, rest @ ..] => rest,
        ["apis", _group, _version, rest @ ..] => rest,
        _ => return false,
    };
    matches!(rest, [_] | ["namespaces", _, _])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(uri: &str) -> Request<()> {
        Request::get(uri).body(()).unwrap()
    }

    #[test]
    fn verbs_follow_the_audit_log_names() {
        assert_eq!(verb_of(&get("/api/v1/namespaces/a/configmaps")), "list");
        assert_eq!(
            verb_of(&get("/apis/apps/v1/deployments?watch=true&labelSelector=x")),
            "watch"
        );
        assert_eq!(verb_of(&get("/api/v1/namespaces/a/configmaps/c")), "get");
        assert_eq!(verb_of(&get("/api/v1/namespaces")), "list");
        assert_eq!(verb_of(&get("/api/v1/namespaces/a")), "get");
        assert_eq!(verb_of(&get("/apis")), "get");
        let patch = Request::patch("/api/v1/namespaces/a/configmaps/c")
            .body(())
            .unwrap();
        assert_eq!(verb_of(&patch), "patch");
    }

    #[test]
    fn exposition_names_every_family_and_counts_writes() {
        let metrics = Metrics::new();
        metrics.observe_reconcile("success", Duration::from_millis(3));
        metrics.count_sync("succeeded");
        metrics.set_app_status("apps", "shop", "Synced", "Healthy");
        metrics.observe_git_fetch(Duration::from_millis(5));
        metrics.set_queue_depth(2);
        metrics.count_api_request("list");
        metrics.count_api_request("patch");
        assert_eq!(metrics.api_writes(), 1);
        let text = metrics.encode();
        for expected in [
            "driftless_reconcile_duration_seconds_bucket{",
            "result=\"success\"",
            "driftless_syncs_total{result=\"succeeded\"} 1",
            "driftless_app_sync_status{namespace=\"apps\",name=\"shop\",status=\"Synced\"} 1",
            "driftless_app_sync_status{namespace=\"apps\",name=\"shop\",status=\"OutOfSync\"} 0",
            "driftless_app_health_status{namespace=\"apps\",name=\"shop\",status=\"Healthy\"} 1",
            "driftless_git_fetch_duration_seconds_count 1",
            "driftless_queue_depth 2",
            "driftless_kube_api_requests_total{verb=\"patch\"} 1",
        ] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
        metrics.forget_app("apps", "shop");
        assert!(!metrics.encode().contains("name=\"shop\""));
    }
}
