//! `metadata.managedFields`: reading and writing its entries, and finding a manager's entry.

use serde_json::{Map, Value};

use super::fieldset::{FieldSet, FieldsV1Error};

/// The operation an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Any other write (create, update, patch).
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// One managedFields entry: what one manager owns through one operation (and subresource).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The field manager's name.
    pub manager: String,
    /// Apply or Update.
    pub operation: Operation,
    /// The apiVersion the manager wrote with.
    pub api_version: String,
    /// The subresource written through (`status`), if any.
    pub subresource: Option<String>,
    /// When the manager last changed something (RFC 3339).
    pub time: Option<String>,
    /// The fields owned.
    pub set: FieldSet,
}

/// Who writes: the identity an entry is found by, as kube keys managers (the apiVersion counts
/// for Update entries only).
#[derive(Debug, Clone, Copy)]
pub struct Writer<'a> {
    /// The field manager's name.
    pub manager: &'a str,
    /// Apply or Update.
    pub operation: Operation,
    /// The object's apiVersion.
    pub api_version: &'a str,
    /// The subresource written through, if any.
    pub subresource: Option<&'a str>,
}

impl Writer<'_> {
    /// Whether `entry` is this writer's entry.
    pub fn owns(&self, entry: &Entry) -> bool {
        entry.manager == self.manager
            && entry.operation == self.operation
            && entry.subresource.as_deref() == self.subresource
            && (self.operation == Operation::Apply || entry.api_version == self.api_version)
    }

    /// A new entry of this writer.
    pub fn entry(&self, set: FieldSet, time: Option<String>) -> Entry {
        Entry {
            manager: self.manager.to_string(),
            operation: self.operation,
            api_version: self.api_version.to_string(),
            subresource: self.subresource.map(str::to_string),
            time,
            set,
        }
    }
}

/// Why managedFields could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManagedFieldsError {
    /// managedFields is not a list of objects.
    #[error("metadata.managedFields must be a list of objects")]
    NotAList,
    /// An entry's operation is neither Apply nor Update.
    #[error("managedFields entry {index}: operation {operation:?} is not Apply or Update")]
    BadOperation {
        /// The entry's position.
        index: usize,
        /// The operation found.
        operation: String,
    },
    /// An entry's fieldsType is not FieldsV1.
    #[error("managedFields entry {index}: fieldsType {fields_type:?} is not FieldsV1")]
    BadFieldsType {
        /// The entry's position.
        index: usize,
        /// The fieldsType found.
        fields_type: String,
    },
    /// An entry's fieldsV1 is malformed.
    #[error("managedFields entry {index}: {source}")]
    BadFields {
        /// The entry's position.
        index: usize,
        /// What is wrong.
        source: FieldsV1Error,
    },
    /// Two entries have the same manager, operation, subresource (and apiVersion for Update).
    #[error("managedFields has two entries for manager {0:?}")]
    Duplicate(String),
}

/// Reads managedFields (absent or null: no entries).
pub fn decode(managed: Option<&Value>) -> Result<Vec<Entry>, ManagedFieldsError> {
    let items = match managed {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(ManagedFieldsError::NotAList),
    };
    let mut entries: Vec<Entry> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let entry = decode_entry(index, item)?;
        if entries.iter().any(|e| writer_of(e).owns(&entry)) {
            return Err(ManagedFieldsError::Duplicate(entry.manager));
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn writer_of(entry: &Entry) -> Writer<'_> {
    Writer {
        manager: &entry.manager,
        operation: entry.operation,
        api_version: &entry.api_version,
        subresource: entry.subresource.as_deref(),
    }
}

fn decode_entry(index: usize, item: &Value) -> Result<Entry, ManagedFieldsError> {
    let Value::Object(map) = item else {
        return Err(ManagedFieldsError::NotAList);
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let operation = match text("operation").unwrap_or_default() {
        "Apply" => Operation::Apply,
        "Update" => Operation::Update,
        other => {
            return Err(ManagedFieldsError::BadOperation {
                index,
                operation: other.to_string(),
            })
        }
    };
    match text("fieldsType") {
        Some("FieldsV1") | None => {}
        Some(other) => {
            return Err(ManagedFieldsError::BadFieldsType {
                index,
                fields_type: other.to_string(),
            })
        }
    }
    let set = match map.get("fieldsV1") {
        None | Some(Value::Null) => FieldSet::default(),
        Some(fields) => FieldSet::from_fields_v1(fields)
            .map_err(|source| ManagedFieldsError::BadFields { index, source })?,
    };
    Ok(Entry {
        manager: text("manager").unwrap_or_default().to_string(),
        operation,
        api_version: text("apiVersion").unwrap_or_default().to_string(),
        subresource: text("subresource")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        time: text("time").map(str::to_string),
        set,
    })
}

/// Writes entries as kube does: empty sets dropped, sorted by operation (Apply first), time,
/// manager, apiVersion and subresource. `None` when no entry is left.
pub fn encode(mut entries: Vec<Entry>) -> Option<Value> {
    entries.retain(|e| !e.set.is_empty());
    if entries.is_empty() {
        return None;
    }
    entries.sort_by(|a, b| {
        (
            a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    Some(Value::Array(entries.iter().map(encode_entry).collect()))
}

fn encode_entry(entry: &Entry) -> Value {
    let mut map = Map::new();
    map.insert("manager".into(), Value::String(entry.manager.clone()));
    map.insert(
        "operation".into(),
        Value::String(entry.operation.as_str().into()),
    );
    map.insert(
        "apiVersion".into(),
        Value::String(entry.api_version.clone()),
    );
    if let Some(time) = &entry.time {
        map.insert("time".into(), Value::String(time.clone()));
    }
    map.insert("fieldsType".into(), Value::String("FieldsV1".into()));
    map.insert("fieldsV1".into(), entry.set.to_fields_v1());
    if let Some(subresource) = &entry.subresource {
        map.insert("subresource".into(), Value::String(subresource.clone()));
    }
    Value::Object(map)
}

/// kube keeps at most this many Update entries on an object.
pub const MAX_UPDATE_MANAGERS: usize = 10;

/// The manager kube merges the oldest Update entries into, one entry per apiVersion.
pub const ANCIENT_CHANGES: &str = "ancient-changes";

/// Merges the oldest Update entries into `ancient-changes` (per apiVersion) until at most
/// [`MAX_UPDATE_MANAGERS`] Update entries are left, as kube-apiserver does.
pub fn cap_update_managers(entries: &mut Vec<Entry>) {
    let mut updaters: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].operation == Operation::Update)
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort_by(|&a, &b| {
        (&entries[a].time, &entries[a].manager).cmp(&(&entries[b].time, &entries[b].manager))
    });
    let mut left = updaters.len();
    let mut first_of_version: Vec<(String, usize)> = Vec::new();
    let mut merged_away = vec![false; entries.len()];
    for &i in &updaters {
        if left <= MAX_UPDATE_MANAGERS {
            break;
        }
        let version = entries[i].api_version.clone();
        let Some(&(_, first)) = first_of_version.iter().find(|(v, _)| *v == version) else {
            first_of_version.push((version, i));
            continue;
        };
        let bucket = existing_bucket(entries, &version).unwrap_or(first);
        let set = std::mem::take(&mut entries[i].set);
        let time = entries[i].time.take();
        let target = &mut entries[bucket];
        target.set.union_with(&set);
        target.manager = ANCIENT_CHANGES.to_string();
        target.subresource = None;
        target.time = time;
        merged_away[i] = true;
        left -= 1;
    }
    let mut flags = merged_away.into_iter();
    entries.retain(|_| !flags.next().unwrap_or(false));
}

fn existing_bucket(entries: &[Entry], version: &str) -> Option<usize> {
    entries.iter().position(|e| {
        e.manager == ANCIENT_CHANGES
            && e.operation == Operation::Update
            && e.api_version == version
            && e.subresource.is_none()
    })
}

/// Removes and returns `writer`'s entry.
pub fn take_entry(entries: &mut Vec<Entry>, writer: &Writer<'_>) -> Option<Entry> {
    let index = entries.iter().position(|e| writer.owns(e))?;
    Some(entries.remove(index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_and_encodes_sorted() {
        let managed = json!([
            {"manager": "b", "operation": "Update", "apiVersion": "v1", "time": "2026-01-01T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:x": {}}}},
            {"manager": "a", "operation": "Apply", "apiVersion": "v1", "time": "2026-01-02T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:y": {}}}, "subresource": "status"}
        ]);
        let entries = decode(Some(&managed)).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].subresource.as_deref(), Some("status"));
        let out = encode(entries).unwrap();
        assert_eq!(out[0]["manager"], "a");
        assert_eq!(out[1], managed[0]);
    }

    #[test]
    fn rejects_malformed_entries() {
        for bad in [
            json!({}),
            json!([1]),
            json!([{"manager": "a", "operation": "Merge"}]),
            json!([{"manager": "a", "operation": "Apply", "fieldsType": "FieldsV2"}]),
            json!([{"manager": "a", "operation": "Apply", "fieldsV1": {"q": {}}}]),
            json!([{"manager": "a", "operation": "Apply"}, {"manager": "a", "operation": "Apply", "apiVersion": "v2"}]),
        ] {
            assert!(decode(Some(&bad)).is_err(), "{bad}");
        }
        assert!(decode(None).unwrap().is_empty());
    }

    #[test]
    fn update_entries_beyond_ten_merge_into_ancient_changes() {
        let mut entries: Vec<Entry> = (0..12)
            .map(|i| {
                let fields = json!({"f:data": {(format!("f:k{i}")): {}}});
                let w = Writer {
                    manager: "",
                    operation: Operation::Update,
                    api_version: "v1",
                    subresource: None,
                };
                let mut e = w.entry(
                    FieldSet::from_fields_v1(&fields).unwrap(),
                    Some(format!("2026-01-01T00:00:{i:02}Z")),
                );
                e.manager = format!("m{i:02}");
                e
            })
            .collect();
        let w = Writer {
            manager: "applier",
            operation: Operation::Apply,
            api_version: "v1",
            subresource: None,
        };
        entries.push(w.entry(FieldSet::from_fields_v1(&json!({"f:x": {}})).unwrap(), None));
        cap_update_managers(&mut entries);
        let names: Vec<&str> = entries.iter().map(|e| e.manager.as_str()).collect();
        assert_eq!(names.len(), 11, "{names:?}");
        assert!(names.contains(&"applier"));
        assert!(!names.contains(&"m00") && !names.contains(&"m01") && !names.contains(&"m02"));
        let bucket = entries
            .iter()
            .find(|e| e.manager == ANCIENT_CHANGES)
            .unwrap();
        assert_eq!(
            bucket.set.member_paths(),
            [".data.k0", ".data.k1", ".data.k2"]
        );
        assert_eq!(bucket.time.as_deref(), Some("2026-01-01T00:00:02Z"));
        // A later write merges into the existing bucket.
        let mut e = entries[0].clone();
        e.manager = "late".into();
        e.operation = Operation::Update;
        e.time = Some("2026-01-02T00:00:00Z".into());
        entries.push(e);
        cap_update_managers(&mut entries);
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.operation == Operation::Update)
                .count(),
            10
        );
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.manager == ANCIENT_CHANGES)
                .count(),
            1
        );
    }

    #[test]
    fn empty_sets_are_dropped() {
        let w = Writer {
            manager: "m",
            operation: Operation::Update,
            api_version: "v1",
            subresource: None,
        };
        assert!(encode(vec![w.entry(FieldSet::default(), None)]).is_none());
    }
}
