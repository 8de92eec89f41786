//! Registered destination clusters end to end: two in-process devclusters, A holding the
//! Applications and the cluster Secrets, B a token-protected HTTPS cluster registered in A.

mod sync_support;

use std::collections::BTreeMap;
use std::sync::Arc;

use devcluster::{DevCluster, DevClusterConfig};
use driftless::cluster::{AppliedState, DestinationError, Destinations};
use driftless::sync::{Settings, SyncRequest};
use driftless_core::application::Application;
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use k8s_openapi::ByteString;
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
use serde_json::json;
use sync_support::{config_map, Repo};

const B_TOKEN: &str = "b-token-7f3a9c1e55d0";
const SECRETS_NAMESPACE: &str = "driftless";

/// Cluster A (Applications, cluster Secrets), cluster B (HTTPS + token), a repository with
/// one ConfigMap under `app/`, and the destinations of A.
struct World {
    a: DevCluster,
    b: DevCluster,
    _repo: Repo,
    repo_url: String,
    _cache: tempfile::TempDir,
    destinations: Destinations,
}

impl World {
    async fn start() -> World {
        let a = DevCluster::start(DevClusterConfig::default())
            .await
            .unwrap();
        let b = DevCluster::start(DevClusterConfig {
            token: Some(B_TOKEN.to_owned()),
            ..DevClusterConfig::default()
        })
        .await
        .unwrap();
        let namespaces: Api<Namespace> = Api::all(a.client());
        namespaces
            .create(
                &PostParams::default(),
                &Namespace {
                    metadata: ObjectMeta {
                        name: Some(SECRETS_NAMESPACE.to_owned()),
                        ..ObjectMeta::default()
                    },
                    ..Namespace::default()
                },
            )
            .await
            .unwrap();
        let repo = Repo::new();
        repo.write("app/web.yaml", &config_map("web", &[("colour", "blue")]));
        repo.commit("web");
        let cache = tempfile::tempdir().unwrap();
        let git = Source::open(SourceConfig::new(cache.path())).unwrap();
        let destinations = Destinations::new(
            a.client(),
            Arc::new(git),
            Arc::new(Renderer::from_path()),
            Settings::default(),
            SECRETS_NAMESPACE,
        );
        World {
            repo_url: repo.url(),
            a,
            b,
            _repo: repo,
            _cache: cache,
            destinations,
        }
    }

    /// B's CA as base64 PEM, as Argo CD's `caData` carries it (taken from B's kubeconfig).
    fn b_ca_data(&self) -> String {
        self.b
            .kubeconfig()
            .lines()
            .find_map(|l| l.trim().strip_prefix("certificate-authority-data: "))
            .expect("B serves HTTPS with a CA")
            .to_owned()
    }

    /// Argo CD's `config` JSON for B with `token`.
    fn b_config(&self, token: &str) -> String {
        json!({"bearerToken": token, "tlsClientConfig": {"insecure": false, "caData": self.b_ca_data()}})
            .to_string()
    }

    /// Creates or replaces the cluster Secret `name` in A with `data`.
    async fn put_cluster_secret(&self, name: &str, data: &[(&str, &str)]) {
        let api: Api<Secret> = Api::namespaced(self.a.client(), SECRETS_NAMESPACE);
        let mut secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                labels: Some(BTreeMap::from([(
                    "driftless.dev/secret-type".to_owned(),
                    "cluster".to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            data: Some(
                data.iter()
                    .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Secret::default()
        };
        match api.get_opt(name).await.unwrap() {
            None => {
                api.create(&PostParams::default(), &secret).await.unwrap();
            }
            Some(existing) => {
                secret.metadata.resource_version = existing.metadata.resource_version;
                api.replace(name, &PostParams::default(), &secret)
                    .await
                    .unwrap();
            }
        }
    }

    /// The Application `default/shop` of the repository, deploying to `destination`.
    fn app(&self, destination: serde_json::Value) -> Application {
        let mut destination = destination;
        destination["namespace"] = json!("shop");
        serde_json::from_value(json!({
            "apiVersion": "driftless.dev/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "shop", "namespace": "default"},
            "spec": {
                "source": {"repoURL": self.repo_url, "targetRevision": "main", "path": "app"},
                "destination": destination,
                "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
            },
        }))
        .unwrap()
    }
}

async fn config_map_in(cluster: &DevCluster) -> Option<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(cluster.client(), "shop");
    api.get_opt("web").await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_secret_with_token_and_ca_syncs_into_the_registered_cluster_only() {
    let world = World::start().await;
    let config = world.b_config(B_TOKEN);
    world
        .put_cluster_secret(
            "cluster-b",
            &[
                ("name", "b"),
                ("server", world.b.url()),
                ("config", &config),
            ],
        )
        .await;
    let app = world.app(json!({"name": "b"}));
    let destination = world.destinations.destination_for(&app).await.unwrap();
    assert_eq!(destination.key, "b");
    let outcome = destination
        .engine
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    assert!(outcome.succeeded(), "{:?}", outcome.error);
    let in_b = config_map_in(&world.b)
        .await
        .expect("the ConfigMap lands in B");
    assert_eq!(in_b.data.unwrap()["colour"], "blue");
    assert!(
        config_map_in(&world.a).await.is_none(),
        "nothing lands in A"
    );

    // The engine is shared while the Secret is unchanged, and the server matches too.
    let again = world.destinations.engine_for(&app).await.unwrap();
    assert!(Arc::ptr_eq(&again, &destination.engine));
    let by_server = world.app(json!({"server": format!("{}/", world.b.url())}));
    let by_server = world
        .destinations
        .destination_for(&by_server)
        .await
        .unwrap();
    assert_eq!(by_server.key, "b");
    assert!(Arc::ptr_eq(&by_server.engine, &destination.engine));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_secret_syncs_into_the_registered_cluster_matched_by_server() {
    let world = World::start().await;
    // No `server` key: the kubeconfig's current context gives it.
    world
        .put_cluster_secret("b-kubeconfig", &[("kubeconfig", world.b.kubeconfig())])
        .await;
    let app = world.app(json!({"server": world.b.url()}));
    let destination = world.destinations.destination_for(&app).await.unwrap();
    assert_eq!(destination.key, "b-kubeconfig");
    let outcome = destination
        .engine
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    assert!(outcome.succeeded(), "{:?}", outcome.error);
    assert!(config_map_in(&world.b).await.is_some());
    assert!(config_map_in(&world.a).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_credentials_are_read_from_the_applications_cluster() {
    let world = World::start().await;
    let config = world.b_config(B_TOKEN);
    world
        .put_cluster_secret(
            "cluster-b",
            &[
                ("name", "b"),
                ("server", world.b.url()),
                ("config", &config),
            ],
        )
        .await;
    // The credentials Secret exists in B only: the engine must not read it there.
    let in_b: Api<Secret> = Api::namespaced(world.b.client(), "default");
    in_b.create(
        &PostParams::default(),
        &Secret {
            metadata: ObjectMeta {
                name: Some("repo-creds".to_owned()),
                ..ObjectMeta::default()
            },
            string_data: Some(BTreeMap::from([("password".to_owned(), "pw".to_owned())])),
            ..Secret::default()
        },
    )
    .await
    .unwrap();
    let mut app = world.app(json!({"name": "b"}));
    app.spec.source.secret_ref =
        Some(serde_json::from_value(json!({"name": "repo-creds"})).unwrap());
    let engine = world.destinations.engine_for(&app).await.unwrap();
    let outcome = engine
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    let error = outcome
        .error
        .clone()
        .expect("a missing Secret in A fails the sync");
    assert!(outcome.terminal, "{error}");
    assert!(error.contains("repo-creds"), "{error}");
    assert!(config_map_in(&world.b).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_destination_is_a_terminal_error_naming_it() {
    let world = World::start().await;
    for (destination, named) in [
        (json!({"name": "nowhere"}), "nowhere".to_owned()),
        (
            json!({"server": "https://10.0.0.9:6443"}),
            "https://10.0.0.9:6443".to_owned(),
        ),
    ] {
        let app = world.app(destination);
        let Err(error) = world.destinations.engine_for(&app).await else {
            panic!("{named} must be unknown");
        };
        assert!(
            matches!(error, DestinationError::Unknown { .. }),
            "{error:?}"
        );
        assert!(error.is_terminal());
        assert!(error.to_string().contains(&named), "{error}");
    }
    // In-cluster needs no Secret.
    let local = world
        .destinations
        .destination_for(&world.app(json!({})))
        .await
        .unwrap();
    assert_eq!(local.key, "in-cluster");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_fails_the_sync_without_echoing_the_token() {
    let world = World::start().await;
    let wrong = "wrong-token-0d9e8f7a6b5c";
    let config = world.b_config(wrong);
    world
        .put_cluster_secret(
            "cluster-b",
            &[
                ("name", "b"),
                ("server", world.b.url()),
                ("config", &config),
            ],
        )
        .await;
    let app = world.app(json!({"name": "b"}));
    let engine = world.destinations.engine_for(&app).await.unwrap();
    let outcome = engine
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    assert!(!outcome.succeeded());
    let everything = format!("{:?} {:?}", outcome.error, outcome.changes);
    assert!(!everything.contains(wrong), "{everything}");
    assert!(!everything.contains(B_TOKEN), "{everything}");
    assert!(config_map_in(&world.b).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_credentials_are_picked_up_on_the_next_reconcile() {
    let world = World::start().await;
    let app = world.app(json!({"name": "b"}));
    let stale = world.b_config("revoked-token-112233");
    world
        .put_cluster_secret(
            "cluster-b",
            &[("name", "b"), ("server", world.b.url()), ("config", &stale)],
        )
        .await;
    let before = world.destinations.engine_for(&app).await.unwrap();
    let failed = before
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    assert!(!failed.succeeded());

    let fresh = world.b_config(B_TOKEN);
    world
        .put_cluster_secret(
            "cluster-b",
            &[("name", "b"), ("server", world.b.url()), ("config", &fresh)],
        )
        .await;
    let after = world.destinations.destination_for(&app).await.unwrap();
    assert!(
        !Arc::ptr_eq(&before, &after.engine),
        "a new Secret version builds a new engine"
    );
    assert_eq!(after.key, "b", "the key survives the rotation");
    let outcome = after
        .engine
        .sync(&app, &mut AppliedState::default(), &SyncRequest::default())
        .await;
    assert!(outcome.succeeded(), "{:?}", outcome.error);
    assert!(config_map_in(&world.b).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_cluster_secret_is_terminal_and_names_secret_and_field() {
    let world = World::start().await;
    let config = format!(
        r#"{{"bearerToken": "{B_TOKEN}", "tlsClientConfig": {{"insecure": "{B_TOKEN}"}}}}"#
    );
    world
        .put_cluster_secret(
            "cluster-b",
            &[
                ("name", "b"),
                ("server", world.b.url()),
                ("config", &config),
            ],
        )
        .await;
    let Err(error) = world
        .destinations
        .engine_for(&world.app(json!({"name": "b"})))
        .await
    else {
        panic!("a malformed Secret must fail");
    };
    let message = error.to_string();
    assert!(error.is_terminal());
    assert!(message.contains("driftless/cluster-b"), "{message}");
    assert!(
        message.contains("config.tlsClientConfig.insecure"),
        "{message}"
    );
    assert!(!message.contains(B_TOKEN), "{message}");
}
