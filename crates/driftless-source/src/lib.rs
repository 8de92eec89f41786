//! Git -> Artifact: revision resolution, single-flight fetches and a content-addressed,
//! crash-safe artifact cache shared by every Application.
//!
//! ```no_run
//! # async fn demo() -> Result<(), driftless_source::SourceError> {
//! use driftless_source::{Credentials, Repository, Source, SourceConfig};
//! let source = std::sync::Arc::new(Source::open(SourceConfig::new("/var/cache/driftless"))?);
//! let repo = Repository::new("https://git.example.com/org/apps.git", Credentials::default())?;
//! let commit = source.resolve(&repo, "main").await?; // lists refs only
//! let artifact = source.checkout(&repo, &commit).await?; // fetches at most once
//! println!("{} at {}", commit.id, artifact.path().display());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod cache;
mod checkout;
mod credentials;
mod git;
mod refs;
mod revision;
mod single_flight;
mod source;
mod url;

pub use cache::{Artifact, CacheError};
pub use checkout::{CheckoutError, Limits};
pub use credentials::{Credentials, CredentialsError};
pub use git::{GitError, Step};
pub use refs::{ObjectId, RefList};
pub use revision::{Revision, RevisionError};
pub use source::{Commit, Repository, Source, SourceConfig, SourceError, SourceStats};
pub use url::{RepoUrl, Transport, UrlError};
