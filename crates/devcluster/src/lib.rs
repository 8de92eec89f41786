//! devcluster: a server that speaks the Kubernetes REST API well enough that kubectl and kube-rs use it
//! unchanged — the embedded default cluster of Driftless.
//!
//! ```no_run
//! # async fn demo() -> Result<(), devcluster::DevClusterError> {
//! let cluster = devcluster::DevCluster::start(devcluster::DevClusterConfig::default()).await?;
//! let client = cluster.client(); // a ready kube::Client
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

pub mod api;
pub mod cluster;
pub mod controllers;
pub mod error;
pub mod events;
pub mod field;
pub mod kubeconfig;
pub mod names;
pub mod openapi;
pub mod persist;
pub mod protobuf;
pub mod registry;
pub mod schema;
pub mod selector;
pub mod shape;
pub mod simulator;
pub mod ssa;
pub mod store;
pub mod strategic;
pub mod table;
pub mod tls;
pub mod yaml;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::cluster::{Cluster, State, WriteOptions};
use crate::events::Hub;
use crate::persist::{Committer, Loaded};
use crate::registry::{Registry, ResourceKey};
use crate::schema::SchemaSet;
use crate::store::Store;

/// Settings of a devcluster.
#[derive(Debug, Clone)]
pub struct DevClusterConfig {
    /// Address to listen on (port 0 picks a free one). Loopback by default.
    pub listen: SocketAddr,
    /// Directory of the durable store; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// When set, requests must carry this bearer token (and the kubeconfig carries it).
    pub token: Option<String>,
    /// How many recent events a watch can resume from; older resourceVersions get 410 Expired.
    pub event_window: usize,
    /// Run the workload simulator with this delay before workloads settle; `None` leaves status alone.
    pub simulate: Option<std::time::Duration>,
}

impl Default for DevClusterConfig {
    fn default() -> Self {
        DevClusterConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            token: None,
            event_window: 20_000,
            simulate: None,
        }
    }
}

/// Why a devcluster could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevClusterError {
    /// The durable store could not be opened or loaded.
    #[error(transparent)]
    Storage(#[from] persist::PersistError),
    /// The built-in schemas could not be loaded.
    #[error("loading built-in schemas: {0}")]
    Schemas(String),
    /// The listen address could not be bound.
    #[error("listening on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The system namespaces could not be created.
    #[error("creating system namespaces: {0}")]
    Bootstrap(#[from] error::ApiError),
    /// The TLS certificate for a token-protected cluster could not be set up.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The kube client could not be built.
    #[error("building the kube client: {0}")]
    Client(String),
}

/// A running devcluster. Dropping it stops the server.
pub struct DevCluster {
    endpoint: kubeconfig::Endpoint,
    kubeconfig: String,
    client: kube::Client,
    cluster: Arc<Cluster>,
    shutdown: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
    simulation: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for DevCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCluster")
            .field("url", &self.endpoint.url)
            .finish_non_exhaustive()
    }
}

impl DevCluster {
    /// Starts a devcluster on the current tokio runtime; returns once it serves requests.
    pub async fn start(config: DevClusterConfig) -> Result<DevCluster, DevClusterError> {
        let (db, loaded) = match &config.data_dir {
            Some(dir) => {
                let (conn, loaded) = persist::open(dir)?;
                (Some(conn), loaded)
            }
            None => (None, Loaded::default()),
        };
        let state = initial_state(loaded)?;
        let hub = Arc::new(Hub::new(
            config.event_window,
            state.store.resource_version(),
        ));
        let (observers, observed) = mpsc::unbounded_channel();
        let committer = Committer::start(db, hub.clone(), observers);
        let cluster = Arc::new(Cluster::new(state, committer, hub));
        tokio::spawn(controllers::run(cluster.clone(), observed));
        ensure_system_namespaces(&cluster).await?;

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| DevClusterError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| DevClusterError::Listen {
                addr: config.listen,
                source,
            })?;
        let tls = match config.token {
            Some(_) => Some(tls::ServerTls::generate(addr)?),
            None => None,
        };
        let endpoint = kubeconfig::Endpoint {
            url: format!("{}://{addr}", if tls.is_some() { "https" } else { "http" }),
            ca_pem: tls.as_ref().map(|t| t.ca_pem.clone()),
        };
        let router = api::router(api::ApiState::new(cluster.clone(), config.token.as_deref()));
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, tls, router, stop));
        let kubeconfig = kubeconfig::render(&endpoint, config.token.as_deref());
        let client = kubeconfig::client(&endpoint, config.token.as_deref())
            .map_err(DevClusterError::Client)?;
        let simulation = config
            .simulate
            .map(|delay| tokio::spawn(simulator::run(cluster.clone(), delay)));
        Ok(DevCluster {
            endpoint,
            kubeconfig,
            client,
            cluster,
            shutdown: Some(shutdown),
            server,
            simulation,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:6443`.
    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// The URL and, when serving HTTPS (with a token), the CA to trust.
    pub fn endpoint(&self) -> &kubeconfig::Endpoint {
        &self.endpoint
    }

    /// A kubeconfig (YAML) that kubectl and kube-rs use as is.
    pub fn kubeconfig(&self) -> &str {
        &self.kubeconfig
    }

    /// A kube client connected to this cluster.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The cluster itself, for in-process inspection.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Stops accepting requests and waits (at most `grace`) for open requests; long watches are cut.
    pub async fn stop(mut self, grace: std::time::Duration) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if tokio::time::timeout(grace, &mut self.server).await.is_err() {
            self.server.abort();
        }
    }
}

impl Drop for DevCluster {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        self.server.abort();
        if let Some(simulation) = &self.simulation {
            simulation.abort();
        }
    }
}

/// Serves the API on `listener` (HTTPS when `tls` is set) until `stop` fires.
async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<tls::ServerTls>,
    router: axum::Router,
    stop: oneshot::Receiver<()>,
) {
    let stopped = async {
        let _ = stop.await;
    };
    let result = match tls {
        Some(tls) => {
            axum::serve(tls.listener(listener), router)
                .with_graceful_shutdown(stopped)
                .await
        }
        None => {
            // Watch events are small writes: without TCP_NODELAY, Nagle and delayed ACKs stall them ~40 ms.
            let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, router)
                .with_graceful_shutdown(stopped)
                .await
        }
    };
    if let Err(e) = result {
        tracing::error!(error = %e, "devcluster server stopped");
    }
}

fn initial_state(loaded: Loaded) -> Result<State, DevClusterError> {
    let mut state = State {
        registry: Registry::builtin(),
        schemas: SchemaSet::builtin().map_err(|e| DevClusterError::Schemas(e.to_string()))?,
        store: Store::default(),
    };
    state.store.observe_resource_version(loaded.rv);
    for (key, object) in loaded.objects {
        if key.resource == ResourceKey::crds() {
            if let Err(e) = controllers::register_crd(&mut state, &object) {
                tracing::warn!(crd = %key.name, error = %e, "stored CRD not served");
            }
        }
        state.store.put(&key, Arc::new(object));
    }
    Ok(state)
}

async fn ensure_system_namespaces(cluster: &Cluster) -> Result<(), error::ApiError> {
    let Some(rt) = cluster.read(|s| s.registry.by_kind("", "v1", "Namespace")) else {
        return Ok(());
    };
    let opts = WriteOptions {
        field_manager: "devcluster".into(),
        ..WriteOptions::default()
    };
    for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        if cluster.get(&rt, "", name).is_err() {
            let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
            cluster.create(&rt, "", ns, &opts).await?;
        }
    }
    Ok(())
}
