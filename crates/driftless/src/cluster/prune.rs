//! Pruning: deleting, in reverse apply order, the objects of the inventory that Git no longer
//! declares, when their tracking id proves they are ours and no `Prune=false` protects them.

use driftless_core::plan::{self, PropagationPolicy, SyncOptions};
use driftless_core::tracking;
use driftless_core::{Action, ChangeSet, ObjectRef};
use kube::api::PropagationPolicy as KubePropagation;

use super::live::Live;
use super::{Deleted, ResourceManager};

/// The app a prune works for, and whether deleting is allowed at all.
pub struct PruneScope<'a> {
    /// The Application's namespace.
    pub app_namespace: &'a str,
    /// The Application's name.
    pub app_name: &'a str,
    /// The Application's sync options (propagation policy, and the default for Prune).
    pub options: &'a SyncOptions,
    /// False when pruning is off: candidates are reported as skipped.
    pub enabled: bool,
}

impl ResourceManager {
    /// Prunes `candidates` (inventory entries no longer desired) in reverse apply order. Returns
    /// the ChangeSet and the candidates that must stay in the inventory (not deleted, still ours).
    pub async fn prune(
        &self,
        candidates: Vec<ObjectRef>,
        live: &mut Live,
        scope: &PruneScope<'_>,
    ) -> (ChangeSet, Vec<ObjectRef>) {
        let mut changes = ChangeSet::default();
        let mut kept = Vec::new();
        for object in plan::prune_order(candidates) {
            let Some(current) = live.get(&object) else {
                continue;
            };
            if !tracking::is_owned_by(current, scope.app_namespace, scope.app_name, &object) {
                changes.push(
                    object,
                    Action::Skipped,
                    "its tracking id names another owner; left in place",
                );
                continue;
            }
            let protected = match scope.options.for_object(current) {
                Ok(options) => !options.prune,
                Err(error) => {
                    changes.push(object.clone(), Action::Failed, error.to_string());
                    kept.push(object);
                    continue;
                }
            };
            if protected {
                changes.push(
                    object.clone(),
                    Action::Skipped,
                    "Prune=false: kept although Git no longer declares it",
                );
                kept.push(object);
                continue;
            }
            if !scope.enabled {
                changes.push(
                    object.clone(),
                    Action::Skipped,
                    "no longer in Git; pruning is off",
                );
                kept.push(object);
                continue;
            }
            match self
                .delete(&object, propagation(scope.options.prune_propagation))
                .await
            {
                Ok(Deleted::Gone) | Ok(Deleted::Pending) => {
                    live.set(&object, None);
                    changes.push(object, Action::Pruned, "");
                }
                Err(error) => {
                    changes.push(object.clone(), Action::Failed, error.to_string());
                    kept.push(object);
                }
            }
        }
        (changes, kept)
    }
}

fn propagation(policy: PropagationPolicy) -> KubePropagation {
    match policy {
        PropagationPolicy::Foreground => KubePropagation::Foreground,
        PropagationPolicy::Background => KubePropagation::Background,
        PropagationPolicy::Orphan => KubePropagation::Orphan,
    }
}
