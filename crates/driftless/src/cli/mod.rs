//! Command-line interface: flags parsed into plain data, one file per command group.

mod app;
mod app_file;
mod cluster;
mod controller;
mod crd;
mod demo;
mod output;
mod render;
mod signals;
mod sync;

use std::process::ExitCode;

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
    /// Sync one Application file into the cluster of the kubeconfig without a controller: once,
    /// or kept in sync with --watch.
    Sync(Box<sync::SyncArgs>),
    /// Show what `driftless sync` would change (exit code 1 with --exit-code when anything differs).
    Diff(Box<sync::DiffArgs>),
    /// Print the CustomResourceDefinitions Driftless needs.
    Crd,
    /// Reconcile every Application of the cluster of the kubeconfig, and serve the HTTP API,
    /// webhooks and metrics.
    Controller(Box<controller::ControllerArgs>),
    /// The Applications of the cluster: list, get, diff, sync, history, rollback, suspend,
    /// resume, refresh, delete, create.
    App(Box<app::AppArgs>),
    /// Try Driftless in one command: a cluster, example apps in Git, the controller and the API.
    ///
    /// An embedded cluster, an example Git repository with four apps, the controller and the
    /// HTTP API; a commit to the repository is applied within a second. Stops on Ctrl-C;
    /// running it again resumes.
    Demo(Box<demo::DemoArgs>),
}

impl Cli {
    /// The log level when `RUST_LOG` is not set: `info` for servers, `warn` for commands whose
    /// output is the point.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Cluster(_) | Command::Controller(_) | Command::Demo(_) => "info",
            // The client's own error logs would repeat the one-line error `app` prints.
            Command::App(_) => "warn,kube_client=off",
            _ => "warn",
        }
    }
}

/// Logs go to stderr; `RUST_LOG` chooses the level (`default_level` when unset).
pub fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Runs the parsed command; the exit code is the command's (errors are the caller's to report).
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Cluster(args) => cluster::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Render(args) => render::run(*args).await.map(|()| ExitCode::SUCCESS),
        Command::Sync(args) => sync::run_sync(*args).await,
        Command::Diff(args) => Ok(sync::run_diff(*args).await.unwrap_or_else(|error| {
            eprintln!("error: {}", describe(&error));
            ExitCode::from(2)
        })),
        Command::Crd => crd::run().map(|()| ExitCode::SUCCESS),
        Command::Controller(args) => controller::run(*args).await.map(|()| ExitCode::SUCCESS),
        Command::App(args) => Ok(app::run(*args).await),
        Command::Demo(args) => demo::run(*args).await.map(|()| ExitCode::SUCCESS),
    }
}

/// The error and its causes on one line, skipping a cause whose text the message already carries.
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
