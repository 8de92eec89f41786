//! Normalisation and comparison of desired and live objects.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `spec.ignoreDifferences` rule, spelled as Argo CD spells it. It matches objects by
/// group and kind (and, when set, name and namespace); for those, the fields at
/// `jsonPointers` and the fields owned by `managedFieldsManagers` are left out of the
/// comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IgnoreDifference {
    /// API group; empty for the core group.
    #[serde(default)]
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Object name; empty matches every name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Object namespace; empty matches every namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// RFC 6901 JSON pointers of ignored fields, such as `/spec/replicas`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
    /// Field managers (such as an HPA controller) whose owned fields are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_fields_managers: Vec<String>,
}
