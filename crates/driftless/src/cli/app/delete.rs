//! `driftless app delete NAME [--cascade]`: deletes the Application; with `--cascade` first the
//! objects of its inventory that carry its tracking id, in reverse order.

use std::process::ExitCode;

use clap::Args;
use driftless::cluster::Deleted;
use driftless_core::application::Application;
use driftless_core::tracking::is_owned_by;
use kube::api::{Api, DeleteParams, PropagationPolicy};

use super::{Ctx, Target};
use crate::cli::output::kind_label;

/// Flags of `app delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
    /// First delete the objects the Application manages (those of status.inventory whose
    /// tracking annotation names it); without it they are left in place.
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
    } else {
        println!(
            "application {target} deleted; its {inventory} managed object(s) were left in place"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Deletes the inventory's objects that carry `app`'s tracking id, last first, printing one line
/// per object; stops at the first error so that the Application stays to try again.
async fn delete_managed(ctx: &Ctx, app: &Application) -> anyhow::Result<()> {
    let inventory = app
        .status
        .as_ref()
        .map(|s| s.inventory.clone())
        .unwrap_or_default();
    if inventory.is_empty() {
        return Ok(());
    }
    let target = Target {
        namespace: app.namespace().to_owned(),
        name: app.name().to_owned(),
    };
    let destinations = ctx.destinations()?;
    let engine = destinations.engine_for(app).await?;
    let manager = engine.manager();
    for object in inventory.iter().rev() {
        let what = if object.namespace.is_empty() {
            format!("{} {}", kind_label(object), object.name)
        } else {
            format!(
                "{} {}/{}",
                kind_label(object),
                object.namespace,
                object.name
            )
        };
        let live = manager.get(object).await.map_err(|e| {
            anyhow::Error::new(e).context(format!("deleting the objects of application {target}"))
        })?;
        match live {
            None => println!("{what}: already gone"),
            Some(live) if !is_owned_by(&live, &target.namespace, &target.name, object) => {
                println!("{what}: left in place (its tracking id does not name {target})");
            }
            Some(_) => match manager
                .delete(object, PropagationPolicy::Background)
                .await
                .map_err(|e| {
                    anyhow::Error::new(e)
                        .context(format!("deleting the objects of application {target}"))
                })? {
                Deleted::Gone => println!("{what}: deleted"),
                Deleted::Pending => println!("{what}: deletion started"),
            },
        }
    }
    Ok(())
}
