//! An object to make true in the cluster: its manifest as it will be applied, with what the
//! sync decided about it (options, hook, whether it can be compared yet).

use driftless_core::plan::{Hook, SyncOptions};
use driftless_core::tracking;
use driftless_core::{ObjectRef, Origin};
use serde_json::Value;

/// One object the sync must make true.
#[derive(Debug, Clone)]
pub struct Desired {
    /// Its reference, namespace filled in.
    pub object: ObjectRef,
    /// The manifest that is applied: namespace set, tracking label and annotation stamped.
    pub manifest: Value,
    /// Where it was rendered from.
    pub origin: Origin,
    /// Hash of `manifest`, hex.
    pub hash: String,
    /// Its sync options (the Application's, overridden by the object's annotation).
    pub options: SyncOptions,
    /// Hook settings, when the object is a hook.
    pub hook: Option<Hook>,
    /// True when the object can only be dry-run once an earlier stage of this sync has run:
    /// its kind is defined by a CRD in the sync, or its namespace is created by it.
    pub compare_later: bool,
    /// True when the cluster served the object's kind when the sync started (false for the
    /// custom resources of a CRD the sync creates).
    pub kind_served: bool,
}

/// Hex FNV-1a of the manifest's JSON: equal manifests give equal hashes.
pub fn hash_of(manifest: &Value) -> String {
    format!("{:016x}", tracking::fnv1a(manifest.to_string().as_bytes()))
}
