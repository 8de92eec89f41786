//! Printing rendered manifests: a YAML stream or a JSON `List`, as `kubectl` prints them.

use driftless_core::Manifest;
use serde_json::{json, Value};

/// Why manifests could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// An object could not be written as YAML.
    #[error("cannot write {origin} as YAML: {message}")]
    Yaml {
        /// Origin of the object.
        origin: String,
        /// The serialiser's message.
        message: String,
    },
    /// The list could not be written as JSON.
    #[error("cannot write manifests as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The manifests as one YAML stream, each object a document introduced by `---`.
pub fn to_yaml_stream(manifests: &[Manifest]) -> Result<String, OutputError> {
    let mut out = String::new();
    for manifest in manifests {
        let document =
            serde_saphyr::to_string(&manifest.object).map_err(|err| OutputError::Yaml {
                origin: manifest.origin.to_string(),
                message: err.to_string(),
            })?;
        out.push_str("---\n");
        out.push_str(&document);
        if !document.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// The manifests as a pretty-printed `v1/List`, the shape of `kubectl get -o json`.
pub fn to_json_list(manifests: &[Manifest]) -> Result<String, OutputError> {
    let items: Vec<&Value> = manifests.iter().map(|m| &m.object).collect();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    Ok(serde_json::to_string_pretty(&list)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::{parse_manifests, Format};

    const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 'yes', n: '1'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";

    #[test]
    fn yaml_stream_round_trips() {
        let manifests = parse_manifests("f.yaml", TEXT, Format::Yaml).unwrap();
        let printed = to_yaml_stream(&manifests).unwrap();
        assert!(printed.starts_with("---\n"));
        let again = parse_manifests("f.yaml", &printed, Format::Yaml).unwrap();
        assert_eq!(again, manifests);
        assert_eq!(
            again[0].object["data"]["k"], "yes",
            "strings that look like booleans stay strings"
        );
    }

    #[test]
    fn json_list_holds_every_object() {
        let manifests = parse_manifests("f.yaml", TEXT, Format::Yaml).unwrap();
        let list: Value = serde_json::from_str(&to_json_list(&manifests).unwrap()).unwrap();
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"][1]["metadata"]["name"], "b");
    }
}
