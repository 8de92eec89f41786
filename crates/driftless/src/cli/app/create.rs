//! `driftless app create -f app.yaml [--upsert]`: a validated Application file created in the
//! cluster, or with `--upsert` applied server-side (created or updated).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use driftless_core::application::Application;
use kube::api::{Api, Patch, PatchParams, PostParams};

use super::{api_error, validate_name, Ctx, Target};
use crate::cli::app_file::read_application;

/// Field manager of `app create --upsert`: the user's, not the controller's.
const FIELD_MANAGER: &str = "driftless-cli";

/// Flags of `app create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The Application manifest (YAML or JSON).
    #[arg(short = 'f', long = "file", env = "DRIFTLESS_APP_FILE")]
    file: PathBuf,
    /// Update the Application when it exists (server-side apply) instead of refusing.
    #[arg(long)]
    upsert: bool,
}

/// Creates (or with `--upsert`, applies) the Application of the file.
pub async fn run(ctx: &Ctx, args: &CreateArgs) -> anyhow::Result<ExitCode> {
    let mut app = read_application(&args.file)?;
    let namespace = app
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| ctx.namespace.clone());
    if ctx.namespace_given && namespace != ctx.namespace {
        anyhow::bail!(
            "{}: the Application is in namespace {namespace} but --namespace says {}",
            args.file.display(),
            ctx.namespace
        );
    }
    let target = Target {
        namespace,
        name: app.name().to_owned(),
    };
    validate_name("namespace", &target.namespace)?;
    validate_name("application name", &target.name)?;
    // What the server owns is not the user's to send: a file saved with `app get -o yaml`
    // creates the same Application.
    app.metadata.namespace = Some(target.namespace.clone());
    app.metadata.resource_version = None;
    app.metadata.uid = None;
    app.metadata.managed_fields = None;
    app.metadata.creation_timestamp = None;
    app.metadata.generation = None;
    app.status = None;
    let api: Api<Application> = Api::namespaced(ctx.client.clone(), &target.namespace);
    if args.upsert {
        let before = match api.get_opt(&target.name).await {
            Ok(found) => found,
            Err(error) => {
                return Err(api_error(&ctx.client, error, "reading the Application").await)
            }
        };
        let params = PatchParams::apply(FIELD_MANAGER).force();
        let after = match api.patch(&target.name, &params, &Patch::Apply(&app)).await {
            Ok(applied) => applied,
            Err(error) => {
                return Err(api_error(&ctx.client, error, "applying the Application").await)
            }
        };
        let verb = match before {
            None => "created",
            Some(before) if same_declaration(&before, &after) => "unchanged",
            Some(_) => "configured",
        };
        println!("application {target} {verb}");
        return Ok(ExitCode::SUCCESS);
    }
    match api.create(&PostParams::default(), &app).await {
        Ok(_) => {
            println!("application {target} created");
            Ok(ExitCode::SUCCESS)
        }
        Err(kube::Error::Api(status)) if status.code == 409 => {
            anyhow::bail!("application {target} already exists (use --upsert)")
        }
        Err(error) => Err(api_error(&ctx.client, error, "creating the Application").await),
    }
}

/// True when the user's part of two versions of an Application is the same: spec, labels and
/// annotations (a new field manager alone changes nothing the user declared).
fn same_declaration(a: &Application, b: &Application) -> bool {
    a.spec == b.spec
        && a.metadata.labels == b.metadata.labels
        && a.metadata.annotations == b.metadata.annotations
}
