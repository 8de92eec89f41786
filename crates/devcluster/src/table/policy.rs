//! The computed cells of cluster-policy kinds: RBAC bindings, PodDisruptionBudgets, NetworkPolicies,
//! StorageClasses, IngressClasses.

use serde_json::{json, Value};

use super::cells::{label_selector, str_of, Cx};

/// A binding's role: `Kind/name`.
pub fn binding_role(cx: &Cx) -> Value {
    json!(format!(
        "{}/{}",
        cx.text("/roleRef/kind"),
        cx.text("/roleRef/name")
    ))
}

/// The subjects of a binding of one kind, comma-separated (service accounts as `namespace/name`).
fn subjects(cx: &Cx, kind: &str) -> Value {
    let names: Vec<String> = cx
        .list("/subjects")
        .iter()
        .filter(|s| str_of(s, "kind") == kind)
        .map(|s| match kind {
            "ServiceAccount" => format!("{}/{}", str_of(s, "namespace"), str_of(s, "name")),
            _ => str_of(s, "name").to_string(),
        })
        .collect();
    json!(names.join(", "))
}

/// A binding's users.
pub fn binding_users(cx: &Cx) -> Value {
    subjects(cx, "User")
}

/// A binding's groups.
pub fn binding_groups(cx: &Cx) -> Value {
    subjects(cx, "Group")
}

/// A binding's service accounts.
pub fn binding_service_accounts(cx: &Cx) -> Value {
    subjects(cx, "ServiceAccount")
}

/// An int-or-string field as text, `N/A` when absent.
fn int_or_string(cx: &Cx, pointer: &str) -> Value {
    json!(match cx.get(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "N/A".to_string(),
    })
}

/// A PodDisruptionBudget's `minAvailable`.
pub fn min_available(cx: &Cx) -> Value {
    int_or_string(cx, "/spec/minAvailable")
}

/// A PodDisruptionBudget's `maxUnavailable`.
pub fn max_unavailable(cx: &Cx) -> Value {
    int_or_string(cx, "/spec/maxUnavailable")
}

/// A NetworkPolicy's pod selector.
pub fn pod_selector(cx: &Cx) -> Value {
    json!(label_selector(cx.get("/spec/podSelector")))
}

/// A StorageClass's name, marked `(default)` when annotated as the default class.
pub fn storage_class_name(cx: &Cx) -> Value {
    let name = cx.text("/metadata/name");
    let annotations = [
        "storageclass.kubernetes.io",
        "storageclass.beta.kubernetes.io",
    ];
    let default = annotations.iter().any(|prefix| {
        cx.get("/metadata/annotations")
            .and_then(|a| a.get(format!("{prefix}/is-default-class")))
            .and_then(Value::as_str)
            == Some("true")
    });
    json!(if default {
        format!("{name} (default)")
    } else {
        name.to_string()
    })
}

/// A StorageClass's `allowVolumeExpansion` (false when absent).
pub fn allow_volume_expansion(cx: &Cx) -> Value {
    json!(cx
        .get("/allowVolumeExpansion")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// An IngressClass's parameters: `Kind.group/name`, `<none>` without.
pub fn ingress_class_parameters(cx: &Cx) -> Value {
    let Some(parameters) = cx.get("/spec/parameters") else {
        return json!("<none>");
    };
    let kind = str_of(parameters, "kind");
    let name = str_of(parameters, "name");
    json!(match str_of(parameters, "apiGroup") {
        "" => format!("{kind}/{name}"),
        group => format!("{kind}.{group}/{name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(object: &Value) -> Cx<'_> {
        Cx {
            object,
            now: "2026-11-25T12:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn bindings_print_role_and_subjects() {
        let binding = json!({
            "roleRef": {"kind": "ClusterRole", "name": "view"},
            "subjects": [
                {"kind": "User", "name": "ana"}, {"kind": "User", "name": "bo"},
                {"kind": "Group", "name": "devs"},
                {"kind": "ServiceAccount", "name": "ci", "namespace": "build"}
            ]
        });
        let cx = cx(&binding);
        assert_eq!(binding_role(&cx), "ClusterRole/view");
        assert_eq!(binding_users(&cx), "ana, bo");
        assert_eq!(binding_groups(&cx), "devs");
        assert_eq!(binding_service_accounts(&cx), "build/ci");
    }

    #[test]
    fn budgets_selectors_and_classes() {
        let pdb = json!({"spec": {"minAvailable": "50%"}});
        assert_eq!(min_available(&cx(&pdb)), "50%");
        assert_eq!(max_unavailable(&cx(&pdb)), "N/A");
        let pdb = json!({"spec": {"maxUnavailable": 1}});
        assert_eq!(max_unavailable(&cx(&pdb)), "1");
        let policy = json!({"spec": {"podSelector": {"matchLabels": {"app": "db"}}}});
        assert_eq!(pod_selector(&cx(&policy)), "app=db");
        assert_eq!(
            pod_selector(&cx(&json!({"spec": {"podSelector": {}}}))),
            "<none>"
        );
        let class = json!({"metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}});
        assert_eq!(storage_class_name(&cx(&class)), "fast (default)");
        assert_eq!(allow_volume_expansion(&cx(&class)), false);
        assert_eq!(
            storage_class_name(&cx(&json!({"metadata": {"name": "slow"}}))),
            "slow"
        );
        let ingress_class = json!({"spec": {"parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external"}}});
        assert_eq!(
            ingress_class_parameters(&cx(&ingress_class)),
            "IngressParameters.k8s.example.com/external"
        );
        assert_eq!(ingress_class_parameters(&cx(&json!({}))), "<none>");
    }

    #[test]
    fn policy_kinds_have_their_columns() {
        let names = |group: &str, kind: &str| -> Vec<String> {
            crate::table::columns::builtin(group, kind)
                .iter()
                .map(|c| c.definition()["name"].as_str().unwrap().to_string())
                .collect()
        };
        let rbac = "rbac.authorization.k8s.io";
        assert_eq!(
            names(rbac, "ClusterRoleBinding"),
            ["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]
        );
        assert_eq!(
            names("policy", "PodDisruptionBudget"),
            [
                "Name",
                "Min Available",
                "Max Unavailable",
                "Allowed Disruptions",
                "Age"
            ]
        );
        assert_eq!(
            names("networking.k8s.io", "NetworkPolicy"),
            ["Name", "Pod-Selector", "Age"]
        );
        assert_eq!(
            names("networking.k8s.io", "IngressClass"),
            ["Name", "Controller", "Parameters", "Age"]
        );
        assert_eq!(
            names("storage.k8s.io", "StorageClass"),
            [
                "Name",
                "Provisioner",
                "ReclaimPolicy",
                "VolumeBindingMode",
                "AllowVolumeExpansion",
                "Age"
            ]
        );
        assert_eq!(
            names(
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
            ),
            ["Name", "Webhooks", "Age"]
        );
        let class = json!({"metadata": {"name": "std"}, "provisioner": "example.com/disk"});
        let cx = cx(&class);
        let cells: Vec<Value> = crate::table::columns::builtin("storage.k8s.io", "StorageClass")
            .iter()
            .take(5)
            .map(|c| c.cell(&cx))
            .collect();
        assert_eq!(
            cells,
            [
                json!("std"),
                json!("example.com/disk"),
                json!("Delete"),
                json!("Immediate"),
                json!(false)
            ]
        );
    }
}
