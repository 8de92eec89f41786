//! Apply order: Flux's stages, Argo CD's kind order and sync waves.

use serde_json::Value;

use super::annotations::{annotation, SYNC_WAVE};
use super::{PlanError, Subject};

/// Argo CD's kind order within a phase and wave.
const KIND_ORDER: [&str; 29] = [
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

/// The kind's position in Argo CD's kind order (Namespace is 0); every unknown kind gets
/// the same rank, after all known ones.
pub fn kind_rank(kind: &str) -> usize {
    KIND_ORDER
        .iter()
        .position(|known| *known == kind)
        .unwrap_or(KIND_ORDER.len())
}

/// Flux's staged apply: each stage is applied (and its definitions are ready) before the
/// next. Ordered as applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// CustomResourceDefinitions, Namespaces and ClusterRoles.
    Definitions,
    /// `*Class` kinds: StorageClass, IngressClass, PriorityClass, RuntimeClass, ...
    Classes,
    /// Everything else.
    Rest,
}

/// The stage of a kind. Definitions are matched with their API group
/// (`apiextensions.k8s.io`, the core group, `rbac.authorization.k8s.io`); any kind whose
/// name ends in `Class` is a class, whatever its group.
pub fn stage_of(group: &str, kind: &str) -> Stage {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition")
        | ("", "Namespace")
        | ("rbac.authorization.k8s.io", "ClusterRole") => Stage::Definitions,
        _ if kind.ends_with("Class") => Stage::Classes,
        _ => Stage::Rest,
    }
}

/// The object's sync wave: its sync-wave annotation as a 32-bit integer (surrounding
/// spaces allowed), 0 when absent. Anything else is an error naming object and value.
pub fn sync_wave(object: &Value) -> Result<i32, PlanError> {
    let Some(value) = annotation(object, SYNC_WAVE) else {
        return Ok(0);
    };
    value
        .trim()
        .parse()
        .map_err(|_| PlanError::InvalidSyncWave {
            subject: Subject::of(object),
            value: value.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_wave(wave: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "shop",
                            "annotations": {"argocd.argoproj.io/sync-wave": wave}}})
    }

    #[test]
    fn kind_rank_follows_argocd_order() {
        assert_eq!(kind_rank("Namespace"), 0);
        assert!(kind_rank("ConfigMap") < kind_rank("Deployment"));
        assert!(kind_rank("CustomResourceDefinition") < kind_rank("ClusterRole"));
        assert_eq!(kind_rank("APIService"), 28);
    }

    #[test]
    fn unknown_kinds_rank_after_all_known() {
        assert_eq!(kind_rank("Certificate"), KIND_ORDER.len());
        assert_eq!(kind_rank("Widget"), kind_rank("Certificate"));
        assert_eq!(
            kind_rank("deployment"),
            KIND_ORDER.len(),
            "kinds are case-sensitive"
        );
    }

    #[test]
    fn stages_follow_flux() {
        let definitions = [
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("", "Namespace"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
        ];
        for (group, kind) in definitions {
            assert_eq!(stage_of(group, kind), Stage::Definitions, "{kind}");
        }
        let classes = [
            ("storage.k8s.io", "StorageClass"),
            ("networking.k8s.io", "IngressClass"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("node.k8s.io", "RuntimeClass"),
            ("gateway.networking.k8s.io", "GatewayClass"),
        ];
        for (group, kind) in classes {
            assert_eq!(stage_of(group, kind), Stage::Classes, "{kind}");
        }
        assert_eq!(
            stage_of("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            Stage::Rest
        );
        assert_eq!(stage_of("example.com", "Namespace"), Stage::Rest);
        assert_eq!(stage_of("apps", "Deployment"), Stage::Rest);
        assert!(Stage::Definitions < Stage::Classes && Stage::Classes < Stage::Rest);
    }

    #[test]
    fn wave_defaults_to_zero_and_reads_negative_numbers() {
        let plain = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        assert_eq!(sync_wave(&plain).unwrap(), 0);
        assert_eq!(sync_wave(&with_wave("-2")).unwrap(), -2);
        assert_eq!(sync_wave(&with_wave(" 3 ")).unwrap(), 3);
    }

    #[test]
    fn bad_wave_names_object_and_value() {
        for value in ["one", "1.5", "", "99999999999"] {
            let err = sync_wave(&with_wave(value)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("apps/Deployment:shop/web: sync wave {value:?} is not an integer")
            );
        }
    }
}
