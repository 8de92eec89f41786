//! `driftless app sync NAME` and `driftless app rollback NAME ID`: the request written on the
//! Application for the controller, and with `--wait` the operation followed to its end.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use driftless::controller::requests;
use driftless_core::application::{OperationPhase, OperationState};
use driftless_core::ChangeSet;
use jiff::Timestamp;

use super::wait::{wait_for_operation, Waited};
use super::{short, Ctx, Target, EXIT_TIMEOUT, USERNAME};
use crate::cli::output::change_table;

/// Flags of `app sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// Revision to sync (a branch, tag or commit) instead of spec.source.targetRevision.
    #[arg(long, env = "DRIFTLESS_REVISION")]
    revision: Option<String>,
    /// Prune objects Git no longer declares, whatever syncPolicy.automated.prune says.
    #[arg(long, conflicts_with = "no_prune")]
    prune: bool,
    /// Never prune in this sync.
    #[arg(long)]
    no_prune: bool,
    #[command(flatten)]
    wait: WaitArgs,
}

/// Flags of `app rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// The history entry to restore (see `app history`).
    id: i64,
    /// Roll back even though automated sync is on.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    wait: WaitArgs,
}

/// Whether and how long to follow the operation.
#[derive(Debug, Args)]
struct WaitArgs {
    /// Follow the operation: print its progress, then what it changed; exit 1 when it fails.
    #[arg(long)]
    wait: bool,
    /// With --wait, give up after this many seconds (exit code 3).
    #[arg(long, env = "DRIFTLESS_WAIT_TIMEOUT", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=604_800))]
    timeout: u64,
}

/// Requests a sync; follows it with `--wait`.
pub async fn run_sync(ctx: &Ctx, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let prune = match (args.prune, args.no_prune) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    let revision = args.revision.clone().unwrap_or_default();
    let requested = Timestamp::now();
    let app = match requests::request_sync(
        &ctx.client,
        &target.namespace,
        &target.name,
        &revision,
        prune,
        USERNAME,
    )
    .await
    {
        Ok(app) => app,
        Err(error) => return Err(ctx.explain(error).await),
    };
    if !args.wait.wait {
        let revision = if revision.is_empty() {
            match app.spec.source.target_revision.as_str() {
                "" => "HEAD".to_owned(),
                target_revision => target_revision.to_owned(),
            }
        } else {
            revision
        };
        println!("sync of application {target} to {revision} requested");
        return Ok(ExitCode::SUCCESS);
    }
    follow(ctx, &target, "sync", requested, &args.wait).await
}

/// Requests a rollback (refused here already when the entry does not exist or automated sync
/// is on without `--force`); follows it with `--wait`.
pub async fn run_rollback(ctx: &Ctx, args: &RollbackArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let requested = Timestamp::now();
    let app = match requests::request_rollback(
        &ctx.client,
        &target.namespace,
        &target.name,
        args.id,
        args.force,
        USERNAME,
    )
    .await
    {
        Ok(app) => app,
        Err(error) => return Err(ctx.explain(error).await),
    };
    if !args.wait.wait {
        let revision = app
            .status
            .iter()
            .flat_map(|s| &s.history)
            .find(|entry| entry.id == args.id)
            .map(|entry| format!(" ({})", short(&entry.revision)))
            .unwrap_or_default();
        println!(
            "rollback of application {target} to history entry {}{revision} requested",
            args.id
        );
        return Ok(ExitCode::SUCCESS);
    }
    follow(ctx, &target, "rollback", requested, &args.wait).await
}

/// Waits for the operation, printing its progress, then its changes and a summary line.
async fn follow(
    ctx: &Ctx,
    target: &Target,
    verb: &str,
    requested: Timestamp,
    wait: &WaitArgs,
) -> anyhow::Result<ExitCode> {
    let waited = wait_for_operation(
        &ctx.client,
        target,
        requested,
        Duration::from_secs(wait.timeout),
        |message| println!("{message}"),
    )
    .await?;
    match waited {
        Waited::Finished(state) => {
            print!("{}", finished(verb, &state));
            Ok(if state.phase == OperationPhase::Failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Waited::TimedOut {
            acted,
            last_message,
        } => {
            let why = match (acted, last_message.is_empty()) {
                (false, _) => format!(
                    "no controller acted on the {verb} request (is `driftless controller` running?)"
                ),
                (true, true) => format!("the {verb} has not finished"),
                (true, false) => format!("the {verb} has not finished (last: {last_message})"),
            };
            eprintln!(
                "error: timed out after {}s waiting for application {target}: {why}",
                wait.timeout
            );
            Ok(ExitCode::from(EXIT_TIMEOUT))
        }
    }
}

/// The ChangeSet table of a finished operation (when it changed anything) and a summary line:
/// `sync succeeded at <commit>: 2 created` or `sync failed at <commit>: <message>`.
fn finished(verb: &str, state: &OperationState) -> String {
    let changes = ChangeSet {
        entries: state.changes.clone(),
    };
    let mut text = if changes.entries.is_empty() {
        String::new()
    } else {
        change_table(&changes.entries)
    };
    let at = if state.revision.is_empty() {
        String::new()
    } else {
        format!(" at {}", short(&state.revision))
    };
    let line = match state.phase {
        OperationPhase::Failed => format!("{verb} failed{at}: {}", state.message),
        _ => {
            let summary = changes.summary();
            let summary = if summary.is_empty() {
                "nothing changed".to_owned()
            } else {
                summary
            };
            format!("{verb} succeeded{at}: {summary}")
        }
    };
    text.push_str(&line);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::{Action, ChangeEntry, ObjectRef};

    #[test]
    fn a_finished_operation_prints_its_changes_and_one_summary_line() {
        let state = OperationState {
            phase: OperationPhase::Succeeded,
            revision: "4f1c2d3e4f5a6b7c".into(),
            changes: vec![ChangeEntry {
                object: ObjectRef {
                    group: "apps".into(),
                    version: "v1".into(),
                    kind: "Deployment".into(),
                    namespace: "shop".into(),
                    name: "web".into(),
                },
                action: Action::Configured,
                message: String::new(),
            }],
            ..OperationState::default()
        };
        assert_eq!(
            finished("sync", &state),
            "ACTION       KIND              NAMESPACE   NAME   MESSAGE\n\
             configured   Deployment.apps   shop        web\n\
             sync succeeded at 4f1c2d3e4f5a: 1 configured\n"
        );
        let failed = OperationState {
            phase: OperationPhase::Failed,
            message: "dry-run of ConfigMap shop/settings failed".into(),
            ..OperationState::default()
        };
        assert_eq!(
            finished("rollback", &failed),
            "rollback failed: dry-run of ConfigMap shop/settings failed\n"
        );
    }
}
