//! `driftless app diff NAME`: what a sync would change, computed the way the controller would
//! sync it and printed exactly as `driftless diff -f` prints it.

use std::process::ExitCode;

use clap::Args;
use driftless::controller::preview::preview;

use super::Ctx;
use crate::cli::output::Format;
use crate::cli::sync::print_diff;

/// Flags of `app diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// Revision to compare (a branch, tag or commit) instead of spec.source.targetRevision.
    #[arg(long, env = "DRIFTLESS_REVISION")]
    revision: Option<String>,
    /// Exit with 1 when anything differs (0 when nothing does, 2 on errors).
    #[arg(long)]
    exit_code: bool,
    /// Output format (the table is preceded by the diffs).
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    output: Format,
}

/// Compares and prints; the exit code is `driftless diff`'s.
pub async fn run(ctx: &Ctx, args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let app = ctx.fetch(&target).await?;
    let destinations = ctx.destinations()?;
    let outcome = preview(&destinations, &app, args.revision.clone()).await?;
    print_diff(&outcome, args.output, args.exit_code)
}
