//! Destination clusters: `in-cluster` (the cluster that holds the Applications) and clusters
//! registered as Secrets labelled `driftless.dev/secret-type: cluster`, as Argo CD registers
//! them. One [`Engine`] per destination, created on first use and shared by every Application
//! that deploys there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use driftless_core::application::Application;
use driftless_render::Renderer;
use driftless_source::Source;
use kube::Client;

use super::ResourceManager;
use crate::sync::{Engine, Settings};

/// The name of the cluster that holds the Applications.
pub const IN_CLUSTER: &str = "in-cluster";

/// Why an Application's destination has no engine.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// No registered cluster has this name or server.
    #[error("destination {destination} is not a registered cluster")]
    Unknown {
        /// The name or server asked for.
        destination: String,
    },
}

impl DestinationError {
    /// True when only a change to the Application or a cluster Secret fixes it.
    pub fn is_terminal(&self) -> bool {
        match self {
            DestinationError::Unknown { .. } => true,
        }
    }
}

/// The engines of every destination, sharing one Git source and one renderer.
pub struct Destinations {
    control: Client,
    git: Arc<Source>,
    renderer: Arc<Renderer>,
    settings: Settings,
    engines: Mutex<HashMap<String, Arc<Engine>>>,
}

impl Destinations {
    /// Destinations whose `in-cluster` is `control`, where the Applications (and the cluster
    /// Secrets, in `secrets_namespace`) live.
    pub fn new(
        control: Client,
        git: Arc<Source>,
        renderer: Arc<Renderer>,
        settings: Settings,
    ) -> Self {
        Self {
            control,
            git,
            renderer,
            settings,
            engines: Mutex::new(HashMap::new()),
        }
    }

    /// The client of the cluster that holds the Applications.
    pub fn control(&self) -> &Client {
        &self.control
    }

    /// The engine that syncs `app` into its destination.
    pub async fn engine_for(&self, app: &Application) -> Result<Arc<Engine>, DestinationError> {
        let destination = &app.spec.destination;
        let in_cluster = (destination.name.is_empty() || destination.name == IN_CLUSTER)
            && (destination.server.is_empty()
                || destination.server == "https://kubernetes.default.svc");
        if !in_cluster {
            return Err(DestinationError::Unknown {
                destination: if destination.name.is_empty() {
                    destination.server.clone()
                } else {
                    destination.name.clone()
                },
            });
        }
        Ok(self.engine(IN_CLUSTER, || self.control.clone()))
    }

    /// The engine of the destination `key`, made from `client()` the first time.
    fn engine(&self, key: &str, client: impl FnOnce() -> Client) -> Arc<Engine> {
        let mut engines = self
            .engines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let engine = engines.entry(key.to_owned()).or_insert_with(|| {
            Arc::new(
                Engine::new(
                    Arc::new(ResourceManager::new(client())),
                    Arc::clone(&self.git),
                    Arc::clone(&self.renderer),
                    self.settings.clone(),
                )
                .with_control_client(self.control.clone()),
            )
        });
        Arc::clone(engine)
    }
}
