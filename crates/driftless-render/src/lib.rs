//! Artifact + source options -> manifests: plain directories, Kustomize, Jsonnet, Helm.
//!
//! [`render`] (or [`Renderer::render`], which adds a cache and configurable tools) takes
//! a checked-out commit and an Application's `spec.source`, picks the kind of source as
//! Argo CD does, renders it, and validates the result. Every failure names the file (and
//! line where there is one); one bad file fails the whole render, so nothing from a
//! broken source is ever applied.
#![forbid(unsafe_code)]

mod cache;
mod checkout;
mod detect;
mod directory;
mod documents;
mod fast_yaml;
mod helm;
mod jsonnet;
mod kustomize;
mod output;
mod subprocess;
mod validate;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use driftless_core::{Manifest, SourceSpec};

pub use cache::{CacheKey, CacheStats, RenderCache};
pub use checkout::{Checkout, CheckoutError, MAX_FILE_BYTES};
pub use detect::{detect_kind, SourceKind, SpecError};
pub use directory::DirectoryError;
pub use documents::{parse_manifests, Format, ParseError};
pub use helm::{HelmCommand, HelmError, Release};
pub use jsonnet::JsonnetError;
pub use kustomize::{KustomizeCommand, KustomizeError, KustomizeTool, Kustomizer};
pub use output::{to_json_list, to_yaml_stream, OutputError};
pub use subprocess::RunError;
pub use validate::{validate, ValidationError};

/// How long a Kustomize or Helm subprocess may run (Argo CD's default exec timeout).
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(90);

/// Renders held by [`Renderer::from_path`]'s cache.
pub const DEFAULT_CACHE_ENTRIES: usize = 256;

/// Helm's own default release name, used when neither the spec nor the request gives one.
pub const DEFAULT_RELEASE_NAME: &str = "release-name";

/// Why a render failed; each variant is the step that failed and names the file or
/// object involved.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The spec's options contradict each other.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A path is outside the checkout, missing, too large or unreadable.
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    /// The source path is not a directory.
    #[error("source path {path} is not a directory")]
    NotADirectory {
        /// The path, relative to the checkout.
        path: String,
    },
    /// A directory could not be listed or its globs are invalid.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// A YAML or JSON file (or a tool's output) is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A Jsonnet file failed to evaluate.
    #[error(transparent)]
    Jsonnet(#[from] JsonnetError),
    /// Kustomize failed.
    #[error(transparent)]
    Kustomize(#[from] KustomizeError),
    /// Helm failed.
    #[error(transparent)]
    Helm(#[from] HelmError),
    /// A rendered object is invalid or duplicated.
    #[error(transparent)]
    Validation(#[from] ValidationError),
}

impl RenderError {
    /// True when rendering the same source again may succeed: a tool timed out, could not
    /// be started or its output could not be read, a directory could not be listed, or a
    /// rendering thread failed. False when the source or spec itself is at fault (bad YAML,
    /// an invalid object, a failing kustomization or chart, a path outside the checkout,
    /// a missing tool): only a new commit, spec or installation fixes those.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Kustomize(KustomizeError::Build { source, .. })
            | Self::Helm(HelmError::Template { source, .. }) => source.is_transient(),
            Self::Directory(DirectoryError::List { .. } | DirectoryError::Worker)
            | Self::Jsonnet(JsonnetError::Thread { .. }) => true,
            _ => false,
        }
    }
}

/// One render: which checkout, at which commit, with which source options, and the
/// release (name and namespace) that Helm charts are templated with.
#[derive(Debug, Clone)]
pub struct RenderRequest<'a> {
    /// The checked-out tree of the commit.
    pub artifact_dir: &'a Path,
    /// The commit the tree holds; part of the cache key.
    pub commit: &'a str,
    /// The Application's `spec.source`.
    pub source: &'a SourceSpec,
    /// Defaults for Helm: usually the Application's name and destination namespace.
    pub release: Release<'a>,
}

impl<'a> RenderRequest<'a> {
    /// A request with Helm's default release name and no namespace.
    pub fn new(artifact_dir: &'a Path, commit: &'a str, source: &'a SourceSpec) -> Self {
        Self {
            artifact_dir,
            commit,
            source,
            release: Release {
                name: DEFAULT_RELEASE_NAME,
                namespace: "",
            },
        }
    }
}

/// Renders sources with the configured tools and an optional cache. Cheap to share
/// between threads.
#[derive(Debug)]
pub struct Renderer {
    kustomizer: Arc<dyn Kustomizer>,
    helm: HelmCommand,
    cache: Option<RenderCache>,
}

impl Renderer {
    /// Tools found on PATH, [`DEFAULT_TOOL_TIMEOUT`], and a cache of [`DEFAULT_CACHE_ENTRIES`].
    pub fn from_path() -> Self {
        Self::tools_on_path(Some(RenderCache::new(DEFAULT_CACHE_ENTRIES)))
    }

    /// Tools found on PATH with [`DEFAULT_TOOL_TIMEOUT`], and the given cache.
    fn tools_on_path(cache: Option<RenderCache>) -> Self {
        Self::new(
            Arc::new(KustomizeCommand::from_path(DEFAULT_TOOL_TIMEOUT)),
            HelmCommand::from_path(DEFAULT_TOOL_TIMEOUT),
            cache,
        )
    }

    /// A renderer with the given Kustomize implementation, helm command and cache.
    pub fn new(
        kustomizer: Arc<dyn Kustomizer>,
        helm: HelmCommand,
        cache: Option<RenderCache>,
    ) -> Self {
        Self {
            kustomizer,
            helm,
            cache,
        }
    }

    /// The cache, when there is one.
    pub fn cache(&self) -> Option<&RenderCache> {
        self.cache.as_ref()
    }

    /// Renders and validates `request.source`, answering from the cache when the same
    /// commit, path and options were rendered before. Errors are not cached.
    pub fn render(&self, request: &RenderRequest<'_>) -> Result<Arc<Vec<Manifest>>, RenderError> {
        // Only Helm renders differently per release: other sources share one entry per commit,
        // path and options however many Applications render them.
        let neutral = Release {
            name: "",
            namespace: "",
        };
        let release = if self.renders_with_helm(request) {
            &request.release
        } else {
            &neutral
        };
        let key = CacheKey::new(request.commit, request.source, release);
        if let Some(hit) = self.cache.as_ref().and_then(|cache| cache.get(&key)) {
            tracing::debug!(path = %request.source.path, revision = request.commit, "render cache hit");
            return Ok(hit);
        }
        let started = Instant::now();
        let manifests = Arc::new(self.render_uncached(request)?);
        tracing::debug!(
            path = %request.source.path,
            revision = request.commit,
            objects = manifests.len(),
            duration_ms = started.elapsed().as_millis() as u64,
            "rendered source"
        );
        if let Some(cache) = &self.cache {
            cache.insert(key, Arc::clone(&manifests));
        }
        Ok(manifests)
    }

    /// True when `request` renders with Helm, or when that cannot be told (the render will
    /// then fail and nothing is cached).
    fn renders_with_helm(&self, request: &RenderRequest<'_>) -> bool {
        let Ok(checkout) = Checkout::open(request.artifact_dir) else {
            return true;
        };
        checkout
            .resolve(&request.source.path)
            .ok()
            .and_then(|dir| detect_kind(&dir, request.source).ok())
            .is_none_or(|kind| kind == SourceKind::Helm)
    }

    fn render_uncached(&self, request: &RenderRequest<'_>) -> Result<Vec<Manifest>, RenderError> {
        let source = request.source;
        let checkout = Checkout::open(request.artifact_dir)?;
        let dir = checkout.resolve(&source.path)?;
        if !dir.is_dir() {
            return Err(RenderError::NotADirectory {
                path: checkout.relative(&dir),
            });
        }
        let manifests = match detect_kind(&dir, source)? {
            SourceKind::Directory => {
                let jsonnet = detect::jsonnet_options(source)?;
                let options = source.directory.clone().unwrap_or_default();
                directory::render_directory(&checkout, &dir, &options, &jsonnet)?
            }
            SourceKind::Kustomize => {
                checkout.check_symlinks()?;
                let options = source.kustomize.clone().unwrap_or_default();
                let stream = self.kustomizer.build(&checkout, &dir, &options)?;
                parse_manifests(&checkout.relative(&dir), &stream, Format::Yaml)?
            }
            SourceKind::Helm => {
                checkout.check_symlinks()?;
                let options = source.helm.clone().unwrap_or_default();
                let stream = self
                    .helm
                    .template(&checkout, &dir, &options, &request.release)?;
                parse_manifests(&checkout.relative(&dir), &stream, Format::Yaml)?
            }
        };
        validate(&manifests)?;
        Ok(manifests)
    }
}

/// Renders `source` from the checkout at `artifact_dir` (holding `commit`) with the tools
/// on PATH and no cache, then validates the result.
pub fn render(
    artifact_dir: &Path,
    commit: &str,
    source: &SourceSpec,
) -> Result<Vec<Manifest>, RenderError> {
    let manifests =
        Renderer::tools_on_path(None).render(&RenderRequest::new(artifact_dir, commit, source))?;
    Ok(Arc::unwrap_or_clone(manifests))
}
