//! The one result vocabulary of a sync: what happened to each object.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::object_ref::ObjectRef;

/// What a sync did (or, in a dry run, would do) to one object.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The object did not exist and was created.
    Created,
    /// The object existed and differed; it was updated.
    Configured,
    /// The object already matched; nothing was written.
    Unchanged,
    /// The object was deleted because Git no longer declares it.
    Pruned,
    /// The object was left alone on purpose (Prune=false, not ours, hook skipped, ...).
    Skipped,
    /// The step failed; the message says why.
    Failed,
}

impl Action {
    /// The lowercase name, as in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Configured => "configured",
            Action::Unchanged => "unchanged",
            Action::Pruned => "pruned",
            Action::Skipped => "skipped",
            Action::Failed => "failed",
        }
    }

    /// True for the actions that wrote to the cluster.
    pub fn is_write(self) -> bool {
        matches!(self, Action::Created | Action::Configured | Action::Pruned)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChangeEntry {
    /// The object.
    pub object: ObjectRef,
    /// What happened.
    pub action: Action,
    /// Why, or what the API said; empty when there is nothing to add.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// The outcome of an apply, diff, prune, wait or whole sync, one entry per object in the
/// order the steps ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChangeSet {
    /// The entries, in order.
    pub entries: Vec<ChangeEntry>,
}

impl ChangeSet {
    /// Appends one entry.
    pub fn push(&mut self, object: ObjectRef, action: Action, message: impl Into<String>) {
        self.entries.push(ChangeEntry {
            object,
            action,
            message: message.into(),
        });
    }

    /// Appends every entry of `other`.
    pub fn extend(&mut self, other: ChangeSet) {
        self.entries.extend(other.entries);
    }

    /// True when some entry failed.
    pub fn has_failures(&self) -> bool {
        self.entries.iter().any(|e| e.action == Action::Failed)
    }

    /// Number of entries with this action.
    pub fn count(&self, action: Action) -> usize {
        self.entries.iter().filter(|e| e.action == action).count()
    }

    /// The entries that changed something or failed (what status and events report).
    pub fn changes(&self) -> impl Iterator<Item = &ChangeEntry> {
        self.entries
            .iter()
            .filter(|e| e.action != Action::Unchanged)
    }

    /// A one-line summary such as `2 created, 1 configured, 7 unchanged`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            Action::Created,
            Action::Configured,
            Action::Unchanged,
            Action::Pruned,
            Action::Skipped,
            Action::Failed,
        ]
        .into_iter()
        .map(|action| (action, self.count(action)))
        .filter(|(_, n)| *n > 0)
        .map(|(action, n)| format!("{n} {action}"))
        .collect();
        if parts.is_empty() {
            "nothing to do".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cm(name: &str) -> ObjectRef {
        ObjectRef {
            version: "v1".into(),
            kind: "ConfigMap".into(),
            name: name.into(),
            ..ObjectRef::default()
        }
    }

    #[test]
    fn summary_counts_actions_in_order() {
        let mut set = ChangeSet::default();
        set.push(cm("a"), Action::Unchanged, "");
        set.push(cm("b"), Action::Created, "");
        set.push(cm("c"), Action::Failed, "denied");
        assert_eq!(set.summary(), "1 created, 1 unchanged, 1 failed");
        assert!(set.has_failures());
        assert_eq!(set.changes().count(), 2);
        assert_eq!(ChangeSet::default().summary(), "nothing to do");
    }

    #[test]
    fn serializes_lowercase_actions() {
        let mut set = ChangeSet::default();
        set.push(cm("a"), Action::Pruned, "");
        let json = serde_json::to_value(&set).unwrap();
        assert_eq!(json["entries"][0]["action"], "pruned");
    }
}
