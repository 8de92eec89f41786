//! `driftless app suspend|resume|refresh NAME`: one field or annotation written, one line said.

use std::process::ExitCode;

use clap::Args;
use driftless::controller::requests;

use super::Ctx;

/// The one argument of `app suspend`, `app resume` and `app refresh`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The Application: NAME or NAMESPACE/NAME.
    app: String,
}

/// Sets `spec.suspend` to `suspend`.
pub async fn run_suspend(ctx: &Ctx, args: &NameArgs, suspend: bool) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    if let Err(error) =
        requests::set_suspend(&ctx.client, &target.namespace, &target.name, suspend).await
    {
        return Err(ctx.explain(error).await);
    }
    if suspend {
        println!("application {target} suspended: no sync, poll or repair until `app resume`");
    } else {
        println!("application {target} resumed");
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the refresh annotation.
pub async fn run_refresh(ctx: &Ctx, args: &NameArgs) -> anyhow::Result<ExitCode> {
    let target = ctx.target(&args.app)?;
    if let Err(error) =
        requests::request_refresh(&ctx.client, &target.namespace, &target.name).await
    {
        return Err(ctx.explain(error).await);
    }
    println!("refresh of application {target} requested");
    Ok(ExitCode::SUCCESS)
}
