//! `driftless controller`: the controller, the HTTP API and the webhook receiver in one
//! process, with leader election among replicas; also what `driftless demo` starts
//! in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use driftless::cluster::Destinations;
use driftless::controller::leader::{LeaderElector, LeaseConfig};
use driftless::controller::{self, ControllerConfig, Hub, Metrics};
use driftless::server::{self, ApiTokens, Role, ServerState, WebhookSecret};
use driftless::sync::Settings;
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use super::app::{crd_missing, NO_CRD};
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
    /// Address of the HTTP API, webhooks and metrics.
    #[arg(long, env = "DRIFTLESS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// API tokens, one `TOKEN ROLE` per line (roles: admin, read-only).
    #[arg(long, env = "DRIFTLESS_API_TOKEN_FILE")]
    api_token_file: Option<PathBuf>,
    /// A Secret in the system namespace whose key `tokens` holds the API tokens (same format).
    #[arg(
        long,
        env = "DRIFTLESS_API_TOKEN_SECRET",
        conflicts_with = "api_token_file"
    )]
    api_token_secret: Option<String>,
    /// The shared secret of the Git hosts' webhooks.
    #[arg(long, env = "DRIFTLESS_WEBHOOK_SECRET_FILE")]
    webhook_secret_file: Option<PathBuf>,
    /// A Secret in the system namespace whose key `webhook-secret` holds the webhook secret.
    #[arg(
        long,
        env = "DRIFTLESS_WEBHOOK_SECRET",
        conflicts_with = "webhook_secret_file"
    )]
    webhook_secret: Option<String>,
    /// Namespace of the controller's own objects: cluster Secrets of the destinations, the
    /// leader Lease, the API token and webhook Secrets.
    #[arg(long, env = "DRIFTLESS_SYSTEM_NAMESPACE", default_value = "driftless")]
    system_namespace: String,
    /// Elect one leader among the replicas through a Lease; `false` reconciles at once (run one replica only).
    #[arg(long, env = "DRIFTLESS_LEADER_ELECT", default_value_t = true, action = clap::ArgAction::Set)]
    leader_elect: bool,
    /// How long a Lease that is not renewed stays with its holder (a duration: 15s, 2s, 500ms).
    #[arg(long, env = "DRIFTLESS_LEASE_DURATION", default_value = "15s", value_parser = parse_duration)]
    lease_duration: Duration,
    /// How long a leader keeps leading while renewals fail.
    #[arg(long, env = "DRIFTLESS_RENEW_DEADLINE", default_value = "10s", value_parser = parse_duration)]
    renew_deadline: Duration,
    /// How often the Lease is read and renewed.
    #[arg(long, env = "DRIFTLESS_RETRY_PERIOD", default_value = "2s", value_parser = parse_duration)]
    retry_period: Duration,
}

/// A positive Go duration (`15s`, `250ms`, `1m30s`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let parsed: kube::core::Duration = text
        .parse()
        .map_err(|e| format!("{text:?} is not a duration like 15s or 250ms: {e}"))?;
    let duration: Duration = parsed.into();
    if parsed.is_negative() || duration.is_zero() {
        return Err(format!("{text:?} must be positive"));
    }
    Ok(duration)
}

/// What an in-process controller needs, already decided by the caller.
pub struct InProcess {
    /// kubeconfig of the cluster that holds the Applications.
    pub kubeconfig: PathBuf,
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
    stop: Option<oneshot::Sender<()>>,
    controller: JoinHandle<()>,
    server: JoinHandle<()>,
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
        let _ = (&mut self.controller).await;
        let _ = (&mut self.server).await;
    }
}

/// The parts every controller process is made of.
struct Parts {
    client: kube::Client,
    metrics: Arc<Metrics>,
    cache_dir: PathBuf,
    namespace: Option<String>,
    concurrency: usize,
    timeout: Duration,
    listen: SocketAddr,
    system_namespace: String,
    tokens: ApiTokens,
    webhook: Option<WebhookSecret>,
}

/// The system namespace of an in-process controller.
const IN_PROCESS_SYSTEM_NAMESPACE: &str = "driftless";

/// Starts a controller (leading at once, no election) and its HTTP server, with one admin
/// token and the webhook secret.
pub async fn start_in_process(options: InProcess) -> anyhow::Result<RunningController> {
    let config = kube_config(Some(&options.kubeconfig)).await?;
    let metrics = Arc::new(Metrics::new());
    let parts = Parts {
        client: counted_client(config, &metrics)?,
        metrics,
        cache_dir: options.cache_dir,
        namespace: None,
        concurrency: ControllerConfig::default().concurrency,
        timeout: Settings::default().health_timeout,
        listen: options.listen,
        system_namespace: IN_PROCESS_SYSTEM_NAMESPACE.to_owned(),
        tokens: ApiTokens::single(&options.admin_token, Role::Admin).context("the API token")?,
        webhook: Some(WebhookSecret::new(&options.webhook_secret).context("the webhook secret")?),
    };
    let (leading_tx, leading) = watch::channel(true);
    let mut running = start(parts, leading).await?;
    // Leadership never changes in-process: the sender lives as long as the controller task.
    let controller = std::mem::replace(&mut running.controller, tokio::spawn(async {}));
    running.controller = tokio::spawn(async move {
        let _ = controller.await;
        drop(leading_tx);
    });
    Ok(running)
}

/// Runs `driftless controller` until Ctrl-C or SIGTERM.
pub async fn run(args: ControllerArgs) -> anyhow::Result<()> {
    let stop = StopSignals::install()?;
    let config = kube_config(args.kubeconfig.as_deref()).await?;
    let metrics = Arc::new(Metrics::new());
    let client = counted_client(config, &metrics)?;
    if crd_missing(&client).await {
        anyhow::bail!(NO_CRD);
    }
    let elector = args
        .leader_elect
        .then(|| lease_elector(&client, &args))
        .transpose()?;
    if elector.is_some() {
        require_namespace(&client, &args.system_namespace).await?;
    }
    let (tokens, webhook) = server_secrets(&client, &args).await?;
    let (leading_tx, leading) = watch::channel(elector.is_none());
    let parts = Parts {
        client,
        metrics,
        cache_dir: args
            .cache_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("driftless-cache")),
        namespace: args.namespace.clone(),
        concurrency: usize::from(args.concurrency),
        timeout: Duration::from_secs(args.timeout),
        listen: args.listen,
        system_namespace: args.system_namespace.clone(),
        tokens,
        webhook,
    };
    let running = start(parts, leading).await?;
    println!(
        "{}",
        announcement(&args, elector.as_ref(), running.api_addr())
    );
    let (elector_stop, elector_stopped) = oneshot::channel::<()>();
    let election = tokio::spawn(elect(elector, leading_tx, elector_stopped));
    stop.wait().await;
    println!("shutting down");
    running.stop().await;
    let _ = elector_stop.send(());
    let _ = election.await;
    Ok(())
}

/// The first line `driftless controller` prints: what it reconciles, how it is elected and
/// where its API listens.
fn announcement(args: &ControllerArgs, elector: Option<&LeaderElector>, api: SocketAddr) -> String {
    let scope = match &args.namespace {
        Some(namespace) => format!("the Applications of namespace {namespace}"),
        None => "the Applications of every namespace".to_owned(),
    };
    let election = match elector {
        Some(elector) => format!(
            "leader election through Lease {}/{} as {}",
            elector.config().namespace,
            elector.config().name,
            elector.config().identity
        ),
        None => "no leader election".to_owned(),
    };
    format!("driftless controller: reconciling {scope}; {election}; API at http://{api}")
}

/// Takes part in the election until `stopped` (or, without an elector, leads until then).
async fn elect(
    elector: Option<LeaderElector>,
    leading: watch::Sender<bool>,
    stopped: oneshot::Receiver<()>,
) {
    let stopped = async move {
        let _ = stopped.await;
    };
    match elector {
        Some(elector) => {
            if let Err(error) = elector.run(&leading, stopped).await {
                tracing::warn!(%error, "releasing the leader Lease failed; it expires on its own");
            }
        }
        None => stopped.await,
    }
}

/// Fails with a clear message when the system namespace, where the Lease lives, is missing.
async fn require_namespace(client: &kube::Client, namespace: &str) -> anyhow::Result<()> {
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    match api.get_opt(namespace).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => anyhow::bail!(
            "namespace {namespace} (--system-namespace) does not exist; create it \
             (kubectl create namespace {namespace}) or run a single replica with --leader-elect=false"
        ),
        Err(error) => Err(error).context("reading the system namespace"),
    }
}

/// The elector of `driftless controller`'s Lease in the system namespace.
fn lease_elector(client: &kube::Client, args: &ControllerArgs) -> anyhow::Result<LeaderElector> {
    let config = LeaseConfig {
        lease_duration: args.lease_duration,
        renew_deadline: args.renew_deadline,
        retry_period: args.retry_period,
        ..LeaseConfig::new(&args.system_namespace)
    };
    LeaderElector::new(client.clone(), config).context("leader election")
}

/// The API tokens and the webhook secret, from files or Secrets. Without tokens every API
/// request is refused (401); without a webhook secret every webhook is (403).
async fn server_secrets(
    client: &kube::Client,
    args: &ControllerArgs,
) -> anyhow::Result<(ApiTokens, Option<WebhookSecret>)> {
    let namespace = &args.system_namespace;
    let tokens = match (&args.api_token_file, &args.api_token_secret) {
        (Some(path), _) => ApiTokens::from_file(path).context("--api-token-file")?,
        (None, Some(name)) => ApiTokens::from_secret(client, namespace, name)
            .await
            .context("--api-token-secret")?,
        (None, None) => {
            tracing::warn!("no API tokens configured (--api-token-file or --api-token-secret): every API request will be refused");
            ApiTokens::none()
        }
    };
    let webhook = match (&args.webhook_secret_file, &args.webhook_secret) {
        (Some(path), _) => Some(WebhookSecret::from_file(path).context("--webhook-secret-file")?),
        (None, Some(name)) => Some(
            WebhookSecret::from_secret(client, namespace, name)
                .await
                .context("--webhook-secret")?,
        ),
        (None, None) => None,
    };
    Ok((tokens, webhook))
}

/// A client of `config` whose every request is counted in `metrics`.
fn counted_client(config: kube::Config, metrics: &Arc<Metrics>) -> anyhow::Result<kube::Client> {
    let builder =
        kube::client::ClientBuilder::try_from(config).context("creating the Kubernetes client")?;
    Ok(builder.with_layer(&metrics.api_layer()).build())
}

/// Starts the controller and its HTTP server; both stop on [`RunningController::stop`].
async fn start(parts: Parts, leading: watch::Receiver<bool>) -> anyhow::Result<RunningController> {
    let (listener, api_addr) = server::bind(parts.listen)
        .await
        .with_context(|| format!("listening on {}", parts.listen))?;
    let git = Source::open(SourceConfig::new(&parts.cache_dir))
        .context("opening the repository cache")?;
    let destinations = Destinations::new(
        parts.client.clone(),
        Arc::new(git),
        Arc::new(Renderer::from_path()),
        Settings {
            health_timeout: parts.timeout,
        },
        parts.system_namespace,
    );
    let (hub, triggers) = Hub::new(Arc::new(destinations), parts.metrics);
    let config = ControllerConfig {
        namespace: parts.namespace,
        concurrency: parts.concurrency,
    };
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let (server_stop_tx, server_stop_rx) = oneshot::channel::<()>();
    let controller = tokio::spawn(controller::run(
        hub.clone(),
        triggers,
        config,
        leading,
        async move {
            let _ = stop_rx.await;
            let _ = server_stop_tx.send(());
        },
    ));
    let state = ServerState {
        hub: hub.clone(),
        tokens: parts.tokens,
        webhook: parts.webhook,
    };
    let server = tokio::spawn(async move {
        let stopped = async move {
            let _ = server_stop_rx.await;
        };
        if let Err(error) = server::serve(listener, state, stopped).await {
            tracing::error!(%error, "the HTTP server stopped");
        }
    });
    Ok(RunningController {
        hub,
        api_addr,
        stop: Some(stop_tx),
        controller,
        server,
    })
}
