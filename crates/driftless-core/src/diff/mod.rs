//! Normalisation and comparison of desired and live objects.
//!
//! "Desired" is the server-side dry-run result of applying a manifest; "live" is the object
//! in the cluster. [`compare`] strips what the server changes on every write
//! ([`normalize`]), what users asked to ignore ([`remove_ignored`]), masks Secret values
//! ([`SecretMasker`]) and renders a unified diff of what is left.

mod ignore;
mod managed_fields;
mod mask;
mod normalize;
mod text;

#[cfg(test)]
mod tests;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::object_ref::ObjectRef;

pub use ignore::{keep_live_values, matching_rules, remove_ignored};
pub use mask::{mask_secret_values, redact_secret_values, SecretMasker};
pub use normalize::normalize;

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

/// Why two objects could not be compared. Messages name the rule or manager involved and
/// never carry a field value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// A JSON pointer of an ignoreDifferences rule is not a valid RFC 6901 pointer.
    #[error("ignoreDifferences rule for kind {kind}: invalid JSON pointer {pointer:?}: {reason}")]
    InvalidJsonPointer {
        /// Kind of the rule that holds the pointer.
        kind: String,
        /// The pointer as written in the rule.
        pointer: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `fieldsV1` key in the live object's managedFields could not be read.
    #[error("managedFields of manager {manager:?}: unreadable fieldsV1 key {key:?}: {reason}")]
    InvalidFieldsKey {
        /// Manager whose entry holds the key.
        manager: String,
        /// The key as found in `fieldsV1`.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The outcome of comparing one desired object with its live counterpart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDiff {
    /// True when the object would change if applied (or does not exist yet).
    pub differs: bool,
    /// A unified diff from live to desired, Secret values masked; empty when `differs` is false.
    pub text: String,
}

/// Compares a desired object (the dry-run result) with the live one.
///
/// Both are normalised, stripped of the fields that the matching `rules` ignore (managed
/// fields are read from `live`) and Secret values are masked consistently across both, so
/// the diff shows which Secret keys changed but never their values. A missing live object
/// always differs and its text shows every desired line as added.
pub fn compare(
    object: &ObjectRef,
    desired: &Value,
    live: Option<&Value>,
    rules: &[IgnoreDifference],
) -> Result<ObjectDiff, DiffError> {
    let rules = matching_rules(rules, object);
    let managed_fields = live
        .and_then(|live| live.pointer("/metadata/managedFields"))
        .unwrap_or(&Value::Null);
    let comparable = |value: &Value| -> Result<Value, DiffError> {
        let mut value = value.clone();
        remove_ignored(&mut value, &rules, managed_fields)?;
        Ok(normalize(&value))
    };
    let mut masker = SecretMasker::default();
    let mut desired = comparable(desired)?;
    let mut live = live.map(comparable).transpose()?;
    if let Some(live) = live.as_mut() {
        masker.mask(live);
    }
    masker.mask(&mut desired);
    if live.as_ref() == Some(&desired) {
        return Ok(ObjectDiff {
            differs: false,
            text: String::new(),
        });
    }
    Ok(ObjectDiff {
        differs: true,
        text: text::unified_diff(object, live.as_ref(), Some(&desired)),
    })
}

/// The diff of deleting `live` (every line removed), normalised and with Secret values
/// masked, for objects a sync would prune.
pub fn removal(object: &ObjectRef, live: &Value) -> String {
    let mut live = normalize(live);
    SecretMasker::default().mask(&mut live);
    text::unified_diff(object, Some(&live), None)
}
