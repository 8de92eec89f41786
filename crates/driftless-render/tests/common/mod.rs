//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use driftless_core::{Manifest, SourceSpec};

/// The fixture checkout `name` under tests/fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A source spec for `path` with no explicit kind.
pub fn spec(path: &str) -> SourceSpec {
    SourceSpec {
        path: path.into(),
        ..Default::default()
    }
}

/// `Kind/name` of every manifest, in order.
pub fn kinds_and_names(manifests: &[Manifest]) -> Vec<String> {
    manifests
        .iter()
        .map(|m| format!("{}/{}", m.kind().unwrap_or("?"), m.name().unwrap_or("?")))
        .collect()
}
