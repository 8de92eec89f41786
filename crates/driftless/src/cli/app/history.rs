//! `driftless app history NAME`: the syncs an Application keeps, the IDs `app rollback` takes.

use std::process::ExitCode;

use clap::Args;

use super::{short, Ctx};
use crate::cli::output::{render_data, table, Format};

/// Flags of `app history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// Output format (json and yaml print status.history).
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    output: Format,
}

/// Prints `ID REVISION DEPLOYED-AT SOURCE` (source as `path@targetRevision`), oldest first.
pub async fn run(ctx: &Ctx, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let app = ctx.fetch(&target).await?;
    let history = app.status.map(|s| s.history).unwrap_or_default();
    let text = match args.output {
        Format::Table => {
            let rows = history.iter().map(|entry| {
                let path = if entry.source.path.is_empty() {
                    "."
                } else {
                    &entry.source.path
                };
                let revision = if entry.source.target_revision.is_empty() {
                    "HEAD"
                } else {
                    &entry.source.target_revision
                };
                vec![
                    entry.id.to_string(),
                    short(&entry.revision),
                    entry.deployed_at.clone(),
                    format!("{path}@{revision}"),
                ]
            });
            table(&["ID", "REVISION", "DEPLOYED-AT", "SOURCE"], rows)
        }
        format => render_data(&history, format)?,
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
