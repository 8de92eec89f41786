//! What to prune after a sync, and in which order.

use std::collections::HashSet;

use super::order::{kind_rank, stage_of, Stage};
use crate::object_ref::ObjectRef;

/// `refs` in reverse apply order: the rest before classes before definitions; within a
/// stage the higher kind rank first (unknown kinds, such as custom resources, before
/// all known ones); ties by namespace, then name, ascending.
pub fn prune_order(mut refs: Vec<ObjectRef>) -> Vec<ObjectRef> {
    refs.sort_by(|a, b| {
        apply_rank(b)
            .cmp(&apply_rank(a))
            .then_with(|| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)))
    });
    refs
}

/// The inventory entries that no desired object matches, each once, in [`prune_order`].
/// Entries match on group, kind, namespace and name; the version is ignored, so an
/// object whose apiVersion changed is kept. Both lists must carry the namespaces the
/// objects are applied in.
pub fn prune_set(inventory: &[ObjectRef], desired: &[ObjectRef]) -> Vec<ObjectRef> {
    let mut seen: HashSet<Identity<'_>> = desired.iter().map(identity).collect();
    let orphans = inventory
        .iter()
        .filter(|entry| seen.insert(identity(entry)))
        .cloned()
        .collect();
    prune_order(orphans)
}

/// An object's identity across API versions: group, kind, namespace, name.
type Identity<'a> = (&'a str, &'a str, &'a str, &'a str);

fn identity(r: &ObjectRef) -> Identity<'_> {
    (&r.group, &r.kind, &r.namespace, &r.name)
}

/// Position in apply order: stage first, then kind rank.
fn apply_rank(r: &ObjectRef) -> (Stage, usize) {
    (stage_of(&r.group, &r.kind), kind_rank(&r.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(api_version: &str, kind: &str, namespace: &str, name: &str) -> ObjectRef {
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        ObjectRef {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    fn names(refs: &[ObjectRef]) -> Vec<String> {
        refs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn prune_order_reverses_apply_order() {
        let refs = vec![
            r("v1", "Namespace", "", "shop"),
            r(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                "",
                "widgets.example.com",
            ),
            r("storage.k8s.io/v1", "StorageClass", "", "fast"),
            r("v1", "ConfigMap", "shop", "b"),
            r("v1", "ConfigMap", "shop", "a"),
            r("apps/v1", "Deployment", "shop", "web"),
            r("example.com/v1", "Widget", "shop", "w"),
            r("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader"),
        ];
        assert_eq!(
            names(&prune_order(refs)),
            [
                "example.com/Widget:shop/w",
                "apps/Deployment:shop/web",
                "/ConfigMap:shop/a",
                "/ConfigMap:shop/b",
                "storage.k8s.io/StorageClass:/fast",
                "rbac.authorization.k8s.io/ClusterRole:/reader",
                "apiextensions.k8s.io/CustomResourceDefinition:/widgets.example.com",
                "/Namespace:/shop",
            ]
        );
    }

    #[test]
    fn prune_set_ignores_version_and_orders_in_reverse() {
        let inventory = [
            r("v1", "Namespace", "", "old"),
            r("autoscaling/v1", "HorizontalPodAutoscaler", "shop", "web"),
            r("v1", "Service", "shop", "web"),
            r("v1", "ConfigMap", "shop", "legacy"),
            r("apps/v1", "Deployment", "shop", "legacy"),
        ];
        let desired = [
            r("autoscaling/v2", "HorizontalPodAutoscaler", "shop", "web"),
            r("v1", "Service", "shop", "web"),
        ];
        assert_eq!(
            names(&prune_set(&inventory, &desired)),
            [
                "apps/Deployment:shop/legacy",
                "/ConfigMap:shop/legacy",
                "/Namespace:/old",
            ]
        );
    }

    #[test]
    fn prune_set_keys_on_group_kind_namespace_and_name() {
        let inventory = [
            r("v1", "ConfigMap", "other", "web"),
            r("v1", "Secret", "shop", "web"),
            r("example.com/v1", "Service", "shop", "web"),
            r("v1", "Service", "shop", "web"),
        ];
        let desired = [r("v1", "Service", "shop", "web")];
        assert_eq!(
            names(&prune_set(&inventory, &desired)),
            [
                "example.com/Service:shop/web",
                "/ConfigMap:other/web",
                "/Secret:shop/web",
            ]
        );
    }

    #[test]
    fn prune_set_lists_an_object_once() {
        let inventory = [
            r("apps/v1beta1", "Deployment", "shop", "old"),
            r("apps/v1", "Deployment", "shop", "old"),
        ];
        assert_eq!(prune_set(&inventory, &[]), [inventory[0].clone()]);
        assert!(prune_set(&inventory, &inventory).is_empty());
    }
}
