//! `driftless cluster serve`: devcluster on its own, with a kubeconfig for kubectl.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use devcluster::{DevCluster, DevClusterConfig};

use super::signals::StopSignals;

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
    /// Address to listen on (plain HTTP; HTTPS with --token).
    #[arg(long, env = "DEVCLUSTER_LISTEN", default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Directory of the durable store, created if missing [default: .devcluster].
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
    /// Require this bearer token on every request and serve HTTPS with a generated CA (the kubeconfig carries both).
    #[arg(long, env = "DEVCLUSTER_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Run the workload simulator: workloads get the status the kubelet and controllers would write.
    #[arg(long, env = "DEVCLUSTER_SIMULATE")]
    simulate: bool,
    /// How long simulated workloads take to become ready (or to fail): a number with ms, s or m.
    #[arg(long, env = "DEVCLUSTER_SIMULATE_DELAY", default_value = "1s", value_parser = parse_delay)]
    simulate_delay: Duration,
}

/// Runs `driftless cluster ...`.
pub async fn run(args: ClusterArgs) -> anyhow::Result<()> {
    match args.command {
        ClusterCommand::Serve(serve) => serve_cluster(serve).await,
    }
}

const DEFAULT_DATA_DIR: &str = ".devcluster";

async fn serve_cluster(args: ServeArgs) -> anyhow::Result<()> {
    // Listen for the stop signals before anything is announced, so a signal sent right after the
    // announcement is never left to its default action.
    let stop = StopSignals::install()?;
    let data_dir = match (args.in_memory, args.data) {
        (true, _) => None,
        (false, Some(dir)) => Some(dir),
        (false, None) => Some(PathBuf::from(DEFAULT_DATA_DIR)),
    };
    let config = DevClusterConfig {
        listen: args.listen,
        data_dir: data_dir.clone(),
        token: args.token,
        simulate: args.simulate.then_some(args.simulate_delay),
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
    if args.simulate {
        println!(
            "workload simulator: on, workloads settle after {:?}",
            args.simulate_delay
        );
    }
    println!(
        "try: KUBECONFIG={} kubectl get namespaces",
        args.kubeconfig.display()
    );
    stop.wait().await;
    println!("shutting down");
    cluster.stop(Duration::from_secs(2)).await;
    Ok(())
}

/// Parses a delay: a whole number with the unit `ms`, `s` or `m` (`500ms`, `1s`, `2m`).
fn parse_delay(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let invalid = || format!("{text:?} is not a delay like 500ms, 1s or 2m");
    let n: u64 = number.parse().map_err(|_| invalid())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => n
            .checked_mul(60)
            .map(Duration::from_secs)
            .ok_or_else(invalid),
        _ => Err(invalid()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn delays_take_a_unit() {
        assert_eq!(parse_delay("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_delay("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_delay("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "1", "s", "1h", "-1s", "1.5s"] {
            assert!(parse_delay(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_simulator_is_off_unless_asked_and_settles_after_one_second_by_default() {
        let off = Serve::try_parse_from(["serve"]).unwrap().args;
        assert!(!off.simulate);
        let on = Serve::try_parse_from(["serve", "--simulate"]).unwrap().args;
        assert!(on.simulate);
        assert_eq!(on.simulate_delay, Duration::from_secs(1));
        let quick = Serve::try_parse_from(["serve", "--simulate", "--simulate-delay", "200ms"])
            .unwrap()
            .args;
        assert_eq!(quick.simulate_delay, Duration::from_millis(200));
    }
}
