//! A reference to one Kubernetes object: group, version, kind, namespace and name.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Identifies one Kubernetes object. `group` is empty for the core group (`v1`);
/// `namespace` is empty for cluster-scoped objects and for namespaced objects that
/// take their namespace from the destination.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct ObjectRef {
    /// API group, empty for the core group.
    #[serde(default)]
    pub group: String,
    /// API version within the group, such as `v1`.
    pub version: String,
    /// Kind, such as `Deployment`.
    pub kind: String,
    /// Namespace, empty when the object does not name one.
    #[serde(default)]
    pub namespace: String,
    /// Name (`metadata.name`).
    pub name: String,
}

/// Why an object could not be turned into an [`ObjectRef`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectRefError {
    /// A required field is absent, empty or not a string.
    #[error("missing or empty string field {0}")]
    MissingField(&'static str),
}

/// Splits an `apiVersion` into (group, version): `apps/v1` -> (`apps`, `v1`), `v1` -> (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

impl ObjectRef {
    /// Reads apiVersion, kind, metadata.namespace and metadata.name from an object.
    /// Fails when apiVersion, kind or metadata.name is missing or empty; an absent
    /// namespace gives an empty one.
    pub fn from_object(object: &Value) -> Result<Self, ObjectRefError> {
        let api_version = non_empty_str(object, &["apiVersion"])
            .ok_or(ObjectRefError::MissingField("apiVersion"))?;
        let kind = non_empty_str(object, &["kind"]).ok_or(ObjectRefError::MissingField("kind"))?;
        let name = non_empty_str(object, &["metadata", "name"])
            .ok_or(ObjectRefError::MissingField("metadata.name"))?;
        let namespace = non_empty_str(object, &["metadata", "namespace"]).unwrap_or_default();
        let (group, version) = split_api_version(api_version);
        Ok(Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The `apiVersion` this reference was built from (`group/version`, or `version` for the core group).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Formats as `group/Kind:namespace/name`, the object part of a tracking id.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}:{}/{}",
            self.group, self.kind, self.namespace, self.name
        )
    }
}

/// The string at `path` inside `object`, if it is present, a string and not empty.
pub(crate) fn non_empty_str<'a>(object: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut current = object;
    for key in path {
        current = current.get(key)?;
    }
    current.as_str().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_group_version_and_namespace() {
        let r = ObjectRef::from_object(&json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}
        }))
        .unwrap();
        assert_eq!(r.group, "apps");
        assert_eq!(r.version, "v1");
        assert_eq!(r.namespace, "shop");
        assert_eq!(r.to_string(), "apps/Deployment:shop/web");
        assert_eq!(r.api_version(), "apps/v1");
    }

    #[test]
    fn core_group_is_empty() {
        let r = ObjectRef::from_object(&json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}
        }))
        .unwrap();
        assert_eq!(r.group, "");
        assert_eq!(r.api_version(), "v1");
        assert_eq!(r.to_string(), "/ConfigMap:/c");
    }

    #[test]
    fn missing_name_is_reported() {
        let err =
            ObjectRef::from_object(&json!({"apiVersion": "v1", "kind": "ConfigMap"})).unwrap_err();
        assert_eq!(err, ObjectRefError::MissingField("metadata.name"));
    }

    #[test]
    fn non_string_kind_is_missing() {
        let err = ObjectRef::from_object(&json!({"apiVersion": "v1", "kind": 3})).unwrap_err();
        assert_eq!(err, ObjectRefError::MissingField("kind"));
    }
}
