//! `driftless app list`: every Application (of one namespace with `-n`), one line each.

use std::process::ExitCode;

use clap::Args;
use driftless_core::application::Application;
use kube::api::{Api, ListParams};

use super::{api_error, printable, short, Ctx};
use crate::cli::output::{render_data, table, Format};

/// Flags of `app list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format (json and yaml print the Applications as a list).
    #[arg(short = 'o', long, env = "DRIFTLESS_OUTPUT", value_enum, default_value_t = Format::Table)]
    output: Format,
}

/// Lists the Applications, sorted by namespace and name.
pub async fn run(ctx: &Ctx, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let api: Api<Application> = if ctx.namespace_given {
        Api::namespaced(ctx.client.clone(), &ctx.namespace)
    } else {
        Api::all(ctx.client.clone())
    };
    let mut apps = match api.list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(error) => return Err(api_error(&ctx.client, error, "listing Applications").await),
    };
    apps.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    let text = match args.output {
        Format::Table => list_table(&apps),
        format => {
            let apps: Vec<Application> = apps.into_iter().map(printable).collect();
            render_data(&apps, format)?
        }
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// `NAMESPACE NAME SYNC HEALTH REVISION REPO PATH`; a suspended Application's name is
/// followed by `(suspended)`.
fn list_table(apps: &[Application]) -> String {
    let rows = apps.iter().map(|app| {
        let status = app.status.clone().unwrap_or_default();
        let name = if app.spec.suspend {
            format!("{} (suspended)", app.name())
        } else {
            app.name().to_owned()
        };
        vec![
            app.namespace().to_owned(),
            name,
            format!("{:?}", status.sync.status),
            format!("{:?}", status.health.status),
            short(&status.sync.revision),
            app.spec.source.repo_url.clone(),
            app.spec.source.path.clone(),
        ]
    });
    table(
        &[
            "NAMESPACE",
            "NAME",
            "SYNC",
            "HEALTH",
            "REVISION",
            "REPO",
            "PATH",
        ],
        rows,
    )
}
