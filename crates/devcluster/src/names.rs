//! Metadata rules kube-apiserver applies to every object: the shape of `metadata.name` per kind, and
//! of label keys and values, annotation keys and sizes, and finalizer names. Messages are
//! kube-apiserver's own wording (k8s.io/apimachinery/pkg/util/validation).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::field::{FieldError, FieldErrorKind};

const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const DNS1035_LABEL_MAX: usize = 63;
const QUALIFIED_NAME_MAX: usize = 63;
const LABEL_VALUE_MAX: usize = 63;
/// kube-apiserver's limit on the summed size of all annotation keys and values.
const TOTAL_ANNOTATION_SIZE: usize = 256 * 1024;
/// CronJob names leave room for the 11 characters of the Job name suffix.
const CRONJOB_NAME_MAX: usize = 52;

const DNS1123_LABEL_MESSAGE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MESSAGE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MESSAGE: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QUALIFIED_NAME_PART_MESSAGE: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED_NAME_MESSAGE: &str = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const LABEL_VALUE_MESSAGE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/// How the names of a kind are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameRule {
    /// RFC 1123 subdomain, at most 253 characters (most kinds, custom resources too).
    Dns1123Subdomain,
    /// RFC 1123 label, at most 63 characters (Namespace).
    Dns1123Label,
    /// RFC 1035 label, at most 63 characters (Service).
    Dns1035Label,
    /// Anything usable as a URL path segment (RBAC kinds).
    PathSegment,
    /// RFC 1123 subdomain of at most `max` characters (CronJob).
    ShortSubdomain(usize),
}

/// The kinds whose names are not plain DNS subdomains: (group, kind, rule).
const NAME_RULES: &[(&str, &str, NameRule)] = &[
    ("", "Namespace", NameRule::Dns1123Label),
    ("", "Service", NameRule::Dns1035Label),
    ("rbac.authorization.k8s.io", "Role", NameRule::PathSegment),
    (
        "rbac.authorization.k8s.io",
        "ClusterRole",
        NameRule::PathSegment,
    ),
    (
        "rbac.authorization.k8s.io",
        "RoleBinding",
        NameRule::PathSegment,
    ),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        NameRule::PathSegment,
    ),
    (
        "batch",
        "CronJob",
        NameRule::ShortSubdomain(CRONJOB_NAME_MAX),
    ),
];

fn name_rule(group: &str, kind: &str) -> NameRule {
    NAME_RULES
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map_or(NameRule::Dns1123Subdomain, |(_, _, rule)| *rule)
}

/// Validates metadata.name (or, with `is_prefix`, a generateName prefix) for this kind:
/// DNS-1123 subdomain for most kinds and for custom resources, DNS-1123 label for Namespace,
/// DNS-1035 label for Service, path-segment names for RBAC kinds (no "/" "%" "." ".."), and the
/// maximum lengths. An empty name is refused with "name or generateName is required". On failure
/// the message is kube-apiserver's wording (several problems joined by "; ").
pub fn validate_name(group: &str, kind: &str, name: &str, is_prefix: bool) -> Result<(), String> {
    if name.is_empty() && !is_prefix {
        return Err("name or generateName is required".to_string());
    }
    let problems = match name_rule(group, kind) {
        NameRule::PathSegment => path_segment_problems(name, is_prefix),
        rule => dns_problems(rule, &mask_trailing_dash(name, is_prefix)),
    };
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// A generateName prefix may end with '-': kube-apiserver checks it as if that were a letter.
fn mask_trailing_dash(name: &str, is_prefix: bool) -> Cow<'_, str> {
    match name.strip_suffix('-') {
        Some(stem) if is_prefix && !stem.is_empty() => Cow::Owned(format!("{stem}a")),
        _ => Cow::Borrowed(name),
    }
}

fn dns_problems(rule: NameRule, name: &str) -> Vec<String> {
    let (max, valid, message) = match rule {
        NameRule::Dns1123Label => (
            DNS1123_LABEL_MAX,
            is_dns1123_label(name),
            DNS1123_LABEL_MESSAGE,
        ),
        NameRule::Dns1035Label => (
            DNS1035_LABEL_MAX,
            is_dns1035_label(name),
            DNS1035_LABEL_MESSAGE,
        ),
        NameRule::ShortSubdomain(max) => {
            (max, is_dns1123_subdomain(name), DNS1123_SUBDOMAIN_MESSAGE)
        }
        NameRule::Dns1123Subdomain | NameRule::PathSegment => (
            DNS1123_SUBDOMAIN_MAX,
            is_dns1123_subdomain(name),
            DNS1123_SUBDOMAIN_MESSAGE,
        ),
    };
    let mut problems = Vec::new();
    if name.len() > max {
        problems.push(max_length_message(max));
    }
    if !valid {
        problems.push(message.to_string());
    }
    problems
}

/// The problems of an RFC 1123 label (at most 63 characters), in kube-apiserver's wording.
pub(crate) fn dns1123_label_problems(name: &str) -> Vec<String> {
    dns_problems(NameRule::Dns1123Label, name)
}

fn path_segment_problems(name: &str, is_prefix: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_prefix && (name == "." || name == "..") {
        problems.push(format!("may not be '{name}'"));
    }
    for forbidden in ["/", "%"] {
        if name.contains(forbidden) {
            problems.push(format!("may not contain '{forbidden}'"));
        }
    }
    problems
}

fn max_length_message(max: usize) -> String {
    format!("must be no more than {max} characters")
}

fn is_lower_alphanumeric(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

fn is_dns1123_label(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(is_lower_alphanumeric)
        && name.ends_with(is_lower_alphanumeric)
        && name.chars().all(|c| is_lower_alphanumeric(c) || c == '-')
}

fn is_dns1123_subdomain(name: &str) -> bool {
    name.split('.').all(is_dns1123_label)
}

fn is_dns1035_label(name: &str) -> bool {
    is_dns1123_label(name) && name.starts_with(|c: char| c.is_ascii_lowercase())
}

fn is_alphanumeric(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
fn is_name_part(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(is_alphanumeric)
        && name.ends_with(is_alphanumeric)
        && name
            .chars()
            .all(|c| is_alphanumeric(c) || matches!(c, '-' | '_' | '.'))
}

/// The problems of a qualified name (`[prefix/]name`): label keys, annotation keys, finalizers.
fn qualified_name_problems(value: &str) -> Vec<String> {
    let parts: Vec<&str> = value.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => return vec![QUALIFIED_NAME_MESSAGE.to_string()],
    };
    let mut problems = Vec::new();
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            problems.push("prefix part must be non-empty".to_string());
        } else {
            problems.extend(
                dns_problems(NameRule::Dns1123Subdomain, prefix)
                    .into_iter()
                    .map(|problem| format!("prefix part {problem}")),
            );
        }
    }
    if name.is_empty() {
        problems.push("name part must be non-empty".to_string());
    } else {
        if name.len() > QUALIFIED_NAME_MAX {
            problems.push(format!(
                "name part {}",
                max_length_message(QUALIFIED_NAME_MAX)
            ));
        }
        if !is_name_part(name) {
            problems.push(QUALIFIED_NAME_PART_MESSAGE.to_string());
        }
    }
    problems
}

fn label_value_problems(value: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        problems.push(max_length_message(LABEL_VALUE_MAX));
    }
    if !value.is_empty() && !is_name_part(value) {
        problems.push(LABEL_VALUE_MESSAGE.to_string());
    }
    problems
}

/// Label keys and values, annotation keys (qualified names; all annotations together at most
/// 256 KiB), finalizer names (qualified names) and owner references (apiVersion, kind, name and
/// uid set; at most one controller): one `FieldError` per problem, at `metadata.labels`,
/// `metadata.annotations`, `metadata.finalizers[i]` or `metadata.ownerReferences...` as
/// kube-apiserver reports them. Values of the wrong JSON type are left to the schema's type checks.
pub fn validate_metadata(metadata: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(labels) = metadata.get("labels").and_then(Value::as_object) {
        validate_labels(labels, &mut errors);
    }
    if let Some(annotations) = metadata.get("annotations").and_then(Value::as_object) {
        validate_annotations(annotations, &mut errors);
    }
    if let Some(finalizers) = metadata.get("finalizers").and_then(Value::as_array) {
        validate_finalizers(finalizers, &mut errors);
    }
    if let Some(references) = metadata.get("ownerReferences").and_then(Value::as_array) {
        validate_owner_references(references, &mut errors);
    }
    errors
}

fn invalid_each(field: &str, value: &str, problems: Vec<String>, errors: &mut Vec<FieldError>) {
    if problems.is_empty() {
        return;
    }
    let value = Value::String(value.to_string());
    for problem in problems {
        errors.push(FieldError::new(
            FieldErrorKind::Invalid,
            field,
            Some(&value),
            &problem,
        ));
    }
}

fn validate_labels(labels: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for (key, value) in labels {
        invalid_each("metadata.labels", key, qualified_name_problems(key), errors);
        if let Some(value) = value.as_str() {
            invalid_each(
                "metadata.labels",
                value,
                label_value_problems(value),
                errors,
            );
        }
    }
}

fn validate_annotations(annotations: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let mut total = 0;
    for (key, value) in annotations {
        let problems = qualified_name_problems(&key.to_lowercase());
        invalid_each("metadata.annotations", key, problems, errors);
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE {
        errors.push(FieldError::new(
            FieldErrorKind::TooLong,
            "metadata.annotations",
            None,
            &format!("may not be more than {TOTAL_ANNOTATION_SIZE} bytes"),
        ));
    }
}

fn validate_finalizers(finalizers: &[Value], errors: &mut Vec<FieldError>) {
    for (index, finalizer) in finalizers.iter().enumerate() {
        if let Some(name) = finalizer.as_str() {
            let field = format!("metadata.finalizers[{index}]");
            invalid_each(&field, name, qualified_name_problems(name), errors);
        }
    }
}

const OWNER_REFERENCES: &str = "metadata.ownerReferences";

/// kube-apiserver reports every owner reference problem at `metadata.ownerReferences.<field>`,
/// without the index.
fn validate_owner_references(references: &[Value], errors: &mut Vec<FieldError>) {
    let mut first_controller: Option<String> = None;
    for reference in references {
        validate_owner_reference(reference, errors);
        if reference.get("controller").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let text = |field| {
            reference
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let current = format!("{}/{}", text("kind"), text("name"));
        match &first_controller {
            Some(first) => errors.push(FieldError::new(
                FieldErrorKind::Invalid,
                OWNER_REFERENCES,
                Some(&Value::Array(references.to_vec())),
                &format!("Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"),
            )),
            None => first_controller = Some(current),
        }
    }
}

fn validate_owner_reference(reference: &Value, errors: &mut Vec<FieldError>) {
    let text = |field| {
        reference
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let checks = [
        (
            "apiVersion",
            api_version_has_version(text("apiVersion")),
            "version must not be empty",
        ),
        ("kind", !text("kind").is_empty(), "kind must not be empty"),
        ("name", !text("name").is_empty(), "name must not be empty"),
        ("uid", !text("uid").is_empty(), "uid must not be empty"),
    ];
    for (field, ok, message) in checks {
        if !ok {
            errors.push(FieldError::new(
                FieldErrorKind::Invalid,
                &format!("{OWNER_REFERENCES}.{field}"),
                Some(&Value::String(text(field).to_string())),
                message,
            ));
        }
    }
}

/// Whether an apiVersion (`v1`, `apps/v1`) parses as a group-version with a version.
fn api_version_has_version(api_version: &str) -> bool {
    match api_version.split('/').collect::<Vec<_>>().as_slice() {
        [version] => !version.is_empty(),
        [_, version] => !version.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn most_kinds_take_dns_subdomains() {
        assert_eq!(
            validate_name("apps", "Deployment", "web.v2-a", false),
            Ok(())
        );
        assert_eq!(validate_name("example.com", "Widget", "a.b", false), Ok(()));
        let error = validate_name("", "ConfigMap", "Web", false).unwrap_err();
        assert_eq!(error, DNS1123_SUBDOMAIN_MESSAGE);
        assert!(error.starts_with("a lowercase RFC 1123 subdomain must consist of"));
        let long = "a".repeat(254);
        assert_eq!(
            validate_name("", "ConfigMap", &long, false).unwrap_err(),
            "must be no more than 253 characters"
        );
        assert!(validate_name("", "ConfigMap", "a..b", false).is_err());
        assert!(validate_name("", "ConfigMap", "-a", false).is_err());
    }

    #[test]
    fn namespaces_take_labels_and_services_dns1035_labels() {
        assert_eq!(validate_name("", "Namespace", "team-1", false), Ok(()));
        assert_eq!(
            validate_name("", "Namespace", "a.b", false).unwrap_err(),
            DNS1123_LABEL_MESSAGE
        );
        assert_eq!(validate_name("", "Service", "web", false), Ok(()));
        assert_eq!(
            validate_name("", "Service", "1web", false).unwrap_err(),
            DNS1035_LABEL_MESSAGE
        );
        let long = "a".repeat(64);
        assert_eq!(
            validate_name("", "Service", &long, false).unwrap_err(),
            "must be no more than 63 characters"
        );
        assert!(validate_name("batch", "CronJob", &"a".repeat(53), false).is_err());
        assert!(validate_name("batch", "Job", &"a".repeat(53), false).is_ok());
    }

    #[test]
    fn rbac_names_are_path_segments() {
        let rbac = "rbac.authorization.k8s.io";
        assert_eq!(
            validate_name(rbac, "ClusterRole", "system:Admin", false),
            Ok(())
        );
        assert_eq!(
            validate_name(rbac, "Role", "a/b%c", false).unwrap_err(),
            "may not contain '/'; may not contain '%'"
        );
        assert_eq!(
            validate_name(rbac, "RoleBinding", "..", false).unwrap_err(),
            "may not be '..'"
        );
        assert_eq!(validate_name(rbac, "RoleBinding", "..", true), Ok(()));
    }

    #[test]
    fn empty_names_and_generate_name_prefixes() {
        assert_eq!(
            validate_name("", "ConfigMap", "", false).unwrap_err(),
            "name or generateName is required"
        );
        assert_eq!(validate_name("", "ConfigMap", "web-", true), Ok(()));
        assert!(validate_name("", "ConfigMap", "web-", false).is_err());
        assert!(validate_name("", "ConfigMap", "Web-", true).is_err());
    }

    fn messages(errors: &[FieldError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn label_keys_and_values_are_checked() {
        let metadata = json!({"labels": {
            "app": "web",
            "example.com/tier": "",
            "Bad Key": "x",
            "a/b/c": "x",
            "UPPER.example/x": "x",
            "ok": "-bad"
        }});
        let errors = validate_metadata(&metadata);
        assert_eq!(
            messages(&errors),
            vec![
                format!("metadata.labels: Invalid value: \"Bad Key\": {QUALIFIED_NAME_PART_MESSAGE}"),
                format!("metadata.labels: Invalid value: \"UPPER.example/x\": prefix part {DNS1123_SUBDOMAIN_MESSAGE}"),
                format!("metadata.labels: Invalid value: \"a/b/c\": {QUALIFIED_NAME_MESSAGE}"),
                format!("metadata.labels: Invalid value: \"-bad\": {LABEL_VALUE_MESSAGE}"),
            ]
        );
        assert!(errors.iter().all(|e| e.kind == FieldErrorKind::Invalid));
        let long_value = json!({"labels": {"a": "b".repeat(64)}});
        assert_eq!(
            validate_metadata(&long_value)[0].message,
            format!(
                "Invalid value: \"{}\": must be no more than 63 characters",
                "b".repeat(64)
            )
        );
    }

    #[test]
    fn annotations_are_qualified_names_within_256_kib() {
        let metadata = json!({"annotations": {"Example.com/Key": "ok", "bad key": "x"}});
        let errors = validate_metadata(&metadata);
        assert_eq!(
            messages(&errors),
            vec![format!(
                "metadata.annotations: Invalid value: \"bad key\": {QUALIFIED_NAME_PART_MESSAGE}"
            )]
        );
        let big = json!({"annotations": {"a": "x".repeat(TOTAL_ANNOTATION_SIZE)}});
        let errors = validate_metadata(&big);
        assert_eq!(
            messages(&errors),
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
        assert_eq!(errors[0].kind.cause_type(), "FieldValueTooLong");
    }

    #[test]
    fn finalizers_are_qualified_names() {
        let metadata =
            json!({"finalizers": ["kubernetes", "example.com/cleanup", "bad/fin/alizer"]});
        let errors = validate_metadata(&metadata);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "metadata.finalizers[2]");
    }

    #[test]
    fn owner_references_need_their_fields_and_one_controller_at_most() {
        let owner = |kind: &str, name: &str| json!({"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": "u-1", "controller": true});
        let valid = json!({"ownerReferences": [owner("ReplicaSet", "a"), {"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "uid": "u-2"}]});
        assert_eq!(validate_metadata(&valid), vec![]);
        let incomplete = json!({"ownerReferences": [{"apiVersion": "apps/", "kind": "ReplicaSet", "name": "", "uid": ""}]});
        assert_eq!(
            messages(&validate_metadata(&incomplete)),
            vec![
                r#"metadata.ownerReferences.apiVersion: Invalid value: "apps/": version must not be empty"#,
                r#"metadata.ownerReferences.name: Invalid value: "": name must not be empty"#,
                r#"metadata.ownerReferences.uid: Invalid value: "": uid must not be empty"#,
            ]
        );
        let two = json!({"ownerReferences": [owner("ReplicaSet", "a"), owner("Deployment", "b")]});
        let errors = validate_metadata(&two);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "metadata.ownerReferences");
        assert!(errors[0].message.ends_with(
            r#"Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and Deployment/b"#
        ));
    }
}
