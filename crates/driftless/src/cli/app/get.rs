//! `driftless app get NAME`: one Application, a header and a table of its objects.

use std::process::ExitCode;

use clap::Args;
use driftless_core::application::{Application, ApplicationStatus};

use super::{printable, short, Ctx};
use crate::cli::output::{kind_label, render_data, table, Format};

/// Flags of `app get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// Output format (json and yaml print the Application without managedFields).
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    output: Format,
}

/// Prints the Application.
pub async fn run(ctx: &Ctx, args: &GetArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let app = ctx.fetch(&target).await?;
    let text = match args.output {
        Format::Table => describe_app(&app),
        format => render_data(&printable(app), format)?,
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// The header (`Label:  value` lines) and, when it manages objects, a blank line and
/// `KIND NAMESPACE NAME SYNC HEALTH`.
fn describe_app(app: &Application) -> String {
    let default = ApplicationStatus::default();
    let status = app.status.as_ref().unwrap_or(&default);
    let source = &app.spec.source;
    let destination = &app.spec.destination;
    let mut lines: Vec<(&str, String)> = vec![
        ("Name", app.key()),
        ("Repo", source.repo_url.clone()),
        ("Path", or(&source.path, ".")),
        ("Target revision", or(&source.target_revision, "HEAD")),
        (
            "Destination",
            format!(
                "{} (namespace {})",
                or(
                    &or(&destination.name, &destination.server),
                    driftless::cluster::IN_CLUSTER
                ),
                or(&destination.namespace, "-")
            ),
        ),
        ("Sync", {
            let sync = format!("{:?}", status.sync.status);
            if status.sync.revision.is_empty() {
                sync
            } else {
                format!("{sync} at {}", short(&status.sync.revision))
            }
        }),
        ("Health", {
            let health = format!("{:?}", status.health.status);
            with_message(health, &status.health.message)
        }),
    ];
    if let Some(ready) = status.conditions.iter().find(|c| c.type_ == "Ready") {
        lines.push(("Ready", with_message(ready.status.clone(), &ready.message)));
    }
    if app.spec.suspend {
        lines.push(("Suspended", "yes: no sync, poll or repair".to_owned()));
    }
    if let Some(operation) = &app.operation {
        let what = match (&operation.sync, &operation.rollback) {
            (_, Some(rollback)) => format!("rollback to history entry {}", rollback.id),
            (Some(sync), None) if !sync.revision.is_empty() => {
                format!("sync of {}", sync.revision)
            }
            _ => "sync".to_owned(),
        };
        lines.push(("Requested", format!("{what}, not finished yet")));
    }
    if let Some(state) = &status.operation_state {
        lines.push((
            "Last operation",
            with_message(format!("{:?}", state.phase), &state.message),
        ));
    }
    let width = lines
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0)
        + 4;
    let mut text = String::new();
    for (label, value) in &lines {
        text.push_str(format!("{:<width$}{value}", format!("{label}:")).trim_end());
        text.push('\n');
    }
    if !status.resources.is_empty() {
        text.push('\n');
        let rows = status.resources.iter().map(|resource| {
            vec![
                kind_label(&resource.object),
                resource.object.namespace.clone(),
                resource.object.name.clone(),
                format!("{:?}", resource.status),
                resource
                    .health
                    .as_ref()
                    .map(|h| format!("{:?}", h.status))
                    .unwrap_or_default(),
            ]
        });
        text.push_str(&table(
            &["KIND", "NAMESPACE", "NAME", "SYNC", "HEALTH"],
            rows,
        ));
    }
    text
}

/// `value`, or `fallback` when it is empty.
fn or(value: &str, fallback: &str) -> String {
    if value.is_empty() {
        fallback.to_owned()
    } else {
        value.to_owned()
    }
}

/// `value: message`, or `value` alone when there is no message.
fn with_message(value: String, message: &str) -> String {
    if message.is_empty() {
        value
    } else {
        format!("{value}: {message}")
    }
}
