//! The registry of resource types the server serves: the built-in kinds and those that CustomResourceDefinitions
//! add. Discovery, routing, validation and storage all look types up here.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// One served resource type in one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// API group, "" for the core group.
    pub group: String,
    /// Version served at (`v1`, `v1beta1`, ...).
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Lower-case plural used in URLs.
    pub plural: String,
    /// Lower-case singular name.
    pub singular: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names for kubectl (`deploy`, `cm`).
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Whether the `/status` subresource exists (the main endpoint then ignores status).
    pub status: bool,
    /// The `/scale` subresource, when the type has one.
    pub scale: Option<ScalePaths>,
    /// Whether this is the version objects are stored in (every built-in; one version per CRD).
    pub storage: bool,
    /// Printer columns declared by a CRD (`additionalPrinterColumns`), kept for table output.
    pub printer_columns: Vec<Value>,
    /// Whether a CRD declared this type (as opposed to a built-in).
    pub custom: bool,
}

/// Where the `/scale` subresource reads and writes replicas, as JSON paths like `.spec.replicas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    /// Desired replicas.
    pub spec_replicas: String,
    /// Observed replicas.
    pub status_replicas: String,
    /// Label selector in status, when declared.
    pub label_selector: Option<String>,
}

impl ResourceType {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The storage key of the resource, shared by every version: (group, plural).
    pub fn resource_key(&self) -> ResourceKey {
        ResourceKey {
            group: self.group.clone(),
            plural: self.plural.clone(),
        }
    }

    /// The kind of this type's list objects (`DeploymentList`).
    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// The verbs discovery reports for this type.
    pub fn verbs(&self) -> Vec<&'static str> {
        vec![
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// Identifies a resource across its versions: objects of all versions live under one key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    /// API group.
    pub group: String,
    /// Plural name.
    pub plural: String,
}

impl ResourceKey {
    /// The key of the resource `plural` in `group`.
    pub fn new(group: &str, plural: &str) -> Self {
        ResourceKey {
            group: group.to_string(),
            plural: plural.to_string(),
        }
    }

    /// Namespaces.
    pub fn namespaces() -> Self {
        Self::new("", "namespaces")
    }

    /// Services.
    pub fn services() -> Self {
        Self::new("", "services")
    }

    /// CustomResourceDefinitions.
    pub fn crds() -> Self {
        Self::new("apiextensions.k8s.io", "customresourcedefinitions")
    }
}

/// All served types, indexed for routing and discovery.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_path: BTreeMap<(String, String, String), Arc<ResourceType>>,
    generation: u64,
}

impl Registry {
    /// A registry with the built-in kinds.
    pub fn builtin() -> Self {
        let mut registry = Registry::default();
        for spec in BUILTINS {
            registry.insert(builtin_type(spec));
        }
        registry
    }

    /// Adds or replaces a type (keyed by group, version and plural).
    pub fn insert(&mut self, rt: ResourceType) {
        self.generation += 1;
        self.by_path.insert(
            (rt.group.clone(), rt.version.clone(), rt.plural.clone()),
            Arc::new(rt),
        );
    }

    /// Removes every version of the resource (group, plural); returns the removed types.
    pub fn remove_resource(&mut self, key: &ResourceKey) -> Vec<Arc<ResourceType>> {
        self.generation += 1;
        let gone: Vec<_> = self
            .by_path
            .iter()
            .filter(|((g, _, p), _)| *g == key.group && *p == key.plural)
            .map(|(k, _)| k.clone())
            .collect();
        gone.iter().filter_map(|k| self.by_path.remove(k)).collect()
    }

    /// Changes whenever a type is added or removed (documents derived from the registry are cached by it).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The type served at /apis/{group}/{version}/{plural}.
    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.by_path
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .cloned()
    }

    /// The type of kind `kind` in group-version `group/version`.
    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        self.by_path
            .values()
            .find(|rt| rt.group == group && rt.version == version && rt.kind == kind)
            .cloned()
    }

    /// The storage version of a resource.
    pub fn storage_type(&self, key: &ResourceKey) -> Option<Arc<ResourceType>> {
        self.by_path
            .values()
            .find(|rt| rt.group == key.group && rt.plural == key.plural && rt.storage)
            .cloned()
    }

    /// Every served type, ordered by group, version and plural.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.by_path.values()
    }

    /// The types served in one group-version.
    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ResourceType>> + 'a {
        self.by_path
            .values()
            .filter(move |rt| rt.group == group && rt.version == version)
    }

    /// Served groups (without the core group) with their versions, preferred version first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rt in self.by_path.values().filter(|rt| !rt.group.is_empty()) {
            let versions = groups.entry(rt.group.clone()).or_default();
            if !versions.contains(&rt.version) {
                versions.push(rt.version.clone());
            }
        }
        let mut out: Vec<(String, Vec<String>)> = groups.into_iter().collect();
        for (_, versions) in out.iter_mut() {
            versions.sort_by(|a, b| compare_versions(b, a));
        }
        out.sort_by_key(|(g, _)| group_order(g));
        out
    }
}

/// Orders API versions as Kubernetes does: GA > beta > alpha, then by number.
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    version_rank(a).cmp(&version_rank(b))
}

fn version_rank(v: &str) -> (u8, u32, u32) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major: u32 = digits.parse().unwrap_or(0);
    let tail = &rest[digits.len()..];
    let (stage, minor_text) = if let Some(t) = tail.strip_prefix("beta") {
        (2, t)
    } else if let Some(t) = tail.strip_prefix("alpha") {
        (1, t)
    } else if tail.is_empty() {
        (3, "")
    } else {
        (0, "")
    };
    (stage, major, minor_text.parse().unwrap_or(0))
}

/// Built-in groups first (in kube-apiserver's order), then custom groups by name.
fn group_order(group: &str) -> (usize, String) {
    let position = BUILTIN_GROUP_ORDER
        .iter()
        .position(|g| *g == group)
        .unwrap_or(BUILTIN_GROUP_ORDER.len());
    (position, group.to_string())
}

const BUILTIN_GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
];

/// A row of the built-in table: group, version, kind, plural, namespaced, short names, status, scale.
struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    all: bool,
    status: bool,
    scale: bool,
}

const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    flags: (bool, bool, bool),
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        namespaced,
        short,
        all: flags.0,
        status: flags.1,
        scale: flags.2,
    }
}

// flags: (in category "all", has /status, has /scale)
#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    b("", "v1", "Namespace", "namespaces", false, &["ns"], (false, true, false)),
    b("", "v1", "ConfigMap", "configmaps", true, &["cm"], (false, false, false)),
    b("", "v1", "Secret", "secrets", true, &[], (false, false, false)),
    b("", "v1", "Service", "services", true, &["svc"], (true, true, false)),
    b("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"], (false, false, false)),
    b("", "v1", "Pod", "pods", true, &["po"], (true, true, false)),
    b("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, &["pvc"], (false, true, false)),
    b("", "v1", "PersistentVolume", "persistentvolumes", false, &["pv"], (false, true, false)),
    b("", "v1", "Endpoints", "endpoints", true, &["ep"], (false, false, false)),
    b("", "v1", "Event", "events", true, &["ev"], (false, false, false)),
    b("", "v1", "LimitRange", "limitranges", true, &["limits"], (false, false, false)),
    b("", "v1", "ResourceQuota", "resourcequotas", true, &["quota"], (false, true, false)),
    b("apps", "v1", "Deployment", "deployments", true, &["deploy"], (true, true, true)),
    b("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"], (true, true, true)),
    b("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"], (true, true, false)),
    b("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"], (true, true, true)),
    b("batch", "v1", "Job", "jobs", true, &[], (true, true, false)),
    b("batch", "v1", "CronJob", "cronjobs", true, &["cj"], (true, true, false)),
    b("networking.k8s.io", "v1", "Ingress", "ingresses", true, &["ing"], (false, true, false)),
    b("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, &[], (false, false, false)),
    b("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, &["netpol"], (false, false, false)),
    b("rbac.authorization.k8s.io", "v1", "Role", "roles", true, &[], (false, false, false)),
    b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, &[], (false, false, false)),
    b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, &[], (false, false, false)),
    b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, &[], (false, false, false)),
    b("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, &["crd", "crds"], (false, true, false)),
    b("coordination.k8s.io", "v1", "Lease", "leases", true, &[], (false, false, false)),
    b("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, &["pdb"], (false, true, false)),
    b("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, &["hpa"], (true, true, false)),
    b("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, &["sc"], (false, false, false)),
    b("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, &[], (false, false, false)),
    b("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, &[], (false, false, false)),
    b("events.k8s.io", "v1", "Event", "events", true, &["ev"], (false, false, false)),
];

fn builtin_type(spec: &Builtin) -> ResourceType {
    ResourceType {
        group: spec.group.to_string(),
        version: spec.version.to_string(),
        kind: spec.kind.to_string(),
        plural: spec.plural.to_string(),
        singular: spec.kind.to_lowercase(),
        namespaced: spec.namespaced,
        short_names: spec.short.iter().map(|s| s.to_string()).collect(),
        categories: if spec.all {
            vec!["all".to_string()]
        } else {
            Vec::new()
        },
        status: spec.status,
        scale: spec.scale.then(|| ScalePaths {
            spec_replicas: ".spec.replicas".to_string(),
            status_replicas: ".status.replicas".to_string(),
            label_selector: Some(".status.selector".to_string()),
        }),
        storage: true,
        printer_columns: Vec::new(),
        custom: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_registry_resolves_plural_and_kind() {
        let r = Registry::builtin();
        let d = r.by_plural("apps", "v1", "deployments").unwrap();
        assert_eq!(d.kind, "Deployment");
        assert!(d.namespaced && d.status && d.scale.is_some());
        assert_eq!(
            r.by_kind("", "v1", "Namespace").unwrap().plural,
            "namespaces"
        );
        assert!(!r.by_kind("", "v1", "Namespace").unwrap().namespaced);
    }

    #[test]
    fn versions_order_ga_beta_alpha() {
        let mut v = vec!["v1alpha1", "v2", "v1beta2", "v1", "v1beta1"];
        v.sort_by(|a, b| compare_versions(b, a));
        assert_eq!(v, vec!["v2", "v1", "v1beta2", "v1beta1", "v1alpha1"]);
    }
}
