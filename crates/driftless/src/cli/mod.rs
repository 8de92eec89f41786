//! Command-line interface: flags parsed into plain data, one file per command group.

mod cluster;
mod render;

use clap::{Parser, Subcommand};

/// Driftless: a GitOps engine for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "driftless", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// devcluster, the embedded Kubernetes-API-compatible cluster.
    Cluster(cluster::ClusterArgs),
    /// Print the manifests a repository path renders to (plain YAML, Kustomize, Jsonnet, Helm).
    Render(Box<render::RenderArgs>),
}

/// Logs go to stderr; `RUST_LOG` chooses the level (info by default).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Cluster(args) => cluster::run(args).await,
        Command::Render(args) => render::run(*args).await,
    }
}
