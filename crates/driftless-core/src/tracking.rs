//! How Driftless marks the objects it manages: a label for watch selectors and a tracking
//! annotation that proves ownership.

use serde_json::{Map, Value};

use crate::object_ref::ObjectRef;

/// Label carrying `<app-namespace>.<app-name>` (hashed when too long for a label value).
pub const APP_LABEL: &str = "driftless.dev/app";
/// Annotation carrying `<app-namespace>/<app-name>:<group>/<Kind>:<namespace>/<name>`.
pub const TRACKING_ANNOTATION: &str = "driftless.dev/tracking-id";
/// Field manager of every write Driftless makes.
pub const FIELD_MANAGER: &str = "driftless";

const MAX_LABEL_VALUE: usize = 63;

/// The value of [`APP_LABEL`] for an Application: `<namespace>.<name>`, or, when that is
/// longer than 63 characters, its first 46 characters, a dash and a 16-digit hash, so the
/// value stays unique, stable and valid.
pub fn app_label_value(app_namespace: &str, app_name: &str) -> String {
    let full = format!("{app_namespace}.{app_name}");
    if full.len() <= MAX_LABEL_VALUE {
        return full;
    }
    let prefix: String = full.chars().take(46).collect();
    let prefix = prefix.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
    format!("{prefix}-{:016x}", fnv1a(full.as_bytes()))
}

/// The tracking id of `object` when managed by Application `app_namespace/app_name`.
pub fn tracking_id(app_namespace: &str, app_name: &str, object: &ObjectRef) -> String {
    format!("{app_namespace}/{app_name}:{object}")
}

/// Sets the app label and tracking annotation on a manifest (creating metadata maps as needed).
pub fn stamp(object: &mut Value, app_namespace: &str, app_name: &str, object_ref: &ObjectRef) {
    let Some(metadata) = object
        .as_object_mut()
        .map(|o| {
            o.entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    set_string(
        metadata,
        "labels",
        APP_LABEL,
        app_label_value(app_namespace, app_name),
    );
    set_string(
        metadata,
        "annotations",
        TRACKING_ANNOTATION,
        tracking_id(app_namespace, app_name, object_ref),
    );
}

fn set_string(metadata: &mut Map<String, Value>, map: &str, key: &str, value: String) {
    let entry = metadata
        .entry(map)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Some(map) = entry.as_object_mut() {
        map.insert(key.to_owned(), Value::String(value));
    }
}

/// True when a live object's tracking annotation names this Application and this object,
/// the proof of ownership that pruning requires. The version is not part of the id, so an
/// apiVersion change keeps ownership.
pub fn is_owned_by(
    live: &Value,
    app_namespace: &str,
    app_name: &str,
    object_ref: &ObjectRef,
) -> bool {
    live.pointer("/metadata/annotations")
        .and_then(|a| a.get(TRACKING_ANNOTATION))
        .and_then(Value::as_str)
        == Some(tracking_id(app_namespace, app_name, object_ref).as_str())
}

/// 64-bit FNV-1a: small, stable across releases and platforms.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web() -> ObjectRef {
        ObjectRef {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into(),
        }
    }

    #[test]
    fn stamps_label_and_tracking_id() {
        let mut object =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}});
        stamp(&mut object, "driftless", "guestbook", &web());
        assert_eq!(
            object["metadata"]["labels"][APP_LABEL],
            "driftless.guestbook"
        );
        assert_eq!(
            object["metadata"]["annotations"][TRACKING_ANNOTATION],
            "driftless/guestbook:apps/Deployment:shop/web"
        );
        assert!(is_owned_by(&object, "driftless", "guestbook", &web()));
        assert!(!is_owned_by(&object, "driftless", "other", &web()));
    }

    #[test]
    fn long_label_values_are_hashed_to_63_characters() {
        let name = "a".repeat(80);
        let value = app_label_value("team-payments", &name);
        assert_eq!(value.len(), 63);
        assert_ne!(value, app_label_value("team-payments", &"a".repeat(81)));
        assert_eq!(value, app_label_value("team-payments", &name));
    }
}
