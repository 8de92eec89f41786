//! `driftless cluster serve`: devcluster on its own, with a kubeconfig for kubectl.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use devcluster::{DevCluster, DevClusterConfig};

/// `driftless cluster ...`
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Serve the Kubernetes API on loopback and write a kubeconfig; stops on Ctrl-C or SIGTERM.
    Serve(ServeArgs),
}

/// Flags of `driftless cluster serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (plain HTTP).
    #[arg(long, env = "DEVCLUSTER_LISTEN", default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Directory of the durable store (created if missing).
    #[arg(long, env = "DEVCLUSTER_DATA", conflicts_with = "in_memory")]
    data: Option<PathBuf>,
    /// Keep everything in memory (lost on exit).
    #[arg(long)]
    in_memory: bool,
    /// Where to write the kubeconfig.
    #[arg(
        long,
        env = "DEVCLUSTER_KUBECONFIG",
        default_value = "devcluster.kubeconfig"
    )]
    kubeconfig: PathBuf,
    /// Require this bearer token on every request (the kubeconfig carries it).
    #[arg(long, env = "DEVCLUSTER_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Runs `driftless cluster ...`.
pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    match args.command {
        ClusterCommand::Serve(serve) => serve_cluster(serve).await,
    }
}

const DEFAULT_DATA_DIR: &str = ".devcluster";

async fn serve_cluster(args: ServeArgs) -> anyhow::Result<()> {
    let data_dir = match (args.in_memory, args.data) {
        (true, _) => None,
        (false, Some(dir)) => Some(dir),
        (false, None) => Some(PathBuf::from(DEFAULT_DATA_DIR)),
    };
    let config = DevClusterConfig {
        listen: args.listen,
        data_dir: data_dir.clone(),
        token: args.token,
        ..DevClusterConfig::default()
    };
    let cluster = DevCluster::start(config)
        .await
        .context("starting devcluster")?;
    write_private(&args.kubeconfig, cluster.kubeconfig())
        .with_context(|| format!("writing the kubeconfig to {}", args.kubeconfig.display()))?;
    println!("devcluster serving the Kubernetes API at {}", cluster.url());
    println!("kubeconfig: {}", args.kubeconfig.display());
    match &data_dir {
        Some(dir) => println!("data: {}", dir.display()),
        None => println!("data: in memory"),
    }
    println!(
        "try: KUBECONFIG={} kubectl get namespaces",
        args.kubeconfig.display()
    );
    wait_for_signal().await?;
    println!("shutting down");
    cluster.stop(Duration::from_secs(2)).await;
    Ok(())
}

/// Writes a file readable by its owner only (it may hold a token).
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
