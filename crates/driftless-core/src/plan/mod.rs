//! Sync planning: annotations, sync options, hooks, phases, waves, kind order and prune sets.
//!
//! [`plan`] turns the rendered manifests of one Application into the steps of a sync:
//! PreSync hooks, then the Sync phase wave by wave, then PostSync hooks, each step split
//! into Flux's stages (definitions, classes, the rest) and ordered by Argo CD's kind order.
//! [`prune_set`] says what to delete afterwards, in reverse order.

mod annotations;
mod hooks;
mod options;
mod order;
mod prune;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::manifest::{Manifest, Origin};
use crate::object_ref::{non_empty_str, split_api_version, ObjectRef};

pub use annotations::{
    annotation, ARGOCD_PREFIX, COMPARE_OPTIONS, DRIFTLESS_PREFIX, HOOK, HOOK_DELETE_POLICY,
    SYNC_OPTIONS, SYNC_WAVE,
};
pub use hooks::{hook_of, Hook, HookDeletePolicy, HookType};
pub use options::{compare_options, CompareOptions, PropagationPolicy, SyncOptions};
pub use order::{kind_rank, stage_of, sync_wave, Stage};
pub use prune::{prune_order, prune_set};

/// What a planning error is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The Application's `spec.syncPolicy.syncOptions`.
    SyncPolicy,
    /// One object: its reference (the `generateName` stands in for a missing name) and,
    /// when known, the manifest it was rendered from.
    Object {
        /// The object's reference (boxed to keep errors small).
        object: Box<ObjectRef>,
        /// Where it was rendered from, when known.
        origin: Option<Origin>,
    },
}

impl Subject {
    /// The subject for an object whose origin is not known here.
    pub(crate) fn of(object: &Value) -> Self {
        Self::Object {
            object: Box::new(identity(object)),
            origin: None,
        }
    }
}

/// Formats as `spec.syncPolicy.syncOptions`, `group/Kind:namespace/name` or
/// `group/Kind:namespace/name (file#document)`.
impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SyncPolicy => f.write_str("spec.syncPolicy.syncOptions"),
            Self::Object {
                object,
                origin: None,
            } => write!(f, "{object}"),
            Self::Object {
                object,
                origin: Some(origin),
            } => write!(f, "{object} ({origin})"),
        }
    }
}

/// Why a sync could not be planned. Every variant names its subject and the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A sync option whose key Driftless does not know.
    #[error("{subject}: unknown sync option {entry:?}")]
    UnknownSyncOption {
        /// Where the option was given.
        subject: Subject,
        /// The option as written.
        entry: String,
    },
    /// A sync option that is not `Key=value`, or whose value its key does not accept.
    #[error("{subject}: malformed sync option {entry:?}, expected {expected}")]
    MalformedSyncOption {
        /// Where the option was given.
        subject: Subject,
        /// The option as written.
        entry: String,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A hook annotation naming no hook type or an unknown one.
    #[error("{subject}: unknown hook type {value:?}, expected PreSync, Sync, PostSync, SyncFail or Skip")]
    UnknownHookType {
        /// The hook object.
        subject: Subject,
        /// The offending entry (the whole annotation when it names no type).
        value: String,
    },
    /// A hook delete policy annotation with an unknown entry.
    #[error("{subject}: unknown hook delete policy {value:?}, expected BeforeHookCreation, HookSucceeded or HookFailed")]
    UnknownHookDeletePolicy {
        /// The hook object.
        subject: Subject,
        /// The offending entry.
        value: String,
    },
    /// A sync wave annotation that is not a 32-bit integer.
    #[error("{subject}: sync wave {value:?} is not an integer")]
    InvalidSyncWave {
        /// The object.
        subject: Subject,
        /// The annotation's value.
        value: String,
    },
}

impl PlanError {
    /// This error with the object's origin filled in.
    fn at(mut self, origin: &Origin) -> Self {
        let (Self::UnknownSyncOption { subject, .. }
        | Self::MalformedSyncOption { subject, .. }
        | Self::UnknownHookType { subject, .. }
        | Self::UnknownHookDeletePolicy { subject, .. }
        | Self::InvalidSyncWave { subject, .. }) = &mut self;
        if let Subject::Object { origin: slot, .. } = subject {
            *slot = Some(origin.clone());
        }
        self
    }
}

/// A phase of a sync, in the order the phases run; SyncFail runs only when the sync failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Hooks run before anything is applied.
    PreSync,
    /// The Application's resources, and Sync hooks.
    Sync,
    /// Hooks run after every Sync wave is healthy.
    PostSync,
    /// Hooks run when the sync failed.
    SyncFail,
}

/// One wave of one phase: its objects, as indices into the manifests given to [`plan`].
/// `stages` holds the non-empty stages in [`Stage`] order; each is sorted by
/// [`kind_rank`], then namespace, then name (input order breaks remaining ties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The phase this step belongs to.
    pub phase: Phase,
    /// The sync wave.
    pub wave: i32,
    /// Indices of the objects to apply, stage by stage.
    pub stages: Vec<Vec<usize>>,
}

/// The ordered steps of one sync. Every manifest index appears in exactly one of
/// `steps`, `sync_fail` and `skipped`, except hooks of several types, which appear once
/// per phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// PreSync steps (waves ascending), then Sync steps, then PostSync steps.
    pub steps: Vec<Step>,
    /// SyncFail steps, waves ascending; run only when the sync fails.
    pub sync_fail: Vec<Step>,
    /// Skip hooks, ascending: never applied.
    pub skipped: Vec<usize>,
    /// Every hook (Skip hooks included), ascending: never in the inventory, never pruned.
    pub hooks: Vec<usize>,
}

impl Plan {
    /// Indices of the Application's resources (the non-hook objects, all in the Sync
    /// phase) in apply order: what the inventory records.
    pub fn resources(&self) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .filter(|step| step.phase == Phase::Sync)
            .flat_map(|step| step.stages.iter().flatten().copied())
            .filter(|index| self.hooks.binary_search(index).is_err())
    }
}

/// Plans a sync of `manifests`. Fails on the first object whose sync-wave, hook,
/// hook-delete-policy or sync-options annotation is invalid, naming it and its origin.
pub fn plan(manifests: &[Manifest]) -> Result<Plan, PlanError> {
    let identities: Vec<ObjectRef> = manifests.iter().map(|m| identity(&m.object)).collect();
    let mut buckets: BTreeMap<(Phase, i32), BTreeMap<Stage, Vec<usize>>> = BTreeMap::new();
    let mut plan = Plan {
        steps: Vec::new(),
        sync_fail: Vec::new(),
        skipped: Vec::new(),
        hooks: Vec::new(),
    };
    for (index, (manifest, identity)) in manifests.iter().zip(&identities).enumerate() {
        let placement = placement(&manifest.object).map_err(|e| e.at(&manifest.origin))?;
        if placement.hook {
            plan.hooks.push(index);
        }
        if placement.phases.is_empty() {
            plan.skipped.push(index);
        }
        let stage = stage_of(&identity.group, &identity.kind);
        for phase in placement.phases {
            let stages = buckets.entry((phase, placement.wave)).or_default();
            stages.entry(stage).or_default().push(index);
        }
    }
    for ((phase, wave), stages) in buckets {
        let stages = stages
            .into_values()
            .map(|members| sorted_by_kind(members, &identities))
            .collect();
        let step = Step {
            phase,
            wave,
            stages,
        };
        match phase {
            Phase::SyncFail => plan.sync_fail.push(step),
            _ => plan.steps.push(step),
        }
    }
    Ok(plan)
}

/// Where one object goes: the phases it runs in (none for a Skip hook) and its wave.
struct Placement {
    hook: bool,
    phases: Vec<Phase>,
    wave: i32,
}

/// Reads and checks an object's sync annotations.
fn placement(object: &Value) -> Result<Placement, PlanError> {
    SyncOptions::default().for_object(object)?;
    let wave = sync_wave(object)?;
    let (hook, phases) = match hook_of(object)? {
        None => (false, vec![Phase::Sync]),
        Some(hook) => (true, hook_phases(&hook)),
    };
    Ok(Placement { hook, phases, wave })
}

/// The phases a hook runs in; none when it is a Skip hook.
fn hook_phases(hook: &Hook) -> Vec<Phase> {
    if hook.types.contains(&HookType::Skip) {
        return Vec::new();
    }
    hook.types
        .iter()
        .filter_map(|hook_type| match hook_type {
            HookType::PreSync => Some(Phase::PreSync),
            HookType::Sync => Some(Phase::Sync),
            HookType::PostSync => Some(Phase::PostSync),
            HookType::SyncFail => Some(Phase::SyncFail),
            HookType::Skip => None,
        })
        .collect()
}

/// `members` sorted by kind rank, then namespace, then name; stable for full ties.
fn sorted_by_kind(mut members: Vec<usize>, identities: &[ObjectRef]) -> Vec<usize> {
    members.sort_by_key(|&index| {
        let r = &identities[index];
        (kind_rank(&r.kind), r.namespace.as_str(), r.name.as_str())
    });
    members
}

/// The object's reference as far as it can be read: absent fields are empty, and the
/// `generateName` stands in for a missing name (hooks are often generated).
pub(crate) fn identity(object: &Value) -> ObjectRef {
    let field = |path: &[&str]| non_empty_str(object, path).unwrap_or_default().to_owned();
    let api_version = non_empty_str(object, &["apiVersion"]).unwrap_or_default();
    let (group, version) = split_api_version(api_version);
    let name = non_empty_str(object, &["metadata", "name"])
        .or_else(|| non_empty_str(object, &["metadata", "generateName"]))
        .unwrap_or_default();
    ObjectRef {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: field(&["kind"]),
        namespace: field(&["metadata", "namespace"]),
        name: name.to_owned(),
    }
}
