//! `driftless app ...`: the Applications of a cluster through the kubeconfig, as `argocd app`
//! and `flux` do it. Reads go straight to the API; sync, rollback, refresh and suspend are
//! requests written on the Application for the controller to act on, so Kubernetes RBAC
//! governs who may do what. One file per verb group.

mod create;
mod delete;
mod diff;
mod get;
mod history;
mod list;
mod operation;
mod state;
mod wait;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use driftless::cluster::Destinations;
use driftless::controller::requests::{self, RequestError};
use driftless::sync::Settings;
use driftless_core::application::{Application, GROUP, PLURAL, VERSION};
use driftless_render::Renderer;
use driftless_source::{Source, SourceConfig};
use kube::Client;

use super::describe;

/// Exit code of `--wait` when the operation did not finish in time.
pub const EXIT_TIMEOUT: u8 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the operation failed (sync or rollback with --wait), or differences (diff --exit-code)
  2  error: bad flags, application not found, request refused, cluster unreachable
  3  --wait timed out before the operation finished";

/// The sentence that tells a user how to install the missing CRD.
pub(super) const NO_CRD: &str = "the Application CRD is not installed in this cluster \
                      (run `driftless crd | kubectl apply -f -`)";

/// Flags of `driftless app`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_CODES, subcommand_required = true)]
pub struct AppArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    verb: Verb,
}

/// Flags every `app` verb takes.
#[derive(Debug, Clone, Args)]
struct CommonArgs {
    /// kubeconfig of the cluster that holds the Applications (default: $KUBECONFIG, then
    /// ~/.kube/config).
    #[arg(long, global = true, env = "DRIFTLESS_KUBECONFIG")]
    kubeconfig: Option<PathBuf>,
    /// Namespace of the Application (default: the kubeconfig context's namespace, else
    /// `default`); `app list` lists every namespace unless it is given.
    #[arg(short = 'n', long, global = true, env = "DRIFTLESS_NAMESPACE")]
    namespace: Option<String>,
    /// Where fetched repositories are cached (used by `app diff` and `app delete --cascade`).
    #[arg(long, global = true, env = "DRIFTLESS_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Namespace of the controller's cluster Secrets (destinations), for `app diff`.
    #[arg(
        long,
        global = true,
        env = "DRIFTLESS_SYSTEM_NAMESPACE",
        default_value = "driftless"
    )]
    system_namespace: String,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// List Applications: sync, health, revision and source of each.
    List(list::ListArgs),
    /// Show one Application: source, destination, state, last operation and its objects.
    Get(get::GetArgs),
    /// Show what a sync would change, computed as the controller would sync.
    Diff(diff::DiffArgs),
    /// Ask the controller for a sync (optionally of another revision) and, with --wait,
    /// follow it.
    Sync(operation::SyncArgs),
    /// Ask the controller to roll back to a history entry and, with --wait, follow it.
    Rollback(operation::RollbackArgs),
    /// List the history entries (the IDs `app rollback` takes).
    History(history::HistoryArgs),
    /// Stop every sync, poll and repair of an Application (spec.suspend: true).
    Suspend(state::NameArgs),
    /// Undo `app suspend`.
    Resume(state::NameArgs),
    /// Ask the controller to compare Git and the cluster again now.
    Refresh(state::NameArgs),
    /// Delete an Application; with --cascade, first the objects it manages.
    Delete(delete::DeleteArgs),
    /// Create an Application from a file (--upsert: create or update it).
    Create(create::CreateArgs),
}

/// Runs an `app` verb; errors are printed as one line and give exit code 2.
pub async fn run(args: AppArgs) -> ExitCode {
    match run_verb(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", describe(&error));
            ExitCode::from(2)
        }
    }
}

async fn run_verb(args: AppArgs) -> anyhow::Result<ExitCode> {
    let ctx = Ctx::connect(&args.common).await?;
    match &args.verb {
        Verb::List(verb) => list::run(&ctx, verb).await,
        Verb::Get(verb) => get::run(&ctx, verb).await,
        Verb::Diff(verb) => diff::run(&ctx, verb).await,
        Verb::Sync(verb) => operation::run_sync(&ctx, verb).await,
        Verb::Rollback(verb) => operation::run_rollback(&ctx, verb).await,
        Verb::History(verb) => history::run(&ctx, verb).await,
        Verb::Suspend(verb) => state::run_suspend(&ctx, verb, true).await,
        Verb::Resume(verb) => state::run_suspend(&ctx, verb, false).await,
        Verb::Refresh(verb) => state::run_refresh(&ctx, verb).await,
        Verb::Delete(verb) => delete::run(&ctx, verb).await,
        Verb::Create(verb) => create::run(&ctx, verb).await,
    }
}

/// The user name written in `operation.initiatedBy` (the API server knows who really asked).
const USERNAME: &str = "cli";

/// What every verb works with: the client, the namespace and the cache directory, decided.
pub struct Ctx {
    /// Client of the cluster that holds the Applications.
    client: Client,
    /// The namespace `-n` named, else the kubeconfig context's, else `default`.
    namespace: String,
    /// True when `-n` (or its environment variable) named the namespace.
    namespace_given: bool,
    /// Where fetched repositories are cached.
    cache_dir: PathBuf,
    system_namespace: String,
}

impl Ctx {
    async fn connect(common: &CommonArgs) -> anyhow::Result<Ctx> {
        if let Some(namespace) = &common.namespace {
            validate_name("namespace", namespace)?;
        }
        let client = super::app_file::client(common.kubeconfig.as_deref()).await?;
        let namespace = common
            .namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_owned());
        Ok(Ctx {
            client,
            namespace,
            namespace_given: common.namespace.is_some(),
            system_namespace: common.system_namespace.clone(),
            cache_dir: common
                .cache_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("driftless-cache")),
        })
    }

    /// The Application `address` names: `NAME` (in the namespace of `-n` or the context) or
    /// `NAMESPACE/NAME`.
    fn target(&self, address: &str) -> anyhow::Result<Target> {
        parse_target(address, &self.namespace, self.namespace_given)
    }

    /// Reads the Application; not found says so, or that the CRD is missing.
    async fn fetch(&self, target: &Target) -> anyhow::Result<Application> {
        match requests::get(&self.client, &target.namespace, &target.name).await {
            Ok(app) => Ok(app),
            Err(error) => Err(self.explain(error).await),
        }
    }

    /// A request error as the user should read it: a missing CRD is named as such.
    async fn explain(&self, error: RequestError) -> anyhow::Error {
        if error.is_not_found() && crd_missing(&self.client).await {
            anyhow::anyhow!(NO_CRD)
        } else {
            error.into()
        }
    }

    /// The engines of the destinations, sharing the repository cache.
    fn destinations(&self) -> anyhow::Result<Destinations> {
        let git = Source::open(SourceConfig::new(self.cache_dir.clone()))
            .context("opening the repository cache")?;
        Ok(Destinations::new(
            self.client.clone(),
            Arc::new(git),
            Arc::new(Renderer::from_path()),
            Settings::default(),
            self.system_namespace.clone(),
        ))
    }
}

/// One Application's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its namespace.
    namespace: String,
    /// Its name.
    name: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// `NAME` (in `namespace`) or `NAMESPACE/NAME`; a namespace in the address that contradicts
/// one given with `-n` is refused rather than guessed.
fn parse_target(address: &str, namespace: &str, namespace_given: bool) -> anyhow::Result<Target> {
    let target = match address.split_once('/') {
        Some((named, name)) => {
            if namespace_given && named != namespace {
                anyhow::bail!("{address} names namespace {named} but --namespace says {namespace}");
            }
            Target {
                namespace: named.to_owned(),
                name: name.to_owned(),
            }
        }
        None => Target {
            namespace: namespace.to_owned(),
            name: address.to_owned(),
        },
    };
    validate_name("namespace", &target.namespace)?;
    validate_name("application name", &target.name)?;
    Ok(target)
}

/// Refuses what cannot be a Kubernetes object name (a DNS subdomain) before asking the API.
fn validate_name(what: &str, value: &str) -> anyhow::Result<()> {
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        anyhow::bail!("{what} {value:?} is not a valid Kubernetes name")
    }
}

/// True when the API serves no Application resource (the CRD is not installed).
pub(super) async fn crd_missing(client: &Client) -> bool {
    match client
        .list_api_group_resources(&format!("{GROUP}/{VERSION}"))
        .await
    {
        Ok(list) => !list.resources.iter().any(|r| r.name == PLURAL),
        Err(kube::Error::Api(status)) => status.code == 404,
        Err(_) => false,
    }
}

/// A 404 from a list or create of Applications: the CRD is missing, or the error as it is.
async fn api_error(client: &Client, error: kube::Error, step: &str) -> anyhow::Error {
    if matches!(&error, kube::Error::Api(status) if status.code == 404) && crd_missing(client).await
    {
        anyhow::anyhow!(NO_CRD)
    } else {
        anyhow::Error::new(error).context(step.to_owned())
    }
}

/// The Application as printed in JSON and YAML: without managedFields.
fn printable(mut app: Application) -> Application {
    app.metadata.managed_fields = None;
    app
}

/// The first 12 characters of a commit id.
fn short(revision: &str) -> String {
    revision.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_asking_the_api() {
        assert!(validate_name("application name", "shop-1.web").is_ok());
        for bad in ["", "Shop", "-shop", "shop-", "a/b", "shop_web"] {
            assert!(validate_name("application name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_address_is_a_name_or_namespace_slash_name() {
        let target = |namespace: &str, name: &str| Target {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        };
        assert_eq!(
            parse_target("shop", "default", false).unwrap(),
            target("default", "shop")
        );
        assert_eq!(
            parse_target("team/shop", "default", false).unwrap(),
            target("team", "shop")
        );
        assert_eq!(
            parse_target("team/shop", "team", true).unwrap(),
            target("team", "shop")
        );
        assert_eq!(
            parse_target("team/shop", "other", true)
                .unwrap_err()
                .to_string(),
            "team/shop names namespace team but --namespace says other"
        );
        for bad in ["", "/shop", "team/", "a/b/c", "Shop"] {
            assert!(parse_target(bad, "default", false).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_keeps_twelve_characters() {
        assert_eq!(short("4f1c2d3e4f5a6b7c8d9e"), "4f1c2d3e4f5a");
        assert_eq!(short("abc"), "abc");
    }
}
