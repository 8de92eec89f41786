//! `driftless render`: print the manifests a repository path renders to, as the
//! controller would render them. Useful in CI to check a change before it is merged.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use driftless_core::{
    DirectorySource, HelmParameter, HelmSource, JsonnetSource, JsonnetVar, KustomizeSource,
    Manifest, SourceSpec,
};
use driftless_render::{Release, RenderRequest, Renderer, DEFAULT_RELEASE_NAME};
use driftless_source::{Credentials, Repository, Source, SourceConfig};

/// Stands for the commit of a working tree rendered as it is on disk.
const WORKTREE_COMMIT: &str = "worktree";

/// Flags of `driftless render`.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// Repository: a local directory, or a Git URL (https://, ssh://, git@host:path, git://, file://).
    /// A local directory is rendered as it is on disk unless --revision is given.
    #[arg(long, env = "DRIFTLESS_RENDER_REPO")]
    pub repo: String,
    /// Branch, tag, semver range or commit to render (default HEAD); for a local
    /// directory, renders that revision of its Git history instead of the files on disk.
    #[arg(long, env = "DRIFTLESS_RENDER_REVISION")]
    pub revision: Option<String>,
    /// Directory inside the repository.
    #[arg(long, env = "DRIFTLESS_RENDER_PATH", default_value = ".")]
    pub path: String,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Yaml)]
    pub output: OutputFormat,
    /// Where fetched repositories are cached (for URLs and --revision).
    #[arg(long, env = "DRIFTLESS_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// User name for HTTP basic authentication to the repository.
    #[arg(
        long,
        env = "DRIFTLESS_GIT_USERNAME",
        help_heading = "Repository credentials"
    )]
    pub username: Option<String>,
    /// Password for HTTP basic authentication, or the passphrase of --ssh-key.
    #[arg(
        long,
        env = "DRIFTLESS_GIT_PASSWORD",
        hide_env_values = true,
        help_heading = "Repository credentials"
    )]
    pub password: Option<Secret>,
    /// Bearer token for HTTP authentication (wins over --username/--password).
    #[arg(
        long,
        env = "DRIFTLESS_GIT_BEARER_TOKEN",
        hide_env_values = true,
        help_heading = "Repository credentials"
    )]
    pub bearer_token: Option<Secret>,
    /// File holding the SSH private key for ssh:// and git@host:path URLs.
    #[arg(
        long,
        env = "DRIFTLESS_GIT_SSH_KEY",
        help_heading = "Repository credentials"
    )]
    pub ssh_key: Option<PathBuf>,
    /// known_hosts file the SSH server's key must match.
    #[arg(
        long,
        env = "DRIFTLESS_GIT_KNOWN_HOSTS",
        help_heading = "Repository credentials"
    )]
    pub known_hosts: Option<PathBuf>,

    /// Render as a plain directory even if a kustomization or Chart.yaml is present.
    #[arg(long, help_heading = "Directory")]
    pub directory: bool,
    /// Descend into subdirectories.
    #[arg(long, help_heading = "Directory")]
    pub recurse: bool,
    /// Only read files matching this glob (relative to --path; `{a,b}` alternatives).
    #[arg(long, help_heading = "Directory")]
    pub include: Option<String>,
    /// Skip files matching this glob.
    #[arg(long, help_heading = "Directory")]
    pub exclude: Option<String>,

    /// Jsonnet external variable, NAME=VALUE (repeatable).
    #[arg(long = "ext-var", value_parser = parse_assignment, help_heading = "Jsonnet")]
    pub ext_vars: Vec<(String, String)>,
    /// Jsonnet external variable given as code, NAME=CODE (repeatable).
    #[arg(long = "ext-code", value_parser = parse_assignment, help_heading = "Jsonnet")]
    pub ext_codes: Vec<(String, String)>,
    /// Jsonnet top-level argument, NAME=VALUE (repeatable).
    #[arg(long = "tla", value_parser = parse_assignment, help_heading = "Jsonnet")]
    pub tlas: Vec<(String, String)>,
    /// Jsonnet top-level argument given as code, NAME=CODE (repeatable).
    #[arg(long = "tla-code", value_parser = parse_assignment, help_heading = "Jsonnet")]
    pub tla_codes: Vec<(String, String)>,
    /// Jsonnet library directory, relative to the repository root (repeatable).
    #[arg(long = "jsonnet-lib", help_heading = "Jsonnet")]
    pub jsonnet_libs: Vec<String>,

    /// Render with Kustomize even without a kustomization file at --path.
    #[arg(long, help_heading = "Kustomize")]
    pub kustomize: bool,
    /// Let Kustomize fetch remote bases and resources over the network.
    #[arg(long, help_heading = "Kustomize")]
    pub allow_remote_bases: bool,

    /// Render with Helm even without a Chart.yaml at --path.
    #[arg(long, help_heading = "Helm")]
    pub helm: bool,
    /// Helm release name.
    #[arg(long, env = "DRIFTLESS_RENDER_RELEASE_NAME", help_heading = "Helm")]
    pub release_name: Option<String>,
    /// Namespace the chart is templated for.
    #[arg(
        long,
        short = 'n',
        env = "DRIFTLESS_RENDER_NAMESPACE",
        help_heading = "Helm"
    )]
    pub namespace: Option<String>,
    /// Helm values file, relative to the chart (repeatable).
    #[arg(long = "values", short = 'f', help_heading = "Helm")]
    pub value_files: Vec<String>,
    /// Helm value, NAME=VALUE (repeatable).
    #[arg(long = "set", value_parser = parse_assignment, help_heading = "Helm")]
    pub set: Vec<(String, String)>,
    /// Helm value kept as a string, NAME=VALUE (repeatable).
    #[arg(long = "set-string", value_parser = parse_assignment, help_heading = "Helm")]
    pub set_string: Vec<(String, String)>,
}

/// A secret flag value: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// How the manifests are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A YAML stream, one document per object.
    Yaml,
    /// A JSON `List`.
    Json,
}

/// Renders the source and prints its manifests to stdout; any problem (bad flags,
/// unreachable repository, a broken file) is an error, so the process exits non-zero.
pub async fn run(args: RenderArgs) -> anyhow::Result<()> {
    let source = source_spec(&args);
    let manifests = match local_worktree(&args) {
        Some(dir) => render_blocking(dir, WORKTREE_COMMIT.to_owned(), source, &args).await?,
        None => {
            let cache_dir = args.cache_dir.clone().unwrap_or_else(default_cache_dir);
            let repo = Repository::new(&args.repo, credentials(&args)?)
                .with_context(|| format!("repository {}", args.repo))?;
            let git = Source::open(SourceConfig::new(cache_dir))
                .context("opening the repository cache")?;
            let revision = args.revision.as_deref().unwrap_or("HEAD");
            let (commit, artifact) = git
                .fetch(&repo, revision)
                .await
                .with_context(|| format!("fetching {} at {revision}", args.repo))?;
            let commit = commit.id.as_str().to_owned();
            render_blocking(artifact.path().to_path_buf(), commit, source, &args).await?
        }
    };
    let text = match args.output {
        OutputFormat::Yaml => driftless_render::to_yaml_stream(&manifests)?,
        OutputFormat::Json => driftless_render::to_json_list(&manifests)?,
    };
    print!("{text}");
    Ok(())
}

/// The directory to render as it is on disk: `--repo` is an existing directory and no
/// `--revision` was asked for.
fn local_worktree(args: &RenderArgs) -> Option<PathBuf> {
    let dir = Path::new(&args.repo);
    (args.revision.is_none() && dir.is_dir()).then(|| dir.to_path_buf())
}

/// The repository credentials the flags give; key files are read here.
fn credentials(args: &RenderArgs) -> anyhow::Result<Credentials> {
    let read = |path: &Option<PathBuf>| -> anyhow::Result<Option<String>> {
        path.as_ref()
            .map(|path| {
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
            })
            .transpose()
    };
    Ok(Credentials {
        username: args.username.clone(),
        password: args.password.as_ref().map(|s| s.0.clone()),
        bearer_token: args.bearer_token.as_ref().map(|s| s.0.clone()),
        identity: read(&args.ssh_key)?,
        known_hosts: read(&args.known_hosts)?,
        insecure_skip_host_key_check: false,
    })
}

fn default_cache_dir() -> PathBuf {
    std::env::temp_dir().join("driftless-cache")
}

async fn render_blocking(
    checkout: PathBuf,
    commit: String,
    source: SourceSpec,
    args: &RenderArgs,
) -> anyhow::Result<Arc<Vec<Manifest>>> {
    let release_name = args
        .release_name
        .clone()
        .unwrap_or_else(|| DEFAULT_RELEASE_NAME.to_owned());
    let namespace = args.namespace.clone().unwrap_or_default();
    let rendered = tokio::task::spawn_blocking(move || {
        let request = RenderRequest {
            release: Release {
                name: &release_name,
                namespace: &namespace,
            },
            ..RenderRequest::new(&checkout, &commit, &source)
        };
        Renderer::from_path().render(&request)
    })
    .await
    .context("the render task failed")?;
    Ok(rendered?)
}

/// The `spec.source` the flags describe. Kind blocks are set only when their flags are
/// used, so that detection works as for an Application; contradictory flags surface as
/// the renderer's error.
pub fn source_spec(args: &RenderArgs) -> SourceSpec {
    SourceSpec {
        repo_url: args.repo.clone(),
        target_revision: args.revision.clone().unwrap_or_default(),
        path: args.path.clone(),
        directory: directory_source(args),
        kustomize: (args.kustomize || args.allow_remote_bases).then_some(KustomizeSource {
            allow_remote_bases: args.allow_remote_bases,
        }),
        jsonnet: None,
        helm: helm_source(args),
        secret_ref: None,
    }
}

fn directory_source(args: &RenderArgs) -> Option<DirectorySource> {
    let jsonnet = jsonnet_source(args);
    let wanted = args.directory
        || args.recurse
        || args.include.is_some()
        || args.exclude.is_some()
        || jsonnet != JsonnetSource::default();
    wanted.then(|| DirectorySource {
        recurse: args.recurse,
        include: args.include.clone().unwrap_or_default(),
        exclude: args.exclude.clone().unwrap_or_default(),
        jsonnet,
    })
}

fn jsonnet_source(args: &RenderArgs) -> JsonnetSource {
    let vars = |strings: &[(String, String)], codes: &[(String, String)]| {
        let string_vars = strings
            .iter()
            .map(|(name, value)| jsonnet_var(name, value, false));
        string_vars
            .chain(
                codes
                    .iter()
                    .map(|(name, value)| jsonnet_var(name, value, true)),
            )
            .collect()
    };
    JsonnetSource {
        ext_vars: vars(&args.ext_vars, &args.ext_codes),
        tlas: vars(&args.tlas, &args.tla_codes),
        libs: args.jsonnet_libs.clone(),
    }
}

fn jsonnet_var(name: &str, value: &str, code: bool) -> JsonnetVar {
    JsonnetVar {
        name: name.to_owned(),
        value: value.to_owned(),
        code,
    }
}

fn helm_source(args: &RenderArgs) -> Option<HelmSource> {
    let parameter = |(name, value): &(String, String), force_string| HelmParameter {
        name: name.clone(),
        value: value.clone(),
        force_string,
    };
    let parameters: Vec<HelmParameter> = args
        .set
        .iter()
        .map(|p| parameter(p, false))
        .chain(args.set_string.iter().map(|p| parameter(p, true)))
        .collect();
    let wanted = args.helm || !args.value_files.is_empty() || !parameters.is_empty();
    wanted.then(|| HelmSource {
        release_name: args.release_name.clone().unwrap_or_default(),
        namespace: args.namespace.clone().unwrap_or_default(),
        value_files: args.value_files.clone(),
        values: String::new(),
        parameters,
    })
}

/// Parses `NAME=VALUE` (the value may contain `=`; the name may not be empty).
fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: RenderArgs,
    }

    fn parse(flags: &[&str]) -> RenderArgs {
        let argv = std::iter::once("render").chain(flags.iter().copied());
        Wrapper::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn plain_flags_leave_the_kind_to_detection() {
        let spec = source_spec(&parse(&["--repo", "repo", "--path", "apps/web"]));
        assert_eq!(spec.path, "apps/web");
        assert!(spec.directory.is_none() && spec.kustomize.is_none() && spec.helm.is_none());
    }

    #[test]
    fn jsonnet_flags_make_a_directory_source() {
        let spec = source_spec(&parse(&[
            "--repo",
            "r",
            "--ext-var",
            "env=prod",
            "--tla-code",
            "replicas=1+2",
            "--jsonnet-lib",
            "lib",
        ]));
        let jsonnet = spec.directory.unwrap().jsonnet;
        assert_eq!(jsonnet.ext_vars, [jsonnet_var("env", "prod", false)]);
        assert_eq!(jsonnet.tlas, [jsonnet_var("replicas", "1+2", true)]);
        assert_eq!(jsonnet.libs, ["lib"]);
    }

    #[test]
    fn helm_flags_make_a_helm_source() {
        let spec = source_spec(&parse(&[
            "--repo",
            "r",
            "-f",
            "values-prod.yaml",
            "--set",
            "a=b=c",
            "--set-string",
            "port=80",
            "--release-name",
            "web",
        ]));
        let helm = spec.helm.unwrap();
        assert_eq!(helm.release_name, "web");
        assert_eq!(helm.value_files, ["values-prod.yaml"]);
        assert_eq!(helm.parameters[0].value, "b=c");
        assert!(helm.parameters[1].force_string);
    }

    #[test]
    fn malformed_assignment_is_refused() {
        assert!(Wrapper::try_parse_from(["render", "--repo", "r", "--set", "=x"]).is_err());
        assert!(
            Wrapper::try_parse_from(["render", "--repo", "r", "--ext-var", "novalue"]).is_err()
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let args = parse(&[
            "--repo",
            "r",
            "--password",
            "hunter22",
            "--bearer-token",
            "tok123",
        ]);
        let shown = format!("{args:?}");
        assert!(
            !shown.contains("hunter22") && !shown.contains("tok123"),
            "{shown}"
        );
        let credentials = credentials(&args).unwrap();
        assert_eq!(credentials.password.as_deref(), Some("hunter22"));
        assert_eq!(credentials.bearer_token.as_deref(), Some("tok123"));
    }

    #[test]
    fn missing_key_file_is_an_error() {
        let args = parse(&["--repo", "r", "--ssh-key", "no/such/key"]);
        assert!(credentials(&args).is_err());
    }

    #[test]
    fn directory_without_revision_is_rendered_as_is() {
        let dir = std::env::temp_dir();
        let args = parse(&["--repo", dir.to_str().unwrap()]);
        assert_eq!(local_worktree(&args), Some(dir.clone()));
        let args = parse(&["--repo", dir.to_str().unwrap(), "--revision", "main"]);
        assert_eq!(local_worktree(&args), None);
    }
}
