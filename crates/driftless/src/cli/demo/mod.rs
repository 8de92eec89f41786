//! `driftless demo`: the whole product in one command. devcluster in-process, an example Git
//! repository with four apps, the Application CRD and one Application per app, the
//! controller and the HTTP API — and a watch on the repository so that a commit there is
//! applied within a second. State lives in one data directory; running it again resumes.

mod repo_watch;
mod sample;
mod secrets;
mod setup;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::controller::{self, InProcess};
use super::signals::StopSignals;
use repo_watch::RepoWatch;
use setup::{DemoDir, Prepared, NAMESPACE};

/// Flags of `driftless demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory of the demo's state: cluster, repository, kubeconfig, token, cache. Kept
    /// across runs.
    #[arg(long, env = "DRIFTLESS_DEMO_DIR", default_value = ".driftless-demo")]
    data_dir: PathBuf,
    /// Address of the HTTP API (and UI, webhooks, metrics).
    #[arg(long, env = "DRIFTLESS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Address of the embedded cluster's Kubernetes API (port 0 picks a free one; the
    /// kubeconfig names it).
    #[arg(
        long,
        env = "DRIFTLESS_DEMO_CLUSTER_LISTEN",
        default_value = "127.0.0.1:0"
    )]
    cluster_listen: SocketAddr,
}

/// How long the embedded cluster waits for open requests when stopping.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Runs the demo until Ctrl-C or SIGTERM.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    // Listen for the stop signals before anything is announced, so a signal sent right after
    // the announcement is never left to its default action.
    let stop = StopSignals::install()?;
    sample::check_git()?;
    warn_without_kubectl();
    ensure_free(args.listen, "--listen")?;
    ensure_free(args.cluster_listen, "--cluster-listen")?;
    let dir = DemoDir::open(&args.data_dir)?;
    let _lock = dir.lock()?;
    let Prepared {
        dir,
        cluster,
        admin_token,
        webhook_secret,
        created_repo,
    } = setup::prepare(dir, args.cluster_listen).await?;

    let started = controller::start_in_process(InProcess {
        kubeconfig: dir.kubeconfig(),
        cache_dir: dir.cache(),
        listen: args.listen,
        admin_token,
        webhook_secret,
    })
    .await;
    let running = match started {
        Ok(running) => running,
        Err(error) => {
            cluster.stop(STOP_GRACE).await;
            return Err(error.context("starting the controller"));
        }
    };
    let watch = tokio::spawn(
        RepoWatch {
            git_dir: dir.repo().join(".git"),
            branch: sample::BRANCH.to_owned(),
            repo_url: dir.repo_url(),
            namespace: NAMESPACE.to_owned(),
        }
        .run(running.hub().clone()),
    );

    print!("{}", next_steps(&dir, running.api_addr(), created_repo));
    use std::io::Write;
    let _ = std::io::stdout().flush();

    stop.wait().await;
    println!("Stopping the demo...");
    watch.abort();
    running.stop().await;
    cluster.stop(STOP_GRACE).await;
    println!("Stopped. Run `driftless demo` again to resume.");
    Ok(())
}

/// What to do next, printed once everything runs.
fn next_steps(dir: &DemoDir, api: SocketAddr, created_repo: bool) -> String {
    let root = dir.root().display();
    let repo = dir.repo();
    let repo = repo.display();
    let token = dir.api_token();
    let token = token.display();
    let apps: Vec<String> = sample::EXAMPLES
        .iter()
        .map(|e| format!("    {:<10} {:<24} {}", e.name, e.path, e.about))
        .collect();
    let resumed = if created_repo {
        "created"
    } else {
        "resumed from"
    };
    format!(
        "Driftless demo is running ({resumed} {root}).\n\
         Applications in namespace {NAMESPACE}, each deployed to demo-<name>:\n\
         {apps}\n\
         \x20 export KUBECONFIG={kubeconfig}\n\
         \x20 driftless app list\n\
         \x20 kubectl get applications\n\
         \x20 API:   http://{api}  (token in {token}: curl -H \"Authorization: Bearer $(cat {token})\" http://{api}/api/v1/applications)\n\
         \x20 Repo:  {repo}   edit, then: git -C {repo} commit -am \"change\" — applied within a second\n\
         Ctrl-C stops it; running `driftless demo` again resumes.\n",
        apps = apps.join("\n"),
        kubeconfig = dir.kubeconfig().display(),
    )
}

/// Fails with one clear line when `addr` cannot be bound (port 0 always can).
fn ensure_free(addr: SocketAddr, flag: &str) -> anyhow::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    std::net::TcpListener::bind(addr)
        .map(drop)
        .with_context(|| format!("cannot listen on {addr} (is another demo or server running? choose another address with {flag})"))
}

/// Kustomize is run through kubectl; without it the Kustomize example cannot render.
fn warn_without_kubectl() {
    let found = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!(
            "warning: kubectl is not on PATH: the podinfo example (Kustomize) will not render, and kubectl is how you look at the cluster"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Demo {
        #[command(flatten)]
        args: DemoArgs,
    }

    #[test]
    fn defaults_are_a_local_directory_port_8080_and_any_cluster_port() {
        let args = Demo::try_parse_from(["demo"]).unwrap().args;
        assert_eq!(args.data_dir, PathBuf::from(".driftless-demo"));
        assert_eq!(args.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(args.cluster_listen.port(), 0);
    }

    #[test]
    fn next_steps_carry_the_export_line_the_api_and_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DemoDir::open(tmp.path()).unwrap();
        let text = next_steps(&dir, "127.0.0.1:8080".parse().unwrap(), true);
        let export = format!("  export KUBECONFIG={}", dir.kubeconfig().display());
        assert!(text.lines().any(|l| l == export), "{text}");
        assert!(text.contains("API:   http://127.0.0.1:8080  (token in "));
        assert!(text.contains(&format!("git -C {} commit -am", dir.repo().display())));
        for example in sample::EXAMPLES {
            assert!(text.contains(example.name));
        }
    }

    #[test]
    fn a_busy_port_is_one_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let error = ensure_free(addr, "--listen").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("choose another address with --listen"),
            "{error}"
        );
    }
}
