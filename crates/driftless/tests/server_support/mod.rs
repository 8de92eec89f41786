//! Harness of the HTTP server tests: an in-process devcluster with the Application CRD, a hub
//! over it (leading, so that refreshes land in the trigger receiver the test holds), the
//! server's router with two tokens and a webhook secret, Applications created through the API,
//! requests made with `oneshot`, and signed webhook deliveries.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use devcluster::{DevCluster, DevClusterConfig};
use driftless::cluster::Destinations;
use driftless::controller::{Hub, Metrics, Trigger, Triggered};
use driftless::server::{router, ApiTokens, ServerState, WebhookSecret};
use driftless::sync::Settings;
use driftless_core::application::{crd, Application};
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::mpsc::UnboundedReceiver;
use tower::ServiceExt;

// The sync tests' repository helper; these tests use only part of it.
#[allow(dead_code)]
#[path = "../sync_support/repo.rs"]
mod repo;
pub use repo::Repo;

/// The admin token of every fixture.
pub const ADMIN: &str = "admin-token-0123456789";
/// The read-only token of every fixture.
pub const READER: &str = "reader-token-0123456789";
/// The webhook secret of fixtures that have one.
pub const SECRET: &str = "webhook secret 42";

/// A devcluster with the CRD, a leading hub over it and the server's state.
pub struct Fixture {
    pub cluster: DevCluster,
    pub hub: Hub,
    pub triggers: UnboundedReceiver<Triggered>,
    pub state: ServerState,
    _cache: tempfile::TempDir,
}

impl Fixture {
    /// A fixture whose webhooks are signed with [`SECRET`].
    pub async fn start() -> Fixture {
        Self::with_webhook(Some(SECRET)).await
    }

    /// A fixture with this webhook secret (none: webhooks refused).
    pub async fn with_webhook(secret: Option<&str>) -> Fixture {
        let cluster = DevCluster::start(DevClusterConfig::default())
            .await
            .unwrap();
        install_crd(&cluster.client()).await;
        let cache = tempfile::tempdir().unwrap();
        let (hub, triggers) = hub_over(cluster.client(), cache.path());
        hub.set_leading(true);
        let state = ServerState {
            hub: hub.clone(),
            tokens: ApiTokens::parse(&format!("{ADMIN} admin\n{READER} read-only\n")).unwrap(),
            webhook: secret.map(|s| WebhookSecret::new(s).unwrap()),
        };
        Fixture {
            cluster,
            hub,
            triggers,
            state,
            _cache: cache,
        }
    }

    /// The server's router.
    pub fn router(&self) -> Router {
        router(self.state.clone())
    }

    /// The client of the cluster.
    pub fn client(&self) -> kube::Client {
        self.cluster.client()
    }

    /// Creates the Application `namespace/name` of `repo_url` (path `app`, target `main`,
    /// destination namespace `default`), creating its namespace when needed.
    pub async fn create_app(&self, namespace: &str, name: &str, repo_url: &str) -> Application {
        self.create(app_value(namespace, name, repo_url, false))
            .await
    }

    /// Like [`Fixture::create_app`], tracking `revision` instead of `main`.
    pub async fn create_app_at(
        &self,
        namespace: &str,
        name: &str,
        repo_url: &str,
        revision: &str,
    ) -> Application {
        let mut value = app_value(namespace, name, repo_url, false);
        value["spec"]["source"]["targetRevision"] = json!(revision);
        self.create(value).await
    }

    /// Like [`Fixture::create_app`], with automated sync on.
    pub async fn create_automated_app(
        &self,
        namespace: &str,
        name: &str,
        repo_url: &str,
    ) -> Application {
        self.create(app_value(namespace, name, repo_url, true))
            .await
    }

    async fn create(&self, value: Value) -> Application {
        let namespace = value["metadata"]["namespace"].as_str().unwrap().to_owned();
        ensure_namespace(&self.client(), &namespace).await;
        let app: Application = serde_json::from_value(value).unwrap();
        Api::<Application>::namespaced(self.client(), &namespace)
            .create(&PostParams::default(), &app)
            .await
            .unwrap()
    }

    /// Writes `status` on the Application through its status subresource.
    pub async fn set_status(&self, namespace: &str, name: &str, status: Value) {
        Api::<Application>::namespaced(self.client(), namespace)
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": status})),
            )
            .await
            .unwrap();
    }

    /// The Application as stored now.
    pub async fn app(&self, namespace: &str, name: &str) -> Application {
        Api::<Application>::namespaced(self.client(), namespace)
            .get(name)
            .await
            .unwrap()
    }

    /// Every trigger queued so far, sorted.
    pub fn drain_triggers(&mut self) -> Vec<(String, Trigger)> {
        let mut found = Vec::new();
        while let Ok(triggered) = self.triggers.try_recv() {
            found.push(triggered);
        }
        found.sort();
        found
    }
}

/// A hub over `client` with a Git cache in `cache`, and its trigger receiver.
pub fn hub_over(
    client: kube::Client,
    cache: &std::path::Path,
) -> (Hub, UnboundedReceiver<Triggered>) {
    let destinations = Destinations::new(
        client,
        Arc::new(Source::open(SourceConfig::new(cache)).unwrap()),
        Arc::new(Renderer::from_path()),
        Settings::default(),
        "driftless",
    );
    Hub::new(Arc::new(destinations), Arc::new(Metrics::new()))
}

/// Installs the Application CRD and waits until Applications can be listed.
async fn install_crd(client: &kube::Client) {
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    crds.create(&PostParams::default(), &crd().unwrap())
        .await
        .unwrap();
    let applications = Api::<Application>::all(client.clone());
    let deadline = Instant::now() + Duration::from_secs(10);
    while applications.list(&ListParams::default()).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "the Application CRD is never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn ensure_namespace(client: &kube::Client, name: &str) {
    use k8s_openapi::api::core::v1::Namespace;
    let namespaces = Api::<Namespace>::all(client.clone());
    if namespaces.get_opt(name).await.unwrap().is_none() {
        let namespace: Namespace =
            serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap();
    }
}

fn app_value(namespace: &str, name: &str, repo_url: &str, automated: bool) -> Value {
    let mut app = json!({
        "apiVersion": "driftless.dev/v1alpha1",
        "kind": "Application",
        "metadata": {"namespace": namespace, "name": name},
        "spec": {
            "source": {"repoURL": repo_url, "path": "app", "targetRevision": "main"},
            "destination": {"name": "in-cluster", "namespace": "default"},
        }
    });
    if automated {
        app["spec"]["syncPolicy"] = json!({"automated": {"prune": true, "selfHeal": false}});
    }
    app
}

/// A response as a test reads it.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The body as JSON (panics with the text when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The `error` of a JSON error body.
    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {}", self.text))
            .to_owned()
    }
}

/// Sends one request to `router`: `token` as a bearer token, `body` as JSON when given.
pub async fn call(
    router: Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header("content-type", "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    send(router, request.body(body).unwrap()).await
}

/// Sends a prepared request to `router`.
pub async fn send(router: Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A webhook delivery of `body` with these headers.
pub fn delivery(headers: &[(&str, String)], body: &str) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/webhook")
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

/// Lower-case hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
