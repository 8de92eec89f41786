//! The vocabulary of writes: which part of an object a write addresses, the kinds of patch, the options every
//! write takes and what it returns.

use std::sync::Arc;

use serde_json::Value;

/// How unknown fields are treated (`fieldValidation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    /// Drop them silently.
    Ignore,
    /// Drop them and say so in a Warning header (kube-apiserver's default).
    #[default]
    Warn,
    /// Refuse the request.
    Strict,
}

/// Which part of the object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    /// The object itself (status ignored when the type has a status subresource).
    Main,
    /// `/status`: only status changes.
    Status,
}

impl Subresource {
    pub(super) fn managed_fields_name(self) -> Option<&'static str> {
        match self {
            Subresource::Main => None,
            Subresource::Status => Some("status"),
        }
    }
}

/// The kinds of PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json` (RFC 6902).
    Json,
    /// `application/merge-patch+json` (RFC 7386).
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`: server-side apply.
    Apply,
}

/// Options common to every write.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// `dryRun=All`: do everything but store.
    pub dry_run: bool,
    /// The field manager (the `fieldManager` parameter, or derived from the User-Agent).
    pub field_manager: String,
    /// `fieldValidation`.
    pub field_validation: FieldValidation,
    /// `force` (server-side apply only).
    pub force: bool,
}

/// The outcome of a write.
#[derive(Debug, Clone)]
pub struct Written {
    /// The object as stored (or as it would be, in a dry run).
    pub object: Arc<Value>,
    /// Whether the write created the object (201 instead of 200).
    pub created: bool,
    /// Warnings for the `Warning` response header.
    pub warnings: Vec<String>,
}
