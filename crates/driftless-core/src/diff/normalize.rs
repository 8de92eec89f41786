//! Stripping what the API server rewrites on every write.

use serde_json::{Map, Value};

/// The annotation `kubectl apply` (client-side) leaves behind; it repeats the whole object.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Metadata fields that the server sets or bumps on writes and that no manifest controls.
const SERVER_METADATA: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Returns a copy of `object` without server-maintained metadata (uid, resourceVersion,
/// generation, creationTimestamp, managedFields, selfLink, deletionTimestamp,
/// deletionGracePeriodSeconds), without `status`, and without the
/// last-applied-configuration annotation. An annotations or labels map left empty is
/// removed, so an object without them compares equal to one with empty maps.
pub fn normalize(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Value::Object(root) = &mut copy {
        root.remove("status");
    }
    if let Some(metadata) = metadata_mut(&mut copy) {
        for field in SERVER_METADATA {
            metadata.remove(field);
        }
        remove_from_metadata_map(metadata, "annotations", LAST_APPLIED);
        remove_if_empty(metadata, "labels");
    }
    copy
}

/// Removes one annotation and drops the annotations map when that leaves it empty.
pub(crate) fn remove_annotation(object: &mut Value, key: &str) {
    if let Some(metadata) = metadata_mut(object) {
        remove_from_metadata_map(metadata, "annotations", key);
    }
}

fn metadata_mut(object: &mut Value) -> Option<&mut Map<String, Value>> {
    object.get_mut("metadata")?.as_object_mut()
}

/// Removes `key` from the map `metadata[field]`, then the map itself if it is empty.
fn remove_from_metadata_map(metadata: &mut Map<String, Value>, field: &str, key: &str) {
    if let Some(Value::Object(map)) = metadata.get_mut(field) {
        map.remove(key);
    }
    remove_if_empty(metadata, field);
}

/// Removes `metadata[field]` when it is an empty map or null.
fn remove_if_empty(metadata: &mut Map<String, Value>, field: &str) {
    let empty = match metadata.get(field) {
        Some(Value::Object(map)) => map.is_empty(),
        Some(Value::Null) => true,
        _ => false,
    };
    if empty {
        metadata.remove(field);
    }
}
