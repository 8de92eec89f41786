//! Masking Secret values so that a diff shows which keys changed and nothing else.

use std::collections::HashMap;

use serde_json::Value;

use super::normalize::{remove_annotation, LAST_APPLIED};

/// Removes from `text` (an API error message, say) every value of a core-group Secret's
/// `data` and `stringData`, replacing each with `***`, so that no message about `object` can
/// leak one. Text about other objects is returned as it is.
pub fn redact_secret_values(text: &str, object: &Value) -> String {
    if !is_core_secret(object) {
        return text.to_owned();
    }
    let mut values: Vec<&str> = ["data", "stringData"]
        .iter()
        .filter_map(|field| object.get(field)?.as_object())
        .flat_map(|map| map.values().filter_map(Value::as_str))
        .filter(|value| !value.is_empty())
        .collect();
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    values
        .into_iter()
        .fold(text.to_owned(), |text, value| text.replace(value, "***"))
}

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

#[cfg(test)]
mod redact_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_cut_out_of_messages() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
                            "data": {"a": "aHVudGVyMg=="}, "stringData": {"b": "hunter2"}});
        let message = r#"Invalid value: "aHVudGVyMg==": illegal base64; also "hunter2""#;
        let redacted = redact_secret_values(message, &secret);
        assert!(
            !redacted.contains("hunter2") && !redacted.contains("aHVudGVyMg"),
            "{redacted}"
        );
        let config = json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "x"}});
        assert_eq!(redact_secret_values("x", &config), "x");
    }
}
