//! What `driftless sync -f` and `driftless diff -f` share: reading the Application file, the
//! cluster connection, the engine, and the Application's state in the cluster.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use driftless::cluster::ResourceManager;
use driftless::sync::{AppliedState, Engine, Settings};
use driftless_core::application::Application;
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

/// Flags shared by the commands that act on one Application file.
#[derive(Debug, Clone, Args)]
pub struct AppFileArgs {
    /// The Application manifest (YAML or JSON).
    #[arg(short = 'f', long = "file", env = "DRIFTLESS_APP_FILE")]
    pub file: PathBuf,
    /// kubeconfig of the destination cluster (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "DRIFTLESS_KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
    /// Where fetched repositories are cached.
    #[arg(long, env = "DRIFTLESS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Longest wait for a wave, a CRD or a hook to become healthy, in seconds (at most a week).
    #[arg(long, env = "DRIFTLESS_TIMEOUT", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub timeout: u64,
}

/// An Application file loaded, with the engine and the state of the Application in the cluster.
pub struct Loaded {
    /// The Application as the file declares it, with the cluster's status when it exists there.
    pub app: Application,
    /// True when the Application exists in the cluster (its status is then written back).
    pub in_cluster: bool,
    /// What the last sync recorded, from the cluster's status.
    pub state: AppliedState,
    /// The engine.
    pub engine: Engine,
    /// The client of the destination cluster.
    pub client: Client,
}

/// Reads the file, connects to the cluster and looks the Application up there.
pub async fn load(args: &AppFileArgs) -> anyhow::Result<Loaded> {
    let mut app = read_application(&args.file)?;
    let client = client(args.kubeconfig.as_deref()).await?;
    let namespace = app
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    app.metadata.namespace = Some(namespace.clone());
    let name = app.metadata.name.clone().unwrap_or_default();
    let existing = Api::<Application>::namespaced(client.clone(), &namespace)
        .get_opt(&name)
        .await
        .ok()
        .flatten();
    let in_cluster = existing.is_some();
    if let Some(existing) = existing {
        app.status = existing.status;
        app.metadata.generation = existing.metadata.generation;
    }
    let state = app
        .status
        .as_ref()
        .map(|s| AppliedState::from_resources(&s.resources))
        .unwrap_or_default();
    let cache_dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("driftless-cache"));
    let git = Source::open(SourceConfig::new(cache_dir)).context("opening the repository cache")?;
    let settings = Settings {
        health_timeout: Duration::from_secs(args.timeout),
    };
    let engine = Engine::new(
        Arc::new(ResourceManager::new(client.clone())),
        Arc::new(git),
        Arc::new(Renderer::from_path()),
        settings,
    );
    Ok(Loaded {
        app,
        in_cluster,
        state,
        engine,
        client,
    })
}

/// Parses an Application manifest; the error names the file and what is wrong.
pub fn read_application(path: &Path) -> anyhow::Result<Application> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let app: Application = serde_saphyr::from_str(&text).map_err(|e| {
        let first_line = e.to_string().lines().next().unwrap_or_default().to_owned();
        anyhow::anyhow!(
            "{}: not a valid Application: {}",
            path.display(),
            first_line.trim_start_matches("error: ")
        )
    })?;
    if app.kind != driftless_core::application::KIND {
        anyhow::bail!(
            "{}: kind is {:?}, expected Application",
            path.display(),
            app.kind
        );
    }
    if app.name().is_empty() {
        anyhow::bail!("{}: metadata.name is required", path.display());
    }
    if app.spec.source.repo_url.is_empty() {
        anyhow::bail!("{}: spec.source.repoURL is required", path.display());
    }
    Ok(app)
}

/// A client for the kubeconfig at `path`, or the inferred one ($KUBECONFIG, ~/.kube/config).
pub async fn client(path: Option<&Path>) -> anyhow::Result<Client> {
    let config = kube_config(path).await?;
    Client::try_from(config).context("creating the Kubernetes client")
}

/// The configuration of the kubeconfig at `path`, or the inferred one.
pub async fn kube_config(path: Option<&Path>) -> anyhow::Result<Config> {
    Ok(match path {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .with_context(|| format!("kubeconfig {}", path.display()))?
        }
        None => Config::infer()
            .await
            .context("no kubeconfig found (set KUBECONFIG or --kubeconfig)")?,
    })
}
