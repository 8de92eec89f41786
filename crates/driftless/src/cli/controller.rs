//! `driftless controller`: the controller, the HTTP API and the webhook receiver in one
//! process; also what `driftless demo` starts in-process.

#![allow(dead_code)] // The in-process entry is wired by `driftless demo`.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use driftless::cluster::Destinations;
use driftless::controller::{self, ControllerConfig, Hub, Metrics};
use driftless::sync::Settings;
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::app_file::kube_config;
use super::signals::StopSignals;

/// Flags of `driftless controller`.
#[derive(Debug, Args)]
pub struct ControllerArgs {
    /// kubeconfig of the cluster that holds the Applications (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "DRIFTLESS_KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Reconcile the Applications of this namespace only (default: all namespaces).
    #[arg(short = 'n', long, env = "DRIFTLESS_NAMESPACE")]
    namespace: Option<String>,
    /// Most reconciles running at once.
    #[arg(long, env = "DRIFTLESS_CONCURRENCY", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    concurrency: u16,
    /// Where fetched repositories are cached.
    #[arg(long, env = "DRIFTLESS_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Longest wait for a wave, a CRD or a hook to become healthy, in seconds.
    #[arg(long, env = "DRIFTLESS_TIMEOUT", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    timeout: u64,
}

/// What an in-process controller needs, already decided by the caller.
pub struct InProcess {
    /// Client of the cluster that holds the Applications.
    pub client: kube::Client,
    /// Where fetched repositories are cached.
    pub cache_dir: PathBuf,
    /// Address of the HTTP API.
    pub listen: SocketAddr,
    /// The admin token of the API.
    pub admin_token: String,
    /// The webhook secret.
    pub webhook_secret: String,
}

/// A controller and its HTTP server running in this process.
pub struct RunningController {
    hub: Hub,
    api_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningController {
    /// The controller's hub (refresh, events, metrics).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The address the HTTP API listens on.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Stops the controller and the server; reconciles in flight are abandoned.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// The parts every controller process is made of.
struct Parts {
    client: kube::Client,
    cache_dir: PathBuf,
    namespace: Option<String>,
    concurrency: usize,
    timeout: Duration,
    listen: SocketAddr,
}

/// Starts a controller (leading at once, no election) and its HTTP server.
pub async fn start_in_process(options: InProcess) -> anyhow::Result<RunningController> {
    let (_leading_tx, leading) = watch::channel(true);
    let parts = Parts {
        client: options.client,
        cache_dir: options.cache_dir,
        namespace: None,
        concurrency: 8,
        timeout: Duration::from_secs(300),
        listen: options.listen,
    };
    let running = start(parts, leading).await?;
    // The sender lives as long as the controller: leadership never changes in-process.
    std::mem::forget(_leading_tx);
    Ok(running)
}

/// Runs `driftless controller` until Ctrl-C or SIGTERM.
pub async fn run(args: ControllerArgs) -> anyhow::Result<()> {
    let stop = StopSignals::install()?;
    let config = kube_config(args.kubeconfig.as_deref()).await?;
    let metrics = Arc::new(Metrics::new());
    let client = counted_client(config, &metrics)?;
    let (_leading_tx, leading) = watch::channel(true);
    let parts = Parts {
        client,
        cache_dir: args
            .cache_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("driftless-cache")),
        namespace: args.namespace.clone(),
        concurrency: usize::from(args.concurrency),
        timeout: Duration::from_secs(args.timeout),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let running = start_with(parts, leading, metrics).await?;
    match &args.namespace {
        Some(namespace) => {
            println!("driftless controller: reconciling the Applications of namespace {namespace}")
        }
        None => println!("driftless controller: reconciling the Applications of every namespace"),
    }
    stop.wait().await;
    println!("shutting down");
    running.stop().await;
    Ok(())
}

/// A client of `config` whose every request is counted in `metrics`.
fn counted_client(config: kube::Config, metrics: &Arc<Metrics>) -> anyhow::Result<kube::Client> {
    let builder =
        kube::client::ClientBuilder::try_from(config).context("creating the Kubernetes client")?;
    Ok(builder.with_layer(&metrics.api_layer()).build())
}

async fn start(parts: Parts, leading: watch::Receiver<bool>) -> anyhow::Result<RunningController> {
    start_with(parts, leading, Arc::new(Metrics::new())).await
}

async fn start_with(
    parts: Parts,
    leading: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
) -> anyhow::Result<RunningController> {
    let git = Source::open(SourceConfig::new(&parts.cache_dir))
        .context("opening the repository cache")?;
    let destinations = Destinations::new(
        parts.client.clone(),
        Arc::new(git),
        Arc::new(Renderer::from_path()),
        Settings {
            health_timeout: parts.timeout,
        },
    );
    let (hub, triggers) = Hub::new(Arc::new(destinations), metrics);
    let config = ControllerConfig {
        namespace: parts.namespace,
        concurrency: parts.concurrency,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(controller::run(
        hub.clone(),
        triggers,
        config,
        leading,
        async move {
            let _ = stop_rx.await;
        },
    ));
    Ok(RunningController {
        hub,
        api_addr: parts.listen,
        stop: Some(stop_tx),
        task,
    })
}
