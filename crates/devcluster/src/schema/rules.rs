//! Rules kube-apiserver enforces on built-in types in code, which their OpenAPI schemas do not
//! state. Kept as one table keyed by definition name, so that a rule on `Container` applies to
//! every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).

use std::collections::HashSet;

use serde_json::Value;

use crate::field::{FieldError, FieldErrorKind};

/// One rule of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuiltinRule {
    /// The field must be present and not null.
    Required(&'static str),
    /// The field may be left out although the OpenAPI schema lists it as required (Go decodes it
    /// as an empty struct and kube-apiserver accepts that).
    NotRequired(&'static str),
    /// `selector` must be non-empty and match `template.metadata.labels` (`workload` names the
    /// kind in the message).
    SelectorMatchesTemplateLabels { workload: &'static str },
    /// Field `field`, when set, must be one of `values`.
    OneOf {
        field: &'static str,
        values: &'static [&'static str],
    },
    /// No two elements of list `list` may share the value of `key`.
    UniqueKey {
        list: &'static str,
        key: &'static str,
    },
    /// Field `field`, when set, must be an RFC 1123 label (container and volume names).
    DnsLabel(&'static str),
    /// Field `field`, when an integer, must be a port number (1-65535).
    PortNumber(&'static str),
    /// Like `PortNumber`, but 0 means "unset" (a Service's targetPort then defaults to its port).
    PortNumberOrZero(&'static str),
    /// The keys of map `field` must be valid config keys (ConfigMap and Secret data).
    ConfigKeys(&'static str),
}

use BuiltinRule::{
    ConfigKeys, DnsLabel, NotRequired, OneOf, PortNumber, PortNumberOrZero, Required,
    SelectorMatchesTemplateLabels, UniqueKey,
};

const CONFIG_KEY_MAX: usize = 253;
const CONFIG_KEY_MESSAGE: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// The rules of a workload spec with a selector and a pod template.
macro_rules! workload_spec {
    ($workload:literal) => {
        &[
            Required("selector"),
            Required("template"),
            SelectorMatchesTemplateLabels {
                workload: $workload,
            },
        ]
    };
}

/// The table: definition name -> rules checked on every value of that definition.
const RULES: &[(&str, &[BuiltinRule])] = &[
    (
        "io.k8s.api.core.v1.Container",
        &[
            Required("name"),
            Required("image"),
            DnsLabel("name"),
            OneOf {
                field: "imagePullPolicy",
                values: &["Always", "IfNotPresent", "Never"],
            },
        ],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        &[
            PortNumber("containerPort"),
            OneOf {
                field: "protocol",
                values: PROTOCOLS,
            },
        ],
    ),
    ("io.k8s.api.core.v1.Volume", &[DnsLabel("name")]),
    (
        "io.k8s.api.core.v1.ConfigMap",
        &[ConfigKeys("data"), ConfigKeys("binaryData")],
    ),
    (
        "io.k8s.api.core.v1.Secret",
        &[ConfigKeys("data"), ConfigKeys("stringData")],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        &[
            Required("containers"),
            OneOf {
                field: "restartPolicy",
                values: &["Always", "Never", "OnFailure"],
            },
            OneOf {
                field: "dnsPolicy",
                values: &["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"],
            },
            UniqueKey {
                list: "containers",
                key: "name",
            },
            UniqueKey {
                list: "initContainers",
                key: "name",
            },
            UniqueKey {
                list: "volumes",
                key: "name",
            },
        ],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentSpec",
        workload_spec!("deployment"),
    ),
    (
        "io.k8s.api.apps.v1.ReplicaSetSpec",
        workload_spec!("replicaset"),
    ),
    (
        "io.k8s.api.apps.v1.StatefulSetSpec",
        workload_spec!("statefulset"),
    ),
    (
        "io.k8s.api.apps.v1.DaemonSetSpec",
        workload_spec!("daemonset"),
    ),
    ("io.k8s.api.batch.v1.JobSpec", &[Required("template")]),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        &[Required("schedule"), Required("jobTemplate")],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        &[OneOf {
            field: "type",
            values: &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
        }],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        &[
            Required("port"),
            PortNumber("port"),
            PortNumberOrZero("targetPort"),
            OneOf {
                field: "protocol",
                values: PROTOCOLS,
            },
        ],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        &[OneOf {
            field: "type",
            values: &["Recreate", "RollingUpdate"],
        }],
    ),
    ("io.k8s.api.rbac.v1.PolicyRule", &[Required("verbs")]),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        &[NotRequired("podSelector")],
    ),
    ("io.k8s.api.rbac.v1.RoleBinding", &[Required("roleRef")]),
    (
        "io.k8s.api.rbac.v1.ClusterRoleBinding",
        &[Required("roleRef")],
    ),
];

/// The rules of the named definition (none for anything else).
pub(crate) fn rules_of(definition: &str) -> &'static [BuiltinRule] {
    RULES
        .iter()
        .find(|(name, _)| *name == definition)
        .map_or(&[], |(_, rules)| *rules)
}

/// Checks the rules that are not plain required fields against `value`, found at `path`.
pub(crate) fn check(rule: BuiltinRule, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    match rule {
        Required(_) | NotRequired(_) => {}
        SelectorMatchesTemplateLabels { workload } => check_selector(value, workload, path, errors),
        OneOf { field, values } => check_one_of(value, field, values, path, errors),
        UniqueKey { list, key } => check_unique_key(value, list, key, path, errors),
        DnsLabel(field) => check_dns_label(value, field, path, errors),
        PortNumber(field) => check_port_number(value, field, false, path, errors),
        PortNumberOrZero(field) => check_port_number(value, field, true, path, errors),
        ConfigKeys(field) => check_config_keys(value, field, path, errors),
    }
}

fn child_path(path: &str, suffix: &str) -> String {
    if path.is_empty() {
        suffix.to_string()
    } else {
        format!("{path}.{suffix}")
    }
}

fn check_selector(spec: &Value, workload: &str, path: &str, errors: &mut Vec<FieldError>) {
    let (Some(selector), Some(template)) = (spec.get("selector"), spec.get("template")) else {
        return;
    };
    if !selector.is_object() || !template.is_object() {
        return;
    }
    if is_empty_selector(selector) {
        errors.push(FieldError::new(
            FieldErrorKind::Invalid,
            &child_path(path, "selector"),
            Some(selector),
            &format!("empty selector is invalid for {workload}"),
        ));
        return;
    }
    let labels = template.pointer("/metadata/labels");
    if !selector_matches(selector, labels) {
        let shown = labels.cloned().unwrap_or(Value::Object(Default::default()));
        errors.push(FieldError::new(
            FieldErrorKind::Invalid,
            &child_path(path, "template.metadata.labels"),
            Some(&shown),
            "`selector` does not match template `labels`",
        ));
    }
}

fn is_empty_selector(selector: &Value) -> bool {
    let empty = |field: &str| {
        selector.get(field).is_none_or(|value| match value {
            Value::Object(map) => map.is_empty(),
            Value::Array(list) => list.is_empty(),
            _ => value.is_null(),
        })
    };
    empty("matchLabels") && empty("matchExpressions")
}

/// Whether a LabelSelector (matchLabels and matchExpressions) selects these labels.
fn selector_matches(selector: &Value, labels: Option<&Value>) -> bool {
    let label = |key: &str| {
        labels
            .and_then(|labels| labels.get(key))
            .and_then(Value::as_str)
    };
    let match_labels = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .all(|(key, wanted)| label(key).is_some_and(|have| Some(have) == wanted.as_str()));
    let match_expressions = selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .all(|requirement| requirement_matches(requirement, &label));
    match_labels && match_expressions
}

fn requirement_matches<'v>(requirement: &Value, label: &dyn Fn(&str) -> Option<&'v str>) -> bool {
    let key = requirement
        .get("key")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let values: Vec<&str> = requirement
        .get("values")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let have = label(key);
    match requirement.get("operator").and_then(Value::as_str) {
        Some("In") => have.is_some_and(|have| values.contains(&have)),
        Some("NotIn") => have.is_none_or(|have| !values.contains(&have)),
        Some("Exists") => have.is_some(),
        Some("DoesNotExist") => have.is_none(),
        _ => false,
    }
}

fn check_one_of(
    value: &Value,
    field: &str,
    values: &[&str],
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let Some(actual) = value
        .get(field)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    if !values.contains(&actual) {
        let supported: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        errors.push(FieldError::new(
            FieldErrorKind::NotSupported,
            &child_path(path, field),
            value.get(field),
            &format!("supported values: {}", supported.join(", ")),
        ));
    }
}

fn check_unique_key(
    value: &Value,
    list: &str,
    key: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let Some(items) = value.get(list).and_then(Value::as_array) else {
        return;
    };
    let mut seen = HashSet::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let Some(name) = item.get(key).and_then(Value::as_str) else {
            continue;
        };
        if !seen.insert(name) {
            errors.push(FieldError::new(
                FieldErrorKind::Duplicate,
                &child_path(path, &format!("{list}[{index}].{key}")),
                item.get(key),
                "",
            ));
        }
    }
}

fn check_dns_label(value: &Value, field: &str, path: &str, errors: &mut Vec<FieldError>) {
    let Some(name) = value
        .get(field)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    let field_path = child_path(path, field);
    for problem in crate::names::dns1123_label_problems(name) {
        errors.push(FieldError::new(
            FieldErrorKind::Invalid,
            &field_path,
            value.get(field),
            &problem,
        ));
    }
}

fn check_port_number(
    value: &Value,
    field: &str,
    zero_is_unset: bool,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let Some(port) = value.get(field).filter(|v| v.is_number()) else {
        return;
    };
    let lowest = if zero_is_unset { 0 } else { 1 };
    if !port.as_i64().is_some_and(|p| (lowest..=65535).contains(&p)) {
        errors.push(FieldError::new(
            FieldErrorKind::Invalid,
            &child_path(path, field),
            Some(port),
            "must be between 1 and 65535, inclusive",
        ));
    }
}

fn check_config_keys(value: &Value, field: &str, path: &str, errors: &mut Vec<FieldError>) {
    let Some(map) = value.get(field).and_then(Value::as_object) else {
        return;
    };
    for key in map.keys() {
        let key_path = format!("{}[{key}]", child_path(path, field));
        let shown = Value::String(key.clone());
        for problem in config_key_problems(key) {
            errors.push(FieldError::new(
                FieldErrorKind::Invalid,
                &key_path,
                Some(&shown),
                problem,
            ));
        }
    }
}

fn config_key_problems(key: &str) -> Vec<&'static str> {
    let mut problems = Vec::new();
    if key.len() > CONFIG_KEY_MAX {
        problems.push("must be no more than 253 characters");
    }
    let valid_characters = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid_characters {
        problems.push(CONFIG_KEY_MESSAGE);
    }
    match key {
        "." => problems.push("must not be '.'"),
        ".." => problems.push("must not be '..'"),
        _ if key.starts_with("..") => problems.push("must not start with '..'"),
        _ => {}
    }
    problems
}
