//! The generated schema table (`data/proto-table.json`, made by `scripts/gen-proto-table.py`): for every
//! Kubernetes message, its fields' numbers, JSON names, types and how Go's JSON encoding treats them.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../data/proto-table.json");

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub enum Type {
    /// `string`.
    String,
    /// `int32` (also used for Go int32 enums).
    Int32,
    /// `int64`.
    Int64,
    /// `bool`.
    Bool,
    /// `double`.
    Double,
    /// `bytes`: base64 in JSON.
    Bytes,
    /// meta.v1.Time: RFC 3339 with seconds.
    Time,
    /// meta.v1.MicroTime: RFC 3339 with microseconds.
    MicroTime,
    /// meta.v1.Duration: a Go duration string.
    Duration,
    /// runtime.RawExtension, meta.v1.FieldsV1: embedded JSON bytes.
    Raw,
    /// resource.Quantity: its string.
    Quantity,
    /// intstr.IntOrString: a number or a string.
    IntOrString,
    /// A message wrapping `repeated string items = 1` (ExtraValue, Verbs): a JSON array.
    Strings,
    /// Another message, by table id (e.g. `core.v1.PodSpec`).
    Message(String),
}

impl From<String> for Type {
    fn from(name: String) -> Self {
        match name.as_str() {
            "string" => Type::String,
            "int32" => Type::Int32,
            "int64" => Type::Int64,
            "bool" => Type::Bool,
            "double" => Type::Double,
            "bytes" => Type::Bytes,
            "time" => Type::Time,
            "microtime" => Type::MicroTime,
            "duration" => Type::Duration,
            "raw" => Type::Raw,
            "quantity" => Type::Quantity,
            "intorstring" => Type::IntOrString,
            "strings" => Type::Strings,
            _ => Type::Message(name),
        }
    }
}

/// How the Go field is declared, which decides what its JSON looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A plain value with `omitempty`: zero values are left out.
    OmitEmpty,
    /// A plain value without `omitempty`: always written.
    Always,
    /// A pointer: written whenever it was sent, zero included.
    Pointer,
    /// A repeated field: a JSON array.
    List,
    /// A `map<string, T>`: a JSON object.
    Map,
    /// An embedded struct (`json:",inline"`): its fields join the parent object.
    Inline,
}

/// One field of a message.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Field(u32, String, Type, Mode);

impl Field {
    /// The protobuf field number.
    pub fn number(&self) -> u32 {
        self.0
    }

    /// The JSON name (empty for inline fields).
    pub fn name(&self) -> &str {
        &self.1
    }

    /// The value type.
    pub fn ty(&self) -> &Type {
        &self.2
    }

    /// The Go declaration kind.
    pub fn mode(&self) -> Mode {
        self.3
    }
}

/// The whole table.
#[derive(Debug, Deserialize)]
pub struct Table {
    /// apiVersion (`apps/v1`) -> table id prefix (`apps.v1`).
    versions: HashMap<String, String>,
    /// Message id -> its fields.
    messages: HashMap<String, Vec<Field>>,
}

impl Table {
    /// The embedded table, parsed on first use.
    pub fn get() -> Result<&'static Table, String> {
        static PARSED: OnceLock<Result<Table, String>> = OnceLock::new();
        PARSED
            .get_or_init(|| serde_json::from_str(TABLE).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The message id of a top-level kind, e.g. (`apps/v1`, `Deployment`) -> `apps.v1.Deployment`. Kinds that
    /// every group version carries (DeleteOptions, ...) fall back to meta.k8s.io/v1.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&str> {
        let in_group = self
            .versions
            .get(api_version)
            .map(|prefix| format!("{prefix}.{kind}"));
        let meta = format!("meta.v1.{kind}");
        in_group
            .into_iter()
            .chain(std::iter::once(meta))
            .find_map(|id| {
                self.messages
                    .get_key_value(&id)
                    .map(|(key, _)| key.as_str())
            })
    }

    /// The fields of a message.
    pub fn message(&self, id: &str) -> Option<&[Field]> {
        self.messages.get(id).map(Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_resolves_kinds() {
        let table = Table::get().unwrap();
        assert_eq!(
            table.kind("apps/v1", "Deployment"),
            Some("apps.v1.Deployment")
        );
        assert_eq!(table.kind("v1", "Namespace"), Some("core.v1.Namespace"));
        assert_eq!(
            table.kind("v1", "DeleteOptions"),
            Some("meta.v1.DeleteOptions")
        );
        assert_eq!(
            table.kind("rbac.authorization.k8s.io/v1", "Role"),
            Some("rbac.v1.Role")
        );
        assert_eq!(table.kind("v1", "NoSuchKind"), None);
        assert_eq!(table.kind("example.com/v1", "Widget"), None);
    }

    #[test]
    fn table_covers_the_kinds_devcluster_serves() {
        let table = Table::get().unwrap();
        let kinds = [
            ("v1", "Namespace"),
            ("v1", "ConfigMap"),
            ("v1", "Secret"),
            ("v1", "Service"),
            ("v1", "ServiceAccount"),
            ("v1", "Pod"),
            ("v1", "PersistentVolumeClaim"),
            ("v1", "Event"),
            ("apps/v1", "Deployment"),
            ("apps/v1", "StatefulSet"),
            ("apps/v1", "DaemonSet"),
            ("apps/v1", "ReplicaSet"),
            ("batch/v1", "Job"),
            ("batch/v1", "CronJob"),
            ("networking.k8s.io/v1", "Ingress"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("rbac.authorization.k8s.io/v1", "Role"),
            ("rbac.authorization.k8s.io/v1", "RoleBinding"),
            ("rbac.authorization.k8s.io/v1", "ClusterRole"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
            ("policy/v1", "PodDisruptionBudget"),
            ("autoscaling/v2", "HorizontalPodAutoscaler"),
            ("autoscaling/v1", "Scale"),
            ("coordination.k8s.io/v1", "Lease"),
            ("events.k8s.io/v1", "Event"),
            ("meta.k8s.io/v1", "DeleteOptions"),
        ];
        for (api_version, kind) in kinds {
            let id = table
                .kind(api_version, kind)
                .unwrap_or_else(|| panic!("{api_version} {kind}"));
            assert!(
                table.message(id).is_some_and(|fields| !fields.is_empty()),
                "{id}"
            );
        }
    }

    #[test]
    fn table_knows_go_pointers_and_inline_structs() {
        let table = Table::get().unwrap();
        let spec = table.message("apps.v1.DeploymentSpec").unwrap();
        assert_eq!(
            spec[0],
            Field(1, "replicas".into(), Type::Int32, Mode::Pointer)
        );
        let scale = table.message("autoscaling.v1.ScaleSpec").unwrap();
        assert_eq!(
            scale[0],
            Field(1, "replicas".into(), Type::Int32, Mode::OmitEmpty)
        );
        let volume = table.message("core.v1.Volume").unwrap();
        assert_eq!(
            volume[1],
            Field(
                2,
                String::new(),
                Type::Message("core.v1.VolumeSource".into()),
                Mode::Inline
            )
        );
    }

    #[test]
    fn every_message_reference_resolves() {
        let table = Table::get().unwrap();
        for fields in table.messages.values() {
            for field in fields {
                if let Type::Message(id) = field.ty() {
                    assert!(
                        table.message(id).is_some(),
                        "{id} is referenced but missing"
                    );
                }
            }
        }
    }
}
