//! Integration tests of driftless-source against real Git servers started by the tests:
//! git daemon, git http-backend behind a test HTTP server, sshd, file:// URLs and local paths.

mod cache;
mod cost;
mod failures;
mod revisions;
mod support;
mod transports;

use driftless_source::{Artifact, Credentials, Repository, Source, SourceConfig};
use std::sync::Arc;

/// A source with its own cache directory, default settings.
pub fn source() -> (Arc<Source>, tempfile::TempDir) {
    source_with(|_| {})
}

/// A source with its own cache directory and adjusted settings.
pub fn source_with(adjust: impl FnOnce(&mut SourceConfig)) -> (Arc<Source>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SourceConfig::new(dir.path().join("cache"));
    adjust(&mut config);
    (Arc::new(Source::open(config).unwrap()), dir)
}

/// A repository without credentials.
pub fn open_repo(url: &str) -> Repository {
    Repository::new(url, Credentials::default()).unwrap()
}

/// A file of an artifact, as text.
pub fn read(artifact: &Artifact, path: &str) -> String {
    std::fs::read_to_string(artifact.path().join(path)).unwrap()
}
