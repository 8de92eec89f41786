//! Masking Secret values so that a diff shows which keys changed and nothing else.

use std::collections::HashMap;

use serde_json::Value;

use super::normalize::{remove_annotation, LAST_APPLIED};

/// Length of the first mask; each further distinct value gets one `+` more.
const FIRST_MASK_LEN: usize = 8;

/// Replaces the values of core-group Secrets with masks made of `+`, as Argo CD does.
///
/// Within one masker, equal values get equal masks and different values different ones, so
/// masking the desired and the live object with the same masker keeps "this key changed"
/// visible. A mask depends only on the order in which distinct values were met, never on
/// the value or its length. It keeps the values it has seen, so it deliberately has no
/// `Debug`.
#[derive(Default)]
pub struct SecretMasker {
    masks: HashMap<Value, String>,
}

impl SecretMasker {
    /// If `object` is a core-group Secret (`apiVersion: v1`, `kind: Secret`), removes its
    /// last-applied-configuration annotation (it holds the values in clear) and replaces
    /// every value of `data` and `stringData` with its mask (a `data` or `stringData` that is
    /// not a map is masked whole). Other objects are left as they are.
    pub fn mask(&mut self, object: &mut Value) {
        if !is_core_secret(object) {
            return;
        }
        remove_annotation(object, LAST_APPLIED);
        for field in ["data", "stringData"] {
            match object.get_mut(field) {
                Some(Value::Object(values)) => {
                    for value in values.values_mut() {
                        *value = self.masked(value);
                    }
                }
                None | Some(Value::Null) => {}
                Some(malformed) => *malformed = self.masked(malformed),
            }
        }
    }

    fn masked(&mut self, value: &Value) -> Value {
        let next_len = FIRST_MASK_LEN + self.masks.len();
        let mask = self
            .masks
            .entry(value.clone())
            .or_insert_with(|| "+".repeat(next_len));
        Value::String(mask.clone())
    }
}

/// Masks the Secret values of one object on its own; see [`SecretMasker::mask`]. Use one
/// [`SecretMasker`] for both sides of a comparison instead, so their masks agree.
pub fn mask_secret_values(object: &mut Value) {
    SecretMasker::default().mask(object);
}

fn is_core_secret(object: &Value) -> bool {
    object.get("apiVersion").and_then(Value::as_str) == Some("v1")
        && object.get("kind").and_then(Value::as_str) == Some("Secret")
}
