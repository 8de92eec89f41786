//! `driftless app delete NAME [--cascade]`: deletes the Application; with `--cascade` first the
//! objects of its inventory that carry its tracking id, in reverse order.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use driftless::controller::finalizer::has_resources_finalizer;
use driftless_core::application::Application;
use kube::api::{Api, DeleteParams};

use super::Ctx;
use crate::cli::output::change_table;

/// Flags of `app delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// First delete the objects the Application manages (those of status.inventory whose
    /// tracking annotation names it); without it they are left in place, unless the
    /// Application carries the resources finalizer, when the controller deletes them.
    #[arg(long)]
    cascade: bool,
}

/// Deletes (the managed objects and) the Application, saying what it deleted.
pub async fn run(ctx: &Ctx, args: &DeleteArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    let app = ctx.fetch(&target).await?;
    let inventory = app
        .status
        .as_ref()
        .map(|s| s.inventory.len())
        .unwrap_or_default();
    if args.cascade {
        delete_managed(ctx, &app).await?;
    }
    let api: Api<Application> = Api::namespaced(ctx.client.clone(), &target.namespace);
    match api.delete(&target.name, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => {}
        Err(error) => {
            return Err(anyhow::Error::new(error).context(format!("deleting application {target}")))
        }
    }
    if args.cascade || inventory == 0 {
        println!("application {target} deleted");
    } else if has_resources_finalizer(&app) {
        println!(
            "application {target} is being deleted; the controller deletes its {inventory} managed object(s) first (resources finalizer)"
        );
    } else {
        println!(
            "application {target} deleted; its {inventory} managed object(s) were left in place"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes the inventory's objects that carry `app`'s tracking id, last first, and prints what
/// happened to each as a ChangeSet table; fails, leaving the Application to try again, when any
/// delete failed.
async fn delete_managed(ctx: &Ctx, app: &Application) -> anyhow::Result<()> {
    let destinations = ctx.destinations()?;
    let engine = destinations.engine_for(app).await?;
    let changes = engine
        .delete_managed(app)
        .await
        .with_context(|| format!("deleting the objects of application {}", app.key()))?;
    if !changes.entries.is_empty() {
        print!("{}", change_table(&changes.entries));
    }
    if changes.has_failures() {
        anyhow::bail!(
            "application {} kept: not every object it manages could be deleted",
            app.key()
        );
    }
    Ok(())
}
