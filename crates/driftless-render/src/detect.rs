//! Choosing how a source is rendered, as Argo CD does.

use std::path::Path;

use driftless_core::{JsonnetSource, SourceSpec};

use crate::kustomize::kustomization_file;

/// How a source directory is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// YAML, JSON and Jsonnet files.
    Directory,
    /// `kustomize build`.
    Kustomize,
    /// `helm template`.
    Helm,
}

/// Why the spec's rendering options are contradictory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// More than one of directory/jsonnet, kustomize and helm is set.
    #[error("source sets more than one of {0}; choose one")]
    MultipleKinds(String),
    /// Both `jsonnet` and `directory.jsonnet` carry options.
    #[error("source sets both jsonnet and directory.jsonnet; use one")]
    TwoJsonnetBlocks,
}

/// The kind of source: an explicit `directory`/`jsonnet`, `kustomize` or `helm` block
/// wins; otherwise a kustomization file (kustomization.yaml, .yml, Kustomization) means
/// Kustomize, a Chart.yaml means Helm (Kustomize wins when both exist, as in Argo CD),
/// and anything else is a plain directory.
pub fn detect_kind(dir: &Path, source: &SourceSpec) -> Result<SourceKind, SpecError> {
    let explicit: Vec<(&str, SourceKind)> = [
        (
            source.directory.is_some() || source.jsonnet.is_some(),
            "directory/jsonnet",
            SourceKind::Directory,
        ),
        (
            source.kustomize.is_some(),
            "kustomize",
            SourceKind::Kustomize,
        ),
        (source.helm.is_some(), "helm", SourceKind::Helm),
    ]
    .into_iter()
    .filter(|(set, _, _)| *set)
    .map(|(_, name, kind)| (name, kind))
    .collect();
    match explicit.as_slice() {
        [(_, kind)] => Ok(*kind),
        [] => Ok(detect_from_files(dir)),
        many => Err(SpecError::MultipleKinds(
            many.iter()
                .map(|(name, _)| *name)
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

fn detect_from_files(dir: &Path) -> SourceKind {
    if kustomization_file(dir).is_some() {
        SourceKind::Kustomize
    } else if dir.join("Chart.yaml").is_file() {
        SourceKind::Helm
    } else {
        SourceKind::Directory
    }
}

/// The Jsonnet options in effect: the top-level `jsonnet` block or `directory.jsonnet`.
pub fn jsonnet_options(source: &SourceSpec) -> Result<JsonnetSource, SpecError> {
    let nested = source
        .directory
        .as_ref()
        .map(|d| &d.jsonnet)
        .filter(|j| **j != JsonnetSource::default());
    match (&source.jsonnet, nested) {
        (Some(_), Some(_)) => Err(SpecError::TwoJsonnetBlocks),
        (Some(top), None) => Ok(top.clone()),
        (None, Some(nested)) => Ok(nested.clone()),
        (None, None) => Ok(JsonnetSource::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::{DirectorySource, HelmSource, KustomizeSource};
    use std::fs;

    #[test]
    fn files_decide_without_explicit_block() {
        let dir = tempfile::tempdir().unwrap();
        let none = SourceSpec::default();
        assert_eq!(
            detect_kind(dir.path(), &none).unwrap(),
            SourceKind::Directory
        );
        fs::write(dir.path().join("Chart.yaml"), "name: c").unwrap();
        assert_eq!(detect_kind(dir.path(), &none).unwrap(), SourceKind::Helm);
        fs::write(dir.path().join("Kustomization"), "resources: []").unwrap();
        assert_eq!(
            detect_kind(dir.path(), &none).unwrap(),
            SourceKind::Kustomize
        );
    }

    #[test]
    fn explicit_block_overrides_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("kustomization.yml"), "resources: []").unwrap();
        let spec = SourceSpec {
            directory: Some(DirectorySource::default()),
            ..Default::default()
        };
        assert_eq!(
            detect_kind(dir.path(), &spec).unwrap(),
            SourceKind::Directory
        );
        let spec = SourceSpec {
            helm: Some(HelmSource::default()),
            ..Default::default()
        };
        assert_eq!(detect_kind(dir.path(), &spec).unwrap(), SourceKind::Helm);
    }

    #[test]
    fn two_blocks_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SourceSpec {
            kustomize: Some(KustomizeSource::default()),
            helm: Some(HelmSource::default()),
            ..Default::default()
        };
        let err = detect_kind(dir.path(), &spec).unwrap_err();
        assert_eq!(
            err.to_string(),
            "source sets more than one of kustomize, helm; choose one"
        );
    }
}
