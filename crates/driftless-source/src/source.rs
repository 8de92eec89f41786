//! The shared source: resolves revisions with ref listings only, fetches each commit once into a
//! per-repository mirror, and hands out immutable artifacts from the cache.

use crate::cache::{Artifact, ArtifactCache, CacheError};
use crate::checkout::{write_tree, CheckoutError, Limits, Previous, Subject};
use crate::credentials::{Credentials, CredentialsError};
use crate::git::{local_command, spawn_error, GitError, Remote, Step};
use crate::refs::{ObjectId, RefList, RefQuery};
use crate::revision::{Revision, RevisionError};
use crate::single_flight::SingleFlight;
use crate::url::{RepoUrl, UrlError};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Anything the source can fail at; each variant's message names the repository, and the inner
/// error names the step.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// The repository URL was refused.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The credentials secret was unusable.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The revision was malformed or matched nothing.
    #[error(transparent)]
    Revision(#[from] RevisionError),
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] GitError),
    /// Writing the commit's files failed or broke a limit.
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    /// The cache's file system failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The blocking checkout task died.
    #[error("checkout task for {repo} stopped unexpectedly")]
    TaskFailed {
        /// The repository.
        repo: String,
    },
}

impl SourceError {
    /// True when trying again later may succeed (network trouble, timeouts, corrupt transfers,
    /// local I/O); false for bad URLs, refused credentials, unknown revisions and broken limits.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Git(e) | SourceError::Checkout(CheckoutError::Git(e)) => e.is_transient(),
            SourceError::Cache(_) | SourceError::TaskFailed { .. } => true,
            _ => false,
        }
    }
}

/// Settings of a [`Source`].
#[derive(Debug, Clone)]
pub struct SourceConfig {
    /// Root of the mirrors and artifacts.
    pub cache_dir: PathBuf,
    /// Longest a single git network command may run (default 60 s).
    pub fetch_timeout: Duration,
    /// Size and file-count bounds of one artifact (default 512 MiB, 100,000 files).
    pub limits: Limits,
    /// Artifacts are evicted least-recently-used once they add up to more than this (default 4 GiB).
    pub cache_budget_bytes: u64,
    /// A repository's mirror is repacked into one pack once a fetch leaves more packs than this
    /// (each fetch adds one; default 32).
    pub mirror_pack_limit: usize,
}

impl SourceConfig {
    /// The defaults, with the cache at `cache_dir`.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        Self {
            cache_dir: cache_dir.into(),
            fetch_timeout: Duration::from_secs(60),
            limits: Limits {
                max_bytes: 512 << 20,
                max_files: 100_000,
            },
            cache_budget_bytes: 4 << 30,
            mirror_pack_limit: 32,
        }
    }
}

/// A repository and the credentials to reach it.
#[derive(Debug, Clone)]
pub struct Repository {
    url: RepoUrl,
    credentials: Credentials,
}

impl Repository {
    /// Parses `url` (see [`RepoUrl::parse`]) and pairs it with `credentials`.
    pub fn new(url: &str, credentials: Credentials) -> Result<Self, SourceError> {
        Ok(Self {
            url: RepoUrl::parse(url)?,
            credentials,
        })
    }

    /// The repository's location.
    pub fn url(&self) -> &RepoUrl {
        &self.url
    }
}

/// The commit a revision resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The full commit id.
    pub id: ObjectId,
    /// The ref it was found through (`refs/heads/main`, `refs/tags/v1.2.0`), if any.
    pub reference: Option<String>,
}

/// Counts of the network work a [`Source`] did, for tests and metrics.
#[derive(Debug, Default)]
pub struct SourceStats {
    /// `ls-remote` runs.
    pub listings: AtomicU64,
    /// `fetch` runs.
    pub fetches: AtomicU64,
    /// Artifacts written.
    pub checkouts: AtomicU64,
}

/// The last listing of each (repository id, query), and when it was made.
type RecentListings = HashMap<(String, RefQuery), (Instant, Arc<RefList>)>;

/// Git sources for every Application: share one behind an `Arc`. Concurrent requests for the
/// same refs of a repository share one listing; concurrent checkouts of the same commit share
/// one fetch; fetches into one repository's mirror run one at a time.
pub struct Source {
    config: SourceConfig,
    cache: Arc<ArtifactCache>,
    listings: SingleFlight<(String, RefQuery), Result<Arc<RefList>, GitError>>,
    /// The last listing of each repository and query, and when it was made.
    recent: Mutex<RecentListings>,
    checkouts: SingleFlight<(String, ObjectId), Result<Artifact, SourceError>>,
    mirror_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    scratch: PathBuf,
    stats: SourceStats,
}

impl Source {
    /// Opens the cache at `config.cache_dir` (cleaning what a crash left) and returns the source.
    pub fn open(config: SourceConfig) -> Result<Self, SourceError> {
        let cache = Arc::new(ArtifactCache::open(
            &config.cache_dir,
            config.cache_budget_bytes,
        )?);
        Ok(Self {
            scratch: cache.scratch_dir(),
            config,
            cache,
            listings: SingleFlight::new(),
            recent: Mutex::new(HashMap::new()),
            checkouts: SingleFlight::new(),
            mirror_locks: Mutex::new(HashMap::new()),
            stats: SourceStats::default(),
        })
    }

    /// Bytes of file content in the cached artifacts (what the eviction budget counts).
    pub fn cache_bytes(&self) -> u64 {
        self.cache.total_bytes()
    }

    /// What this source has done so far.
    pub fn stats(&self) -> &SourceStats {
        &self.stats
    }

    /// Resolves `target_revision` (see [`Revision::parse`]) to a commit by listing the remote's
    /// refs only: no objects are downloaded, except for an abbreviated commit id that is no ref's
    /// tip, which needs the history.
    pub async fn resolve(
        &self,
        repo: &Repository,
        target_revision: &str,
    ) -> Result<Commit, SourceError> {
        self.resolve_within(repo, target_revision, Duration::ZERO)
            .await
    }

    /// [`Source::resolve`], answered from a listing of the remote's refs made at most `max_age`
    /// ago when there is one (a poll of many Applications on one repository lists it once);
    /// `Duration::ZERO` always lists.
    pub async fn resolve_within(
        &self,
        repo: &Repository,
        target_revision: &str,
        max_age: Duration,
    ) -> Result<Commit, SourceError> {
        let revision = Revision::parse(target_revision)?;
        let refs = match revision.query() {
            Some(query) => self.list_refs(repo, query, max_age).await?,
            None => Arc::new(RefList::default()),
        };
        if let Some((reference, id)) = revision.pick(&refs) {
            let reference = Some(reference).filter(|r| r != id.as_str());
            return Ok(Commit { id, reference });
        }
        if let Some(prefix) = revision.abbreviated_commit() {
            return self.resolve_abbreviated(repo, prefix).await;
        }
        let repo_name = repo.url.to_string();
        Err(match revision {
            Revision::Semver { text, .. } => RevisionError::NoMatchingTag {
                repo: repo_name,
                range: text,
            },
            _ => RevisionError::NotFound {
                repo: repo_name,
                revision: target_revision.to_string(),
            },
        }
        .into())
    }

    /// The read-only checkout of `commit`: from the cache when present, otherwise fetched
    /// (shallow) into the repository's mirror, written to a temporary directory and renamed
    /// into place. A failure leaves every earlier artifact untouched.
    pub async fn checkout(
        &self,
        repo: &Repository,
        commit: &Commit,
    ) -> Result<Artifact, SourceError> {
        let repo_id = repo.url.id();
        if let Some(artifact) = self.cache.lookup(&repo_id, &commit.id) {
            return Ok(artifact);
        }
        let key = (repo_id.clone(), commit.id.clone());
        self.checkouts
            .run(key, || self.fetch_and_write(repo, &repo_id, &commit.id))
            .await
    }

    /// [`Source::resolve`] then [`Source::checkout`].
    pub async fn fetch(
        &self,
        repo: &Repository,
        target_revision: &str,
    ) -> Result<(Commit, Artifact), SourceError> {
        self.fetch_within(repo, target_revision, Duration::ZERO)
            .await
    }

    /// [`Source::resolve_within`] then [`Source::checkout`].
    pub async fn fetch_within(
        &self,
        repo: &Repository,
        target_revision: &str,
        max_age: Duration,
    ) -> Result<(Commit, Artifact), SourceError> {
        let commit = self.resolve_within(repo, target_revision, max_age).await?;
        let artifact = self.checkout(repo, &commit).await?;
        Ok((commit, artifact))
    }

    async fn list_refs(
        &self,
        repo: &Repository,
        query: RefQuery,
        max_age: Duration,
    ) -> Result<Arc<RefList>, SourceError> {
        let key = (repo.url.id(), query.clone());
        if let Some(recent) = self.recent_listing(&key, max_age) {
            return Ok(recent);
        }
        let listing = self.listings.run(key.clone(), || async {
            let started = Instant::now();
            self.stats.listings.fetch_add(1, Ordering::Relaxed);
            let output = self.remote(repo).run(Step::ListRefs, None, &query.ls_remote_args(repo.url.as_git_arg())).await?;
            tracing::debug!(repo = %repo.url, duration_ms = started.elapsed().as_millis() as u64, "listed refs");
            Ok(Arc::new(RefList::parse(&output)))
        });
        let refs = listing.await?;
        self.recent_listings()
            .insert(key, (Instant::now(), Arc::clone(&refs)));
        Ok(refs)
    }

    /// The last listing under `key` when it is at most `max_age` old.
    fn recent_listing(&self, key: &(String, RefQuery), max_age: Duration) -> Option<Arc<RefList>> {
        if max_age.is_zero() {
            return None;
        }
        let recent = self.recent_listings();
        let (listed_at, refs) = recent.get(key)?;
        (listed_at.elapsed() <= max_age).then(|| Arc::clone(refs))
    }

    fn recent_listings(&self) -> std::sync::MutexGuard<'_, RecentListings> {
        self.recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn resolve_abbreviated(
        &self,
        repo: &Repository,
        prefix: &str,
    ) -> Result<Commit, SourceError> {
        let refs = self.list_refs(repo, RefQuery::All, Duration::ZERO).await?;
        let lower = prefix.to_ascii_lowercase();
        let tips: BTreeSet<&ObjectId> = refs
            .iter()
            .map(|(_, id)| id)
            .filter(|id| id.as_str().starts_with(&lower))
            .collect();
        if let [only] = tips.into_iter().collect::<Vec<_>>()[..] {
            return Ok(Commit {
                id: only.clone(),
                reference: None,
            });
        }
        let repo_id = repo.url.id();
        let lock = self.mirror_lock(&repo_id);
        let _guard = lock.lock().await;
        let mirror = self.ensure_mirror(repo, &repo_id).await?;
        self.fetch_history(repo, &mirror).await?;
        let id = find_commit_by_prefix(&mirror, &repo.url.to_string(), prefix).await?;
        Ok(Commit {
            id,
            reference: None,
        })
    }

    async fn fetch_and_write(
        &self,
        repo: &Repository,
        repo_id: &str,
        commit: &ObjectId,
    ) -> Result<Artifact, SourceError> {
        let lock = self.mirror_lock(repo_id);
        let _guard = lock.lock().await;
        if let Some(artifact) = self.cache.lookup(repo_id, commit) {
            return Ok(artifact);
        }
        let mirror = self.ensure_mirror(repo, repo_id).await?;
        if !has_commit(&mirror, commit).await? {
            self.fetch_commit(repo, &mirror, commit).await?;
        }
        let started = Instant::now();
        let (cache, limits, repo_name) =
            (self.cache.clone(), self.config.limits, repo.url.to_string());
        let (repo_id, commit, source) = (repo_id.to_string(), commit.clone(), mirror.clone());
        let artifact = tokio::task::spawn_blocking(move || {
            write_artifact(&cache, &source, &repo_id, &repo_name, &commit, limits)
        })
        .await
        .map_err(|_| SourceError::TaskFailed {
            repo: repo.url.to_string(),
        })??;
        self.stats.checkouts.fetch_add(1, Ordering::Relaxed);
        tracing::info!(repo = %repo.url, revision = %artifact.commit(), bytes = artifact.bytes(), duration_ms = started.elapsed().as_millis() as u64, "artifact written");
        self.compact_mirror(&mirror).await;
        Ok(artifact)
    }

    /// Repacks the mirror into one pack once it holds more than `mirror_pack_limit` packs.
    /// Objects that only older commits needed are dropped (they are fetched again should such a
    /// commit be checked out again); the newest commit stays reachable from
    /// `refs/driftless/last`, so the next checkout can still hard-link from it. A failure is
    /// logged, not returned: the artifact is already published.
    async fn compact_mirror(&self, mirror: &Path) {
        if count_packs(mirror) <= self.config.mirror_pack_limit {
            return;
        }
        let mut cmd = tokio::process::Command::from(local_command(mirror));
        cmd.args(["repack", "-a", "-d", "-q"])
            .stdout(std::process::Stdio::null());
        match cmd.output().await {
            Ok(output) if output.status.success() => {
                tracing::debug!(mirror = %mirror.display(), "repacked mirror")
            }
            Ok(output) => {
                let detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
                tracing::warn!(mirror = %mirror.display(), detail, "repacking the mirror failed")
            }
            Err(error) => {
                tracing::warn!(mirror = %mirror.display(), %error, "running git repack failed")
            }
        }
    }

    async fn ensure_mirror(
        &self,
        repo: &Repository,
        repo_id: &str,
    ) -> Result<PathBuf, SourceError> {
        let mirror = self.cache.mirror_dir(repo_id);
        if !mirror.join("HEAD").is_file() {
            let args = ["init", "--bare", "--quiet"]
                .map(String::from)
                .into_iter()
                .chain([mirror.to_string_lossy().into_owned()]);
            self.remote(repo)
                .run(Step::Mirror, None, &args.collect::<Vec<_>>())
                .await?;
        }
        remove_stale_locks(&mirror);
        Ok(mirror)
    }

    /// Fetches exactly `commit` with depth 1 and keeps it reachable from `refs/driftless/last`,
    /// so that the next fetch can tell the server what the mirror already has.
    async fn fetch_commit(
        &self,
        repo: &Repository,
        mirror: &Path,
        commit: &ObjectId,
    ) -> Result<(), SourceError> {
        let started = Instant::now();
        let refspec = format!("+{commit}:refs/driftless/last");
        self.git_fetch(repo, mirror, &["--depth=1"], &[&refspec])
            .await?;
        tracing::info!(repo = %repo.url, revision = %commit, duration_ms = started.elapsed().as_millis() as u64, "fetched");
        if has_commit(mirror, commit).await? {
            return Ok(());
        }
        Err(GitError::UnknownRevision {
            repo: repo.url.to_string(),
            detail: format!("the server did not send commit {commit}"),
        }
        .into())
    }

    /// Fetches the full history of every branch and tag (used only for abbreviated commit ids).
    async fn fetch_history(&self, repo: &Repository, mirror: &Path) -> Result<(), SourceError> {
        let unshallow: &[&str] = if mirror.join("shallow").exists() {
            &["--unshallow"]
        } else {
            &[]
        };
        let refspecs = [
            "+refs/heads/*:refs/driftless/heads/*",
            "+refs/tags/*:refs/driftless/tags/*",
        ];
        self.git_fetch(repo, mirror, unshallow, &refspecs).await
    }

    /// Runs `git fetch` (quiet, no tags, no FETCH_HEAD) with `options` and `refspecs` from the
    /// repository into `mirror`, counting it in the stats.
    async fn git_fetch(
        &self,
        repo: &Repository,
        mirror: &Path,
        options: &[&str],
        refspecs: &[&str],
    ) -> Result<(), SourceError> {
        self.stats.fetches.fetch_add(1, Ordering::Relaxed);
        let args: Vec<String> = ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head"]
            .iter()
            .chain(options)
            .chain(&["--", repo.url.as_git_arg()])
            .chain(refspecs)
            .map(|arg| arg.to_string())
            .collect();
        self.remote(repo)
            .run(Step::Fetch, Some(mirror), &args)
            .await?;
        Ok(())
    }

    fn remote<'a>(&'a self, repo: &'a Repository) -> Remote<'a> {
        Remote {
            url: &repo.url,
            credentials: &repo.credentials,
            scratch: &self.scratch,
            timeout: self.config.fetch_timeout,
        }
    }

    fn mirror_lock(&self, repo_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .mirror_locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(repo_id.to_string()).or_default().clone()
    }
}

/// Lock files that a git killed by the timeout leaves behind; they would fail every later fetch.
const MIRROR_LOCKS: &[&str] = &[
    "shallow.lock",
    "packed-refs.lock",
    "HEAD.lock",
    "config.lock",
    "refs/driftless/last.lock",
];

/// Removes lock files left by a killed git. Only called with the repository's mirror lock held,
/// and this process is the only user of its cache directory, so no live git owns them.
fn remove_stale_locks(mirror: &Path) {
    for name in MIRROR_LOCKS {
        let path = mirror.join(name);
        if std::fs::remove_file(&path).is_ok() {
            tracing::warn!(path = %path.display(), "removed stale lock left by an interrupted git");
        }
    }
}

/// How many packs the mirror's object store holds.
fn count_packs(mirror: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(mirror.join("objects/pack")) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|ext| ext == "pack"))
        .count()
}

/// Checks the mirror for `commit` and its root tree without touching the network.
async fn has_commit(mirror: &Path, commit: &ObjectId) -> Result<bool, SourceError> {
    let mut cmd = tokio::process::Command::from(local_command(mirror));
    cmd.args(["cat-file", "-e", &format!("{commit}^{{tree}}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let status = cmd
        .status()
        .await
        .map_err(|e| spawn_error(Step::Mirror, e))?;
    Ok(status.success())
}

async fn find_commit_by_prefix(
    mirror: &Path,
    repo: &str,
    prefix: &str,
) -> Result<ObjectId, SourceError> {
    let mut cmd = tokio::process::Command::from(local_command(mirror));
    cmd.args([
        "rev-parse",
        "--verify",
        "--end-of-options",
        &format!("{prefix}^{{commit}}"),
    ]);
    let output = cmd
        .output()
        .await
        .map_err(|e| spawn_error(Step::Mirror, e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(id) = ObjectId::parse(stdout.trim()).filter(|_| output.status.success()) {
        return Ok(id);
    }
    let (repo, revision) = (repo.to_string(), prefix.to_string());
    if String::from_utf8_lossy(&output.stderr).contains("ambiguous") {
        return Err(RevisionError::Ambiguous { repo, revision }.into());
    }
    Err(RevisionError::NotFound { repo, revision }.into())
}

/// Writes `commit` into a staging directory and publishes it; removes the staging directory on
/// failure so that no half checkout is ever visible.
fn write_artifact(
    cache: &ArtifactCache,
    mirror: &Path,
    repo_id: &str,
    repo: &str,
    commit: &ObjectId,
    limits: Limits,
) -> Result<Artifact, SourceError> {
    let staged = cache.staging_dir(repo_id, commit)?;
    let subject = Subject { repo, commit };
    let earlier = cache.latest(repo_id);
    let previous = earlier.as_ref().map(|a| Previous {
        root: a.path(),
        commit: a.commit(),
    });
    let written = write_tree(mirror, &subject, &staged, limits, previous.as_ref());
    drop(earlier); // no longer needed: let eviction consider it
    match written {
        Ok(stats) => {
            tracing::debug!(repo, revision = %commit, files = stats.files, linked = stats.linked, "tree written");
            Ok(cache.publish(repo_id, commit, &staged, stats.bytes)?)
        }
        Err(error) => {
            cache.discard(&staged)?;
            Err(error.into())
        }
    }
}
