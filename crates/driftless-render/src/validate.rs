//! Checks on rendered objects before anything is handed on: required fields, valid
//! names, no duplicates.

use std::collections::HashMap;

use driftless_core::{split_api_version, Manifest, Origin};

/// Longest DNS-1123 subdomain name.
const MAX_SUBDOMAIN: usize = 253;
/// Longest DNS-1123 label name.
const MAX_LABEL: usize = 63;
/// Stand-in for the random suffix the API server appends to a `generateName`.
const GENERATED_SUFFIX: &str = "x7k2q";

/// Why a rendered object was refused. Every variant names where the object came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// apiVersion, kind, or both metadata.name and metadata.generateName are missing.
    #[error("{origin}: object has no {field}")]
    MissingField {
        /// Where the object came from.
        origin: Origin,
        /// The missing field.
        field: &'static str,
    },
    /// A name or namespace is not valid for its kind.
    #[error("{origin}: {field} {value:?} is invalid: {reason}")]
    InvalidName {
        /// Where the object came from.
        origin: Origin,
        /// `metadata.name`, `metadata.generateName` or `metadata.namespace`.
        field: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two objects have the same group, kind, namespace and name.
    #[error("duplicate object {object}: defined in {first} and in {second}")]
    Duplicate {
        /// `group/Kind:namespace/name`.
        object: String,
        /// The first definition.
        first: Origin,
        /// The second definition.
        second: Origin,
    },
}

/// Checks every manifest: apiVersion and kind present, a valid name (or generateName)
/// and namespace, and no two objects with the same (group, kind, namespace, name).
/// Returns the first problem found, in manifest order.
pub fn validate(manifests: &[Manifest]) -> Result<(), ValidationError> {
    let mut seen: HashMap<Identity<'_>, &Origin> = HashMap::with_capacity(manifests.len());
    for manifest in manifests {
        let Some(key) = check_manifest(manifest)? else {
            continue;
        };
        if let Some(first) = seen.insert(key, &manifest.origin) {
            let (group, kind, namespace, name) = key;
            return Err(ValidationError::Duplicate {
                object: format!("{group}/{kind}:{namespace}/{name}"),
                first: first.clone(),
                second: manifest.origin.clone(),
            });
        }
    }
    Ok(())
}

/// (group, kind, namespace, name), borrowed from the manifest.
type Identity<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Validates one manifest; returns its identity key, or `None` for objects named by
/// `generateName` (each gets a fresh name, so they cannot collide).
fn check_manifest(manifest: &Manifest) -> Result<Option<Identity<'_>>, ValidationError> {
    let missing = |field| ValidationError::MissingField {
        origin: manifest.origin.clone(),
        field,
    };
    let api_version = manifest
        .api_version()
        .ok_or_else(|| missing("apiVersion"))?;
    let kind = manifest.kind().ok_or_else(|| missing("kind"))?;
    let (group, _) = split_api_version(api_version);
    let namespace = manifest.namespace().unwrap_or_default();
    if !namespace.is_empty() {
        check_name(manifest, "metadata.namespace", namespace, NameRule::Label)?;
    }
    let rule = NameRule::for_kind(group, kind);
    match (manifest.name(), manifest.generate_name()) {
        (Some(name), _) => {
            check_name(manifest, "metadata.name", name, rule)?;
            Ok(Some((group, kind, namespace, name)))
        }
        (None, Some(prefix)) => {
            let candidate = format!("{prefix}{GENERATED_SUFFIX}");
            check_name(manifest, "metadata.generateName", &candidate, rule)?;
            Ok(None)
        }
        (None, None) => Err(missing("metadata.name")),
    }
}

fn check_name(
    manifest: &Manifest,
    field: &'static str,
    value: &str,
    rule: NameRule,
) -> Result<(), ValidationError> {
    rule.check(value)
        .map_err(|reason| ValidationError::InvalidName {
            origin: manifest.origin.clone(),
            field,
            value: value.to_owned(),
            reason,
        })
}

/// The naming rule the API server applies to a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameRule {
    /// DNS-1123 subdomain: most kinds.
    Subdomain,
    /// DNS-1123 label: Namespaces and Services.
    Label,
    /// Path segment: RBAC kinds (`system:controller:...` is valid).
    PathSegment,
}

impl NameRule {
    fn for_kind(group: &str, kind: &str) -> Self {
        match (group, kind) {
            ("", "Namespace" | "Service") => Self::Label,
            ("rbac.authorization.k8s.io", _) => Self::PathSegment,
            _ => Self::Subdomain,
        }
    }

    fn check(self, value: &str) -> Result<(), String> {
        match self {
            Self::Subdomain => check_subdomain(value),
            Self::Label => check_label(value),
            Self::PathSegment => check_path_segment(value),
        }
    }
}

fn check_subdomain(value: &str) -> Result<(), String> {
    if value.len() > MAX_SUBDOMAIN {
        return Err(format!("longer than {MAX_SUBDOMAIN} characters"));
    }
    value.split('.').try_for_each(check_label_characters)
}

fn check_label(value: &str) -> Result<(), String> {
    if value.len() > MAX_LABEL {
        return Err(format!("longer than {MAX_LABEL} characters"));
    }
    check_label_characters(value)
}

fn check_label_characters(part: &str) -> Result<(), String> {
    let bytes = part.as_bytes();
    let alphanumeric = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let valid = !bytes.is_empty()
        && bytes.first().is_some_and(alphanumeric)
        && bytes.last().is_some_and(alphanumeric)
        && bytes.iter().all(|b| alphanumeric(b) || *b == b'-');
    if valid {
        Ok(())
    } else {
        Err(
            "must consist of lower case alphanumeric characters or '-' (and '.' between parts), \
             and start and end with an alphanumeric character"
                .to_owned(),
        )
    }
}

fn check_path_segment(value: &str) -> Result<(), String> {
    if value == "." || value == ".." {
        return Err("may not be '.' or '..'".to_owned());
    }
    if value.contains('/') || value.contains('%') {
        return Err("may not contain '/' or '%'".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn manifest(file: &str, object: Value) -> Manifest {
        Manifest {
            object,
            origin: Origin {
                file: file.into(),
                document: 0,
            },
        }
    }

    fn cm(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
    }

    #[test]
    fn valid_objects_pass() {
        let ms = vec![
            manifest("a.yaml", cm("web.config-1")),
            manifest(
                "b.yaml",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                      "metadata": {"name": "system:controller:x"}}),
            ),
            manifest(
                "c.yaml",
                json!({"apiVersion": "batch/v1", "kind": "Job",
                                      "metadata": {"generateName": "migrate-"}}),
            ),
            manifest(
                "d.yaml",
                json!({"apiVersion": "batch/v1", "kind": "Job",
                                      "metadata": {"generateName": "migrate-"}}),
            ),
        ];
        validate(&ms).unwrap();
    }

    #[test]
    fn duplicate_names_both_origins() {
        let ms = vec![manifest("a.yaml", cm("x")), manifest("b.yaml", cm("x"))];
        let err = validate(&ms).unwrap_err();
        assert_eq!(
            err.to_string(),
            "duplicate object /ConfigMap:/x: defined in a.yaml#0 and in b.yaml#0"
        );
    }

    #[test]
    fn same_name_in_other_namespace_or_group_is_no_duplicate() {
        let mut other_ns = cm("x");
        other_ns["metadata"]["namespace"] = json!("other");
        let ms = vec![
            manifest("a.yaml", cm("x")),
            manifest("b.yaml", other_ns),
            manifest(
                "c.yaml",
                json!({"apiVersion": "example.com/v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
            ),
        ];
        validate(&ms).unwrap();
    }

    #[test]
    fn missing_fields_are_named() {
        let err = validate(&[manifest(
            "a.yaml",
            json!({"kind": "ConfigMap", "metadata": {"name": "x"}}),
        )])
        .unwrap_err();
        assert!(matches!(
            err,
            ValidationError::MissingField {
                field: "apiVersion",
                ..
            }
        ));
        let err = validate(&[manifest(
            "a.yaml",
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
        )])
        .unwrap_err();
        assert!(matches!(
            err,
            ValidationError::MissingField {
                field: "metadata.name",
                ..
            }
        ));
    }

    #[test]
    fn invalid_names_are_refused() {
        for bad in [
            "Upper",
            "-dash",
            "dash-",
            "under_score",
            "a..b",
            &"a".repeat(254),
        ] {
            let err = validate(&[manifest("a.yaml", cm(bad))]).unwrap_err();
            assert!(
                matches!(err, ValidationError::InvalidName { .. }),
                "{bad}: {err}"
            );
        }
        let dotted_service =
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a.b"}});
        assert!(validate(&[manifest("s.yaml", dotted_service)]).is_err());
        let mut bad_ns = cm("x");
        bad_ns["metadata"]["namespace"] = json!("Bad_NS");
        assert!(validate(&[manifest("n.yaml", bad_ns)]).is_err());
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9:/._%-]{0,70}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            let keys = prop_oneof![
                Just("apiVersion".to_owned()),
                Just("kind".to_owned()),
                Just("metadata".to_owned()),
                Just("name".to_owned()),
                Just("generateName".to_owned()),
                Just("namespace".to_owned()),
                "[a-z]{1,5}",
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(keys, inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_objects_never_panic(objects in proptest::collection::vec(arbitrary_json(), 0..8)) {
            let manifests: Vec<Manifest> = objects.into_iter().map(|o| manifest("f.yaml", o)).collect();
            let _ = validate(&manifests);
        }
    }
}
