//! Server-side apply as kube-apiserver does it (structured-merge-diff): merging applied
//! configurations, field ownership per manager in `metadata.managedFields` (FieldsV1), conflicts,
//! and ownership bookkeeping for every other kind of write. Pure: JSON values in, JSON values out.
//!
//! Differences from kube-apiserver: schema defaults of list keys are not known (a port without
//! `protocol` is keyed by `containerPort` alone), no conversion between apiVersions is done for
//! entries written at another version, and which maps and lists an Update owns itself (`.`)
//! follows the JSON (a field absent before) rather than Go's zero values.

mod collect;
mod compare;
mod fieldset;
mod list;
mod managed;
mod merge;
mod path;
mod schema;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::shape::Shape;

use collect::{fields_of, Origin};
use compare::{compare, Changes};
use fieldset::FieldSet;
use list::ShapeError;
use managed::{cap_update_managers, decode, encode, take_entry, Entry, Operation, Writer};
use schema::Ty;

/// The manager kube gives every field of an object that had no managedFields when it was first
/// applied to.
pub const BEFORE_FIRST_APPLY: &str = "before-first-apply";

/// Why an apply or an ownership update failed.
#[derive(Debug, thiserror::Error)]
pub enum SsaError {
    /// The apply changes fields other managers own (and `force` was not given).
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// The applied (or written) object cannot be merged under its schema: not an object, a
    /// map-list element that is not an object, duplicate keys, managedFields in an apply.
    #[error("{0}")]
    InvalidConfig(String),
    /// The live object's managedFields could not be read.
    #[error("failed to decode managed fields: {0}")]
    InvalidManagedFields(String),
}

impl From<ShapeError> for SsaError {
    fn from(e: ShapeError) -> Self {
        SsaError::InvalidConfig(e.to_string())
    }
}

/// One field an apply would take from another manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The other manager's name.
    pub manager: String,
    /// The apiVersion of the other manager's entry.
    pub api_version: String,
    /// The field, in kube's path syntax: `.spec.replicas`,
    /// `.spec.template.spec.containers[name="app"].image`.
    pub field: String,
    /// Whether the other manager applied (`true`) or updated the field.
    pub applied: bool,
    /// The subresource the other manager wrote through, if any.
    pub subresource: Option<String>,
}

impl Conflict {
    /// kube's cause message: `conflict with "mgr" using apps/v1` for an Update manager,
    /// `conflict with "mgr"` for an Apply manager, with `with subresource "status"` when it wrote
    /// through a subresource.
    pub fn message(&self) -> String {
        format!("conflict with {}", self.manager_description())
    }

    fn manager_description(&self) -> String {
        let mut out = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            out.push_str(&format!(" with subresource {sub:?}"));
        }
        if !self.applied {
            out.push_str(&format!(" using {}", self.api_version));
        }
        out
    }
}

/// kube's message: `Apply failed with 1 conflict: conflict with "m" using v1: .data.key`, or for
/// several, one `conflicts with "m":` block per manager listing `- <field>` lines.
fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: {}: {}",
            only.message(),
            only.field
        );
    }
    let mut managers: Vec<String> = conflicts
        .iter()
        .map(Conflict::manager_description)
        .collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for manager in &managers {
        lines.push(format!("conflicts with {manager}:"));
        for conflict in conflicts
            .iter()
            .filter(|c| &c.manager_description() == manager)
        {
            lines.push(format!("- {}", conflict.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Server-side apply of `config` (the applied configuration, already parsed; status already
/// stripped by the caller when applying to the main resource, everything but status stripped for
/// /status) by `manager` onto `live` (None when the object does not exist yet).
///
/// Returns the new object with `metadata.managedFields` updated. Guarantees: fields in `config`
/// override live values, objects and associative lists merge, a field the manager applied before
/// and no longer applies is removed when no other manager owns it (a list element stays while
/// anyone owns a field in it), null fields in `config` are ignored. A field whose value changes
/// and that another manager owns is a conflict, unless `force`, which takes it from them; equal
/// values are shared. Applying the same config again returns an object equal to `live`, entry
/// times included. Untracked fields (apiVersion, kind, metadata name, namespace, uid,
/// resourceVersion, generation, timestamps) keep their live values.
pub fn apply<S: Shape>(
    shape: Option<S>,
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    subresource: Option<&str>,
    force: bool,
    now: &str,
) -> Result<Value, SsaError> {
    let root = Ty::Root(shape);
    let config = applied_config(config)?;
    let applied = fields_of(&config, root, Origin::Applied)?;
    let api_version = api_version_of(&config)
        .or_else(|| live.and_then(api_version_of))
        .unwrap_or_default();
    let writer = Writer {
        manager,
        operation: Operation::Apply,
        api_version: &api_version,
        subresource,
    };
    let Some(live) = live else {
        let mut created = config;
        write_managed_fields(
            &mut created,
            vec![writer.entry(applied, Some(now.to_string()))],
        );
        return Ok(created);
    };
    let mut others = decode(managed_fields_of(live))
        .map_err(|e| SsaError::InvalidManagedFields(e.to_string()))?;
    if others.is_empty() {
        others.push(before_first_apply(live, root, &api_version, now)?);
    }
    let previous = take_entry(&mut others, &writer);
    let mut merged = merged_config(live, &config, &applied, previous.as_ref(), &others, root)?;
    if !others.is_empty() {
        let changes = compare(live, &merged, root)?;
        let conflicts = conflicts_with(&others, &changes.changed);
        if !conflicts.is_empty() && !force {
            return Err(SsaError::Conflicts(conflicts));
        }
        release_changed_fields(&mut others, &changes);
    }
    let time = match previous {
        Some(p) if p.set == applied && p.api_version == api_version && merged == *live => p.time,
        _ => Some(now.to_string()),
    };
    others.push(writer.entry(applied, time));
    write_managed_fields(&mut merged, others);
    Ok(merged)
}

/// `config` merged into `live`, without the fields the applier's `previous` entry had that neither
/// its new set (`applied`) nor any other entry owns.
fn merged_config<S: Shape>(
    live: &Value,
    config: &Value,
    applied: &FieldSet,
    previous: Option<&Entry>,
    others: &[Entry],
    root: Ty<S>,
) -> Result<Value, SsaError> {
    let mut merged = live.clone();
    merge::merge_into(&mut merged, config, root)?;
    if let Some(previous) = previous {
        let owners: Vec<&FieldSet> = std::iter::once(applied)
            .chain(others.iter().map(|e| &e.set))
            .collect();
        merge::prune(&mut merged, &previous.set, &owners, root);
    }
    Ok(merged)
}

/// Ownership bookkeeping for every write other than apply (create, update, JSON/merge/strategic
/// patch), as kube does it: every field whose value differs between `old` and `new` (all fields of
/// `new` when `old` is None) becomes owned by `manager` with operation Update and is taken from
/// every other entry; removed fields are taken from everyone; `new`'s `metadata.managedFields` is
/// rewritten.
///
/// The entries start from `new`'s managedFields when the client sent some (`[]` or `[{}]` reset
/// them to none) and from `old`'s otherwise, or always from `old`'s for a subresource write;
/// unreadable ones fall back the same way. Fails with `InvalidConfig` when `new` is not an object
/// or repeats a key in an associative list; kube then stores the object without managedFields.
pub fn track_update<S: Shape>(
    shape: Option<S>,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) -> Result<(), SsaError> {
    if !new.is_object() {
        return Err(SsaError::InvalidConfig(
            "the object is not a JSON object".to_string(),
        ));
    }
    let root = Ty::Root(shape);
    let mut entries = starting_entries(old, new, subresource.is_some());
    let empty = Value::Object(Map::new());
    let changes = compare(old.unwrap_or(&empty), new, root)?;
    let api_version = api_version_of(new).unwrap_or_default();
    let writer = Writer {
        manager,
        operation: Operation::Update,
        api_version: &api_version,
        subresource,
    };
    let own = take_entry(&mut entries, &writer);
    release_changed_fields(&mut entries, &changes);
    let mut own = own.unwrap_or_else(|| writer.entry(FieldSet::default(), None));
    own.set.remove_subtrees(&changes.removed);
    if !changes.changed.is_empty() {
        own.set.union_with(&changes.changed);
        own.time = Some(now.to_string());
    }
    entries.push(own);
    write_managed_fields(new, entries);
    Ok(())
}

/// The applied configuration without null fields; fails when it is not an object or carries
/// managedFields.
fn applied_config(config: &Value) -> Result<Value, SsaError> {
    if !config.is_object() {
        return Err(SsaError::InvalidConfig(
            "the applied configuration is not an object".to_string(),
        ));
    }
    if managed_fields_of(config).is_some_and(|m| m.as_array().is_none_or(|a| !a.is_empty())) {
        return Err(SsaError::InvalidConfig(
            "metadata.managedFields must be nil".to_string(),
        ));
    }
    let mut config = without_nulls(config);
    if let Some(Value::Object(meta)) = config.get_mut("metadata") {
        meta.remove("managedFields");
    }
    Ok(config)
}

/// A copy of `value` without object fields whose value is null, at any depth.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn api_version_of(object: &Value) -> Option<String> {
    object
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn managed_fields_of(object: &Value) -> Option<&Value> {
    object
        .get("metadata")?
        .get("managedFields")
        .filter(|v| !v.is_null())
}

/// kube's entry for an object applied to for the first time while it has no managedFields: an
/// Update by `before-first-apply` owning every field the object has.
fn before_first_apply<S: Shape>(
    live: &Value,
    root: Ty<S>,
    api_version: &str,
    now: &str,
) -> Result<Entry, SsaError> {
    let set = fields_of(live, root, Origin::Existing)?;
    let writer = Writer {
        manager: BEFORE_FIRST_APPLY,
        operation: Operation::Update,
        api_version,
        subresource: None,
    };
    Ok(writer.entry(set, Some(now.to_string())))
}

/// Every changed field that another entry owns, in entry order then path order.
fn conflicts_with(entries: &[Entry], changed: &FieldSet) -> Vec<Conflict> {
    let mut out = Vec::new();
    for entry in entries {
        for field in entry.set.intersection(changed).member_paths() {
            out.push(Conflict {
                manager: entry.manager.clone(),
                api_version: entry.api_version.clone(),
                field,
                applied: entry.operation == Operation::Apply,
                subresource: entry.subresource.clone(),
            });
        }
    }
    out
}

/// Takes the changed fields and the removed subtrees away from `entries`, dropping emptied ones.
fn release_changed_fields(entries: &mut Vec<Entry>, changes: &Changes) {
    if changes.is_empty() {
        return;
    }
    for entry in entries.iter_mut() {
        entry.set.remove_subtrees(&changes.removed);
        entry.set.remove_members(&changes.changed);
    }
    entries.retain(|e| !e.set.is_empty());
}

/// The entries an update starts from (kube's `decodeLiveOrNew`).
fn starting_entries(old: Option<&Value>, new: &Value, subresource: bool) -> Vec<Entry> {
    let from_old = || {
        old.and_then(|o| decode(managed_fields_of(o)).ok())
            .unwrap_or_default()
    };
    if subresource {
        return from_old();
    }
    match managed_fields_of(new) {
        None => from_old(),
        Some(sent) if is_reset(sent) => Vec::new(),
        Some(sent) => match decode(Some(sent)) {
            Ok(entries) if !entries.is_empty() => entries,
            _ => from_old(),
        },
    }
}

/// `[]` and `[{}]` clear managedFields.
fn is_reset(sent: &Value) -> bool {
    match sent.as_array().map(Vec::as_slice) {
        Some([]) => true,
        Some([only]) => only.as_object().is_some_and(Map::is_empty),
        _ => false,
    }
}

/// Sets `metadata.managedFields` from `entries` (removes it when none is left).
/// Update entries beyond kube's cap are merged into `ancient-changes` first.
fn write_managed_fields(object: &mut Value, mut entries: Vec<Entry>) {
    let Value::Object(map) = object else { return };
    entries.retain(|e| !e.set.is_empty());
    cap_update_managers(&mut entries);
    match encode(entries) {
        Some(managed) => {
            let metadata = map
                .entry("metadata")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(meta) = metadata {
                meta.insert("managedFields".to_string(), managed);
            }
        }
        None => {
            if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                meta.remove("managedFields");
            }
        }
    }
}
