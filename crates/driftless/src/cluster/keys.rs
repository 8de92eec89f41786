//! How objects and kinds are keyed in the engine's maps, across API versions.

use driftless_core::ObjectRef;

/// Identifies an object across API versions: (group, kind, namespace, name).
pub type Key = (String, String, String, String);

/// (group, version, kind) of a watched or listed kind.
pub type KindKey = (String, String, String);

/// The key of `object`.
pub fn key(object: &ObjectRef) -> Key {
    (
        object.group.clone(),
        object.kind.clone(),
        object.namespace.clone(),
        object.name.clone(),
    )
}
