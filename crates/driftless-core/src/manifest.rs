//! A rendered Kubernetes object and where in the checkout it came from.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::object_ref::{non_empty_str, ObjectRef, ObjectRefError};

/// Where a manifest came from: a file path relative to the checkout root (with `/`
/// separators) and the index of the document inside that file, counting from 0 over
/// the non-empty documents. For generated output (Kustomize, Helm) the file is the
/// source directory and the index counts the tool's output documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// Path relative to the checkout root, `/`-separated.
    pub file: String,
    /// Index of the document within the file.
    pub document: usize,
}

/// Formats as `file#document`.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.file, self.document)
    }
}

/// One desired Kubernetes object as rendered from a source, with its origin.
/// The object is kept as JSON so that any kind, including custom resources, fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The object, as rendered.
    pub object: Value,
    /// Where it came from.
    pub origin: Origin,
}

impl Manifest {
    /// `apiVersion`, if present and a non-empty string.
    pub fn api_version(&self) -> Option<&str> {
        non_empty_str(&self.object, &["apiVersion"])
    }

    /// `kind`, if present and a non-empty string.
    pub fn kind(&self) -> Option<&str> {
        non_empty_str(&self.object, &["kind"])
    }

    /// `metadata.name`, if present and a non-empty string.
    pub fn name(&self) -> Option<&str> {
        non_empty_str(&self.object, &["metadata", "name"])
    }

    /// `metadata.generateName`, if present and a non-empty string.
    pub fn generate_name(&self) -> Option<&str> {
        non_empty_str(&self.object, &["metadata", "generateName"])
    }

    /// `metadata.namespace`, if present and a non-empty string.
    pub fn namespace(&self) -> Option<&str> {
        non_empty_str(&self.object, &["metadata", "namespace"])
    }

    /// The object's reference; fails when apiVersion, kind or metadata.name is missing.
    pub fn object_ref(&self) -> Result<ObjectRef, ObjectRefError> {
        ObjectRef::from_object(&self.object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors_read_metadata() {
        let m = Manifest {
            object: json!({"apiVersion": "batch/v1", "kind": "Job",
                           "metadata": {"generateName": "migrate-", "namespace": "db"}}),
            origin: Origin {
                file: "jobs/migrate.yaml".into(),
                document: 1,
            },
        };
        assert_eq!(m.kind(), Some("Job"));
        assert_eq!(m.name(), None);
        assert_eq!(m.generate_name(), Some("migrate-"));
        assert_eq!(m.namespace(), Some("db"));
        assert_eq!(m.origin.to_string(), "jobs/migrate.yaml#1");
        assert!(m.object_ref().is_err());
    }
}
