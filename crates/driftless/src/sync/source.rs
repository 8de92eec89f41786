//! The first step of a sync: the Application's source resolved to a commit, checked out and
//! rendered (or a local directory rendered as it is, for previews).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use driftless_core::application::Application;
use driftless_core::{Manifest, SourceSpec};
use driftless_render::{Release, RenderRequest, Renderer};
use driftless_source::{Credentials, Repository, Source};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, Client};

use super::SyncError;

/// Stands for the commit of a directory rendered as it is on disk.
pub const LOCAL_REVISION: &str = "local";

/// Rendered manifests and the commit they came from.
pub struct Rendered {
    /// The full commit id, or [`LOCAL_REVISION`].
    pub revision: String,
    /// The manifests, in render order.
    pub manifests: Arc<Vec<Manifest>>,
    /// How long resolving and fetching the revision took (none for a local directory).
    pub fetch_duration: Option<std::time::Duration>,
}

/// Resolves `revision` of `source` (credentials from the Secret its secretRef names, in the
/// Application's namespace; refs listed at most `refs_max_age` ago may serve), checks it out
/// and renders it.
pub async fn fetch_and_render(
    git: &Source,
    renderer: &Arc<Renderer>,
    client: &Client,
    app: &Application,
    source: &SourceSpec,
    revision: &str,
    refs_max_age: std::time::Duration,
) -> Result<Rendered, SyncError> {
    let repo = repository(client, app, source, revision).await?;
    let started = std::time::Instant::now();
    let (commit, artifact) = git
        .fetch_within(&repo, revision, refs_max_age)
        .await
        .map_err(|e| SyncError::Source {
            repo: source.repo_url.clone(),
            revision: revision.to_owned(),
            source: Box::new(e),
        })?;
    let fetch_duration = Some(started.elapsed());
    let commit = commit.id.as_str().to_owned();
    let manifests = render(
        renderer,
        app,
        source,
        artifact.path().to_path_buf(),
        commit.clone(),
    )
    .await?;
    Ok(Rendered {
        revision: commit,
        manifests,
        fetch_duration,
    })
}

/// The commit `revision` of `source` resolves to now, by listing the remote's refs only.
pub async fn resolve_commit(
    git: &Source,
    client: &Client,
    app: &Application,
    source: &SourceSpec,
    revision: &str,
) -> Result<String, SyncError> {
    let repo = repository(client, app, source, revision).await?;
    let commit = git
        .resolve(&repo, revision)
        .await
        .map_err(|e| SyncError::Source {
            repo: source.repo_url.clone(),
            revision: revision.to_owned(),
            source: Box::new(e),
        })?;
    Ok(commit.id.as_str().to_owned())
}

/// `source`'s target revision, `HEAD` when empty.
pub fn target_revision(source: &SourceSpec) -> &str {
    if source.target_revision.is_empty() {
        "HEAD"
    } else {
        &source.target_revision
    }
}

/// The repository of `source` with the credentials of its secretRef.
async fn repository(
    client: &Client,
    app: &Application,
    source: &SourceSpec,
    revision: &str,
) -> Result<Repository, SyncError> {
    let credentials = credentials(client, app, source).await?;
    Repository::new(&source.repo_url, credentials).map_err(|e| SyncError::Source {
        repo: source.repo_url.clone(),
        revision: revision.to_owned(),
        source: Box::new(e),
    })
}

/// Renders `source` from `dir` as it is on disk, for `diff --local`.
pub async fn render_local(
    renderer: &Arc<Renderer>,
    app: &Application,
    source: &SourceSpec,
    dir: &Path,
) -> Result<Rendered, SyncError> {
    let manifests = render(
        renderer,
        app,
        source,
        dir.to_path_buf(),
        LOCAL_REVISION.to_owned(),
    )
    .await?;
    Ok(Rendered {
        revision: LOCAL_REVISION.to_owned(),
        manifests,
        fetch_duration: None,
    })
}

async fn render(
    renderer: &Arc<Renderer>,
    app: &Application,
    source: &SourceSpec,
    dir: PathBuf,
    commit: String,
) -> Result<Arc<Vec<Manifest>>, SyncError> {
    let renderer = Arc::clone(renderer);
    let source = source.clone();
    let name = app.name().to_owned();
    let namespace = app.spec.destination.namespace.clone();
    tokio::task::spawn_blocking(move || {
        let request = RenderRequest {
            release: Release {
                name: &name,
                namespace: &namespace,
            },
            ..RenderRequest::new(&dir, &commit, &source)
        };
        renderer.render(&request)
    })
    .await
    .map_err(|e| SyncError::Internal(format!("the render task failed: {e}")))?
    .map_err(|e| SyncError::Render(Box::new(e)))
}

/// The credentials in the Secret `source.secretRef` names, or none.
async fn credentials(
    client: &Client,
    app: &Application,
    source: &SourceSpec,
) -> Result<Credentials, SyncError> {
    let Some(secret_ref) = &source.secret_ref else {
        return Ok(Credentials::default());
    };
    let namespace = app.namespace();
    let failed = |message: String, transient: bool| SyncError::Credentials {
        secret: format!("{namespace}/{}", secret_ref.name),
        message,
        transient,
    };
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(&secret_ref.name)
        .await
        .map_err(|e| failed(e.to_string(), true))?
        .ok_or_else(|| failed("not found".to_owned(), false))?;
    let data = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| (key, value.0))
        .collect();
    Credentials::from_secret_data(&data).map_err(|e| failed(e.to_string(), false))
}
