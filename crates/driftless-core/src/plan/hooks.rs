//! Resource hooks: objects applied around the Sync phase rather than as part of it.

use serde_json::Value;

use super::annotations::{annotation, list_entries, HOOK, HOOK_DELETE_POLICY};
use super::{PlanError, Subject};

/// When a hook runs; `Skip` marks an object that is never applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookType {
    /// Before anything is applied.
    PreSync,
    /// With the Sync phase, in its wave.
    Sync,
    /// After every Sync wave is healthy.
    PostSync,
    /// When the sync failed.
    SyncFail,
    /// Never applied.
    Skip,
}

/// When a hook object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookDeletePolicy {
    /// Before the hook is created again (the default, as in Argo CD).
    BeforeHookCreation,
    /// Once the hook succeeded.
    HookSucceeded,
    /// Once the hook failed.
    HookFailed,
}

/// A hook's types and delete policies, each without duplicates, in annotation order.
/// A hook is not one of the Application's resources: it is never in the inventory and
/// never pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The phases it runs in (or Skip); never empty.
    pub types: Vec<HookType>,
    /// When to delete it; never empty.
    pub delete_policies: Vec<HookDeletePolicy>,
}

impl Hook {
    /// Whether an existing copy is deleted before the hook is created again.
    pub fn delete_before_creation(&self) -> bool {
        self.delete_policies
            .contains(&HookDeletePolicy::BeforeHookCreation)
    }

    /// Whether the hook is deleted once it finished, successfully or not.
    pub fn delete_after(&self, succeeded: bool) -> bool {
        let policy = if succeeded {
            HookDeletePolicy::HookSucceeded
        } else {
            HookDeletePolicy::HookFailed
        };
        self.delete_policies.contains(&policy)
    }
}

/// The object's hook, or `None` when it has no hook annotation. The delete policies
/// default to BeforeHookCreation when the hook-delete-policy annotation is absent or
/// blank. An unknown type or policy, or a hook annotation naming no type, is an error
/// naming the object and the value.
pub fn hook_of(object: &Value) -> Result<Option<Hook>, PlanError> {
    let Some(value) = annotation(object, HOOK) else {
        return Ok(None);
    };
    let types = parse_list(value, hook_type).map_err(|value| PlanError::UnknownHookType {
        subject: Subject::of(object),
        value,
    })?;
    if types.is_empty() {
        return Err(PlanError::UnknownHookType {
            subject: Subject::of(object),
            value: value.to_owned(),
        });
    }
    let policies = annotation(object, HOOK_DELETE_POLICY).unwrap_or_default();
    let mut delete_policies = parse_list(policies, delete_policy).map_err(|value| {
        PlanError::UnknownHookDeletePolicy {
            subject: Subject::of(object),
            value,
        }
    })?;
    if delete_policies.is_empty() {
        delete_policies.push(HookDeletePolicy::BeforeHookCreation);
    }
    Ok(Some(Hook {
        types,
        delete_policies,
    }))
}

/// The entries of a comma-separated list parsed by `parse`, duplicates dropped; the
/// first entry `parse` rejects is the error.
fn parse_list<T: PartialEq>(value: &str, parse: fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    for entry in list_entries(value) {
        let item = parse(entry).ok_or_else(|| entry.to_owned())?;
        if !items.contains(&item) {
            items.push(item);
        }
    }
    Ok(items)
}

fn hook_type(entry: &str) -> Option<HookType> {
    match entry {
        "PreSync" => Some(HookType::PreSync),
        "Sync" => Some(HookType::Sync),
        "PostSync" => Some(HookType::PostSync),
        "SyncFail" => Some(HookType::SyncFail),
        "Skip" => Some(HookType::Skip),
        _ => None,
    }
}

fn delete_policy(entry: &str) -> Option<HookDeletePolicy> {
    match entry {
        "BeforeHookCreation" => Some(HookDeletePolicy::BeforeHookCreation),
        "HookSucceeded" => Some(HookDeletePolicy::HookSucceeded),
        "HookFailed" => Some(HookDeletePolicy::HookFailed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job(annotations: Value) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"generateName": "migrate-", "namespace": "shop", "annotations": annotations}})
    }

    #[test]
    fn no_hook_annotation_is_no_hook() {
        let object = job(json!({"driftless.dev/hook-delete-policy": "HookSucceeded"}));
        assert_eq!(hook_of(&object).unwrap(), None);
    }

    #[test]
    fn several_types_and_policies_in_annotation_order() {
        let object = job(json!({
            "argocd.argoproj.io/hook": "PreSync, PostSync,PreSync",
            "argocd.argoproj.io/hook-delete-policy": "HookSucceeded,BeforeHookCreation"
        }));
        let hook = hook_of(&object).unwrap().unwrap();
        assert_eq!(hook.types, [HookType::PreSync, HookType::PostSync]);
        assert_eq!(
            hook.delete_policies,
            [
                HookDeletePolicy::HookSucceeded,
                HookDeletePolicy::BeforeHookCreation
            ]
        );
        assert!(hook.delete_before_creation());
        assert!(hook.delete_after(true));
        assert!(!hook.delete_after(false));
    }

    #[test]
    fn delete_policy_defaults_to_before_hook_creation() {
        let hook = hook_of(&job(json!({"driftless.dev/hook": "Sync"})))
            .unwrap()
            .unwrap();
        assert_eq!(hook.delete_policies, [HookDeletePolicy::BeforeHookCreation]);
        assert!(hook.delete_before_creation());
        assert!(!hook.delete_after(true));
        assert!(!hook.delete_after(false));
    }

    #[test]
    fn hook_failed_deletes_only_after_failure() {
        let object = job(json!({
            "driftless.dev/hook": "SyncFail", "driftless.dev/hook-delete-policy": "HookFailed"
        }));
        let hook = hook_of(&object).unwrap().unwrap();
        assert!(!hook.delete_before_creation());
        assert!(hook.delete_after(false));
        assert!(!hook.delete_after(true));
    }

    #[test]
    fn unknown_type_names_object_and_value() {
        let object = job(json!({"driftless.dev/hook": "PreSync,PreDelete"}));
        let err = hook_of(&object).unwrap_err();
        assert_eq!(
            err.to_string(),
            "batch/Job:shop/migrate-: unknown hook type \"PreDelete\", \
             expected PreSync, Sync, PostSync, SyncFail or Skip"
        );
    }

    #[test]
    fn blank_hook_annotation_is_an_error() {
        let err = hook_of(&job(json!({"driftless.dev/hook": " "}))).unwrap_err();
        assert!(matches!(err, PlanError::UnknownHookType { value, .. } if value == " "));
    }

    #[test]
    fn unknown_delete_policy_names_the_value() {
        let object = job(json!({
            "driftless.dev/hook": "PostSync", "driftless.dev/hook-delete-policy": "Never"
        }));
        let err = hook_of(&object).unwrap_err();
        assert!(
            matches!(err, PlanError::UnknownHookDeletePolicy { value, .. } if value == "Never")
        );
    }
}
