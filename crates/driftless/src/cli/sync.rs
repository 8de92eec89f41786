//! `driftless sync -f app.yaml` (one sync, push mode) and `driftless diff -f app.yaml` (what a
//! sync would change), without a controller.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use driftless::sync::heal::{interval_of, keep_in_sync, Reporter};
use driftless::sync::status::{now_rfc3339 as now, status_after, write_status, Times};
use driftless::sync::SyncOutcome;
use driftless::sync::{rollback_request, SyncRequest};
use driftless_core::application::{Application, ApplicationStatus, SyncStatusCode};
use kube::Client;

use super::app_file::{load, AppFileArgs, Loaded};
use super::output::{render_outcome, Format};
use super::signals::StopSignals;

/// Flags of `driftless sync`.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub app: AppFileArgs,
    /// Revision to sync instead of spec.source.targetRevision.
    #[arg(long)]
    pub revision: Option<String>,
    /// Prune objects Git no longer declares, whatever syncPolicy.automated.prune says.
    #[arg(long, conflicts_with = "no_prune")]
    pub prune: bool,
    /// Never prune in this sync.
    #[arg(long)]
    pub no_prune: bool,
    /// Roll back to this status.history entry (its revision and source) instead of syncing
    /// the target revision; needs the Application in the cluster.
    #[arg(long, conflicts_with = "revision")]
    pub rollback: Option<i64>,
    /// Roll back even though automated sync is on.
    #[arg(long, requires = "rollback")]
    pub force: bool,
    /// Do not wait for the objects to become healthy at the end.
    #[arg(long)]
    pub no_wait: bool,
    /// Keep running: watch the managed objects and repair drift (with selfHeal), and sync
    /// again every spec.interval; stops on Ctrl-C or SIGTERM.
    #[arg(long, conflicts_with = "rollback")]
    pub watch: bool,
    /// Output format.
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// Flags of `driftless diff`.
#[derive(Debug, Clone, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub app: AppFileArgs,
    /// Revision to compare instead of spec.source.targetRevision.
    #[arg(long)]
    pub revision: Option<String>,
    /// Render this directory as it is on disk instead of fetching the repository.
    #[arg(long)]
    pub local: Option<PathBuf>,
    /// Exit with 1 when anything differs (0 when nothing does, 2 on errors).
    #[arg(long)]
    pub exit_code: bool,
    /// Output format (the table is preceded by the diffs).
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// Runs one sync and prints its ChangeSet; exit code 1 when the sync failed.
pub async fn run_sync(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let stop = args.watch.then(StopSignals::install).transpose()?;
    let mut loaded = load(&args.app).await?;
    if let Some(stop) = stop {
        return watch(loaded, &args, stop).await;
    }
    let mut request = match args.rollback {
        Some(id) => rollback_request(&loaded.app, id, args.force)?,
        None => SyncRequest {
            revision: args.revision.clone(),
            force: true,
            ..SyncRequest::default()
        },
    };
    request.prune = prune_flag(&args);
    request.wait = !args.no_wait;
    let started = now();
    let outcome = loaded
        .engine
        .sync(&loaded.app, &mut loaded.state, &request)
        .await;
    if loaded.in_cluster {
        record_status(&loaded, &outcome, &started).await?;
    }
    print!("{}", render_outcome(&outcome, args.output, "sync")?);
    Ok(if outcome.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Writes the Application's status after `outcome` (a sync or comparison that started at
/// `started`) to the cluster.
async fn record_status(
    loaded: &Loaded,
    outcome: &SyncOutcome,
    started: &str,
) -> anyhow::Result<()> {
    let times = Times {
        started,
        finished: &now(),
    };
    let status = status_after(&loaded.app, outcome, &loaded.state, &times);
    write_status(&loaded.client, &loaded.app, &status)
        .await
        .context("writing the Application's status")
}

fn prune_flag(args: &SyncArgs) -> Option<bool> {
    match (args.prune, args.no_prune) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Compares and prints the diffs and what a sync would do.
pub async fn run_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let mut loaded = load(&args.app).await?;
    let request = SyncRequest {
        revision: args.revision.clone(),
        dry_run: true,
        local: args.local.clone(),
        ..SyncRequest::default()
    };
    let started = now();
    let outcome = loaded
        .engine
        .sync(&loaded.app, &mut loaded.state, &request)
        .await;
    if loaded.in_cluster
        && args.local.is_none()
        && args.revision.is_none()
        && outcome.error.is_none()
    {
        record_status(&loaded, &outcome, &started).await?;
    }
    print_diff(&outcome, args.output, args.exit_code)
}

/// Prints a comparison as `driftless diff` and `driftless app diff` do (the diffs, then the
/// ChangeSet and a summary line, or the same as data) and returns the exit code: 2 when the
/// comparison failed, 1 when `exit_code` is set and something differs, else 0.
pub fn print_diff(
    outcome: &SyncOutcome,
    format: Format,
    exit_code: bool,
) -> anyhow::Result<ExitCode> {
    if format == Format::Table {
        for diff in &outcome.diffs {
            print!("{}", diff.text);
        }
    }
    print!("{}", render_outcome(outcome, format, "diff")?);
    let differs = outcome.sync == SyncStatusCode::OutOfSync
        || outcome.changes.entries.iter().any(|e| e.action.is_write());
    Ok(match (&outcome.error, exit_code && differs) {
        (Some(_), _) => ExitCode::from(2),
        (None, true) => ExitCode::from(1),
        (None, false) => ExitCode::SUCCESS,
    })
}

/// `sync --watch`: keep the Application in sync until a stop signal; prints each sync that
/// did something or failed, and writes the status when the Application is in the cluster.
async fn watch(loaded: Loaded, args: &SyncArgs, stop: StopSignals) -> anyhow::Result<ExitCode> {
    let interval = interval_of(&loaded.app).map_err(anyhow::Error::msg)?;
    let mut printer = Printer {
        client: loaded.client.clone(),
        in_cluster: loaded.in_cluster,
        format: args.output,
        first: true,
        written: None,
    };
    keep_in_sync(
        std::sync::Arc::new(loaded.engine),
        loaded.app,
        loaded.state,
        interval,
        &mut printer,
        stop.wait(),
    )
    .await;
    Ok(ExitCode::SUCCESS)
}

/// Prints the syncs of the watch mode and writes the Application's status.
struct Printer {
    client: Client,
    in_cluster: bool,
    format: Format,
    first: bool,
    /// The status last written, so that an unchanged one is not written again.
    written: Option<ApplicationStatus>,
}

impl Reporter for Printer {
    fn report(
        &mut self,
        app: &Application,
        outcome: &SyncOutcome,
    ) -> impl std::future::Future<Output = ()> + Send {
        let worth_printing =
            self.first || outcome.error.is_some() || outcome.changes.changes().next().is_some();
        self.first = false;
        let printed = worth_printing.then(|| render_outcome(outcome, self.format, "sync"));
        let changed = app.status.is_some() && app.status != self.written;
        let write = (self.in_cluster && changed).then(|| (self.client.clone(), app.clone()));
        if changed {
            self.written = app.status.clone();
        }
        async move {
            match printed {
                Some(Ok(text)) => print!("{text}"),
                Some(Err(error)) => eprintln!("error: printing the result: {error}"),
                None => {}
            }
            if let Some((client, app)) = write {
                if let Some(status) = &app.status {
                    if let Err(error) = write_status(&client, &app, status).await {
                        eprintln!("error: writing the Application's status: {error}");
                    }
                }
            }
        }
    }
}
