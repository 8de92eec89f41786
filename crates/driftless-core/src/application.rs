//! The `Application` custom resource (`applications.driftless.dev/v1alpha1`): spec, operation
//! and status, spelled as Argo CD spells them, with kstatus-style conditions.

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec, CustomResourceDefinitionVersion, CustomResourceSubresourceStatus,
    CustomResourceSubresources, CustomResourceValidation, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{NamespaceResourceScope, Resource};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::changeset::ChangeEntry;
use crate::diff::IgnoreDifference;
use crate::health::Health;
use crate::object_ref::ObjectRef;
use crate::source::SourceSpec;

/// API group of the Application.
pub const GROUP: &str = "driftless.dev";
/// API version of the Application within its group.
pub const VERSION: &str = "v1alpha1";
/// Kind of the Application.
pub const KIND: &str = "Application";
/// Plural resource name of the Application.
pub const PLURAL: &str = "applications";
/// Number of history entries kept when `spec.revisionHistoryLimit` is not set.
pub const DEFAULT_HISTORY_LIMIT: usize = 10;

/// An Application: where manifests come from, where they go and how they are kept in sync.
/// `operation` is a request (sync or rollback) that the engine clears when it is done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// Always `driftless.dev/v1alpha1`.
    #[serde(default = "api_version")]
    pub api_version: String,
    /// Always `Application`.
    #[serde(default = "kind")]
    pub kind: String,
    /// Standard object metadata.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The desired state.
    pub spec: ApplicationSpec,
    /// A pending request, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// The observed state, written by the engine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplicationStatus>,
}

fn api_version() -> String {
    format!("{GROUP}/{VERSION}")
}

fn kind() -> String {
    KIND.to_owned()
}

/// What an Application declares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// Where the manifests come from and how they are rendered.
    pub source: SourceSpec,
    /// The cluster and default namespace the manifests go to.
    #[serde(default)]
    pub destination: Destination,
    /// Automation and sync options.
    #[serde(default)]
    pub sync_policy: SyncPolicy,
    /// How often the source is checked without a trigger, as a Go duration (`3m`); empty means 3m.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interval: String,
    /// Stop reconciling this Application.
    #[serde(default)]
    pub suspend: bool,
    /// Applications that must be Ready before this one is reconciled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
    /// Fields left out of the comparison with the live objects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<IgnoreDifference>,
    /// How many entries `status.history` keeps; 10 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<u32>,
}

/// The cluster and default namespace of an Application's objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    /// A registered cluster's name; `in-cluster` (or empty with no server) is the cluster
    /// the engine runs against.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// A cluster's API server URL, as an alternative to `name`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server: String,
    /// Namespace given to namespaced objects that do not name one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// How an Application is kept in sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Sync automatically when Git or the cluster changes; absent means sync on request only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<Automated>,
    /// Argo CD sync options, `Key=value` (`CreateNamespace=true`, `PruneLast=true`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    /// Retries of a failed sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStrategy>,
}

/// Automated sync settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Automated {
    /// Delete objects that Git no longer declares.
    #[serde(default)]
    pub prune: bool,
    /// Put back changes made to managed objects in the cluster.
    #[serde(default)]
    pub self_heal: bool,
    /// Let an automated sync of a revision that declares no object prune every object of the
    /// app (refused otherwise, as Argo CD refuses it).
    #[serde(default)]
    pub allow_empty: bool,
}

/// How a failed sync is retried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Maximum number of retries; negative means no limit.
    #[serde(default)]
    pub limit: i64,
    /// Delay between retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

/// Exponential backoff between retries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// First delay, as a Go duration (`5s`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub duration: String,
    /// Multiplier applied after each retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    /// Longest delay, as a Go duration (`3m`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max_duration: String,
}

/// Another Application that must be Ready first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Dependency {
    /// Its name.
    pub name: String,
    /// Its namespace; empty means this Application's namespace.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// A request to the engine, cleared when done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Sync to a revision (empty: the target revision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncOperation>,
    /// Sync the revision of a history entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<RollbackOperation>,
    /// Who asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<InitiatedBy>,
}

/// A sync request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncOperation {
    /// Revision to sync; empty means `spec.source.targetRevision`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revision: String,
    /// Prune for this sync; unset follows `syncPolicy.automated.prune`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
}

/// A rollback request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackOperation {
    /// The `status.history` entry to restore.
    pub id: i64,
    /// Roll back even though automated sync is on (it will move forward again on the next change).
    #[serde(default)]
    pub force: bool,
}

/// Who requested an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InitiatedBy {
    /// User or tool name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// True when the engine itself started it.
    #[serde(default)]
    pub automated: bool,
}

/// What the engine observed and did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// The generation of the spec this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// kstatus conditions: Ready, Reconciling, Stalled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Whether the cluster matches Git.
    #[serde(default)]
    pub sync: SyncStatus,
    /// The worst health of the managed objects.
    #[serde(default)]
    pub health: Health,
    /// One entry per managed object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceStatus>,
    /// The objects the last successful syncs applied: what pruning may delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inventory: Vec<ObjectRef>,
    /// The last operation (sync or rollback) and its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_state: Option<OperationState>,
    /// Successful syncs, oldest first, at most `revisionHistoryLimit`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// The commit of the last successful sync.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_applied_revision: String,
    /// The commit of the last attempted sync.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_attempted_revision: String,
}

/// A kstatus condition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`, `Reconciling` or `Stalled`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// A CamelCase reason.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// A human-readable message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When the status last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_transition_time: String,
    /// The generation this condition describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Sync state of an Application or of one object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SyncStatusCode {
    /// The cluster matches Git.
    Synced,
    /// The cluster differs from Git.
    OutOfSync,
    /// Not known (not compared yet, or the comparison failed).
    #[default]
    Unknown,
}

/// Sync state of an Application at a revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SyncStatus {
    /// Synced, OutOfSync or Unknown.
    pub status: SyncStatusCode,
    /// The commit compared with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revision: String,
}

/// Sync and health of one managed object, with what the engine needs to skip it next time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStatus {
    /// The object.
    #[serde(flatten)]
    pub object: ObjectRef,
    /// Synced or OutOfSync.
    pub status: SyncStatusCode,
    /// Its health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// Hash of the manifest last applied (or verified unchanged).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub applied_hash: String,
    /// The object's resourceVersion right after that apply or verification.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub resource_version: String,
    /// Digest of the object's content then (status and server fields left out), so that a
    /// change of status alone does not call for a new comparison.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub live_digest: String,
}

/// Phase of an operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OperationPhase {
    /// In progress.
    #[default]
    Running,
    /// Done, every object applied.
    Succeeded,
    /// Done, something failed.
    Failed,
}

/// The state of the last operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationState {
    /// Running, Succeeded or Failed.
    pub phase: OperationPhase,
    /// What happened, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// When it started (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub started_at: String,
    /// When it finished (RFC 3339).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub finished_at: String,
    /// The commit synced.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub revision: String,
    /// What changed, per object (unchanged objects left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeEntry>,
}

/// One successful sync.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Increasing identifier, used by rollback.
    pub id: i64,
    /// The commit deployed.
    pub revision: String,
    /// When (RFC 3339).
    pub deployed_at: String,
    /// The source as it was then.
    pub source: SourceSpec,
}

impl Application {
    /// Its namespace, `default` when unset (as the API server would give it).
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or("default")
    }

    /// Its name, empty when unset.
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    /// `namespace/name` of this Application.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }

    /// The label selector of the objects it manages (`driftless.dev/app=<value>`).
    pub fn selector(&self) -> String {
        format!(
            "{}={}",
            crate::tracking::APP_LABEL,
            crate::tracking::app_label_value(self.namespace(), self.name())
        )
    }

    /// The history limit, with the default applied.
    pub fn history_limit(&self) -> usize {
        self.spec
            .revision_history_limit
            .map_or(DEFAULT_HISTORY_LIMIT, |limit| limit as usize)
    }

    /// True when `syncPolicy.automated` is set.
    pub fn is_automated(&self) -> bool {
        self.spec.sync_policy.automated.is_some()
    }
}

impl ApplicationStatus {
    /// Records a successful sync in the history: a new entry with the next id, or, when the
    /// newest entry already holds this revision and source, that entry's time moves forward
    /// (a re-sync of the same thing is not a new deployment). Entries beyond `limit` are dropped,
    /// oldest first.
    pub fn record_history(
        &mut self,
        revision: &str,
        deployed_at: &str,
        source: &SourceSpec,
        limit: usize,
    ) {
        if let Some(last) = self.history.last_mut() {
            if last.revision == revision && &last.source == source {
                last.deployed_at = deployed_at.to_owned();
                return;
            }
        }
        let id = self
            .history
            .last()
            .map_or(0, |last| last.id.saturating_add(1));
        self.history.push(HistoryEntry {
            id,
            revision: revision.to_owned(),
            deployed_at: deployed_at.to_owned(),
            source: source.clone(),
        });
        let excess = self.history.len().saturating_sub(limit.max(1));
        self.history.drain(..excess);
    }
}

impl Resource for Application {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(KIND)
    }
    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(GROUP)
    }
    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(VERSION)
    }
    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed(PLURAL)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// The Application CustomResourceDefinition, with its OpenAPI schema generated from the Rust
/// types above, a status subresource and printer columns.
pub fn crd() -> Result<CustomResourceDefinition, serde_json::Error> {
    let schema: JSONSchemaProps = serde_json::from_value(json!({
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": schema_of::<ApplicationSpec>()?,
            "operation": schema_of::<Operation>()?,
            "status": schema_of::<ApplicationStatus>()?,
        }
    }))?;
    Ok(CustomResourceDefinition {
        metadata: ObjectMeta {
            name: Some(format!("{PLURAL}.{GROUP}")),
            ..ObjectMeta::default()
        },
        spec: CustomResourceDefinitionSpec {
            group: GROUP.to_owned(),
            names: CustomResourceDefinitionNames {
                kind: KIND.to_owned(),
                list_kind: Some(format!("{KIND}List")),
                plural: PLURAL.to_owned(),
                singular: Some("application".to_owned()),
                categories: Some(vec!["driftless".to_owned()]),
                short_names: None,
            },
            scope: "Namespaced".to_owned(),
            versions: vec![CustomResourceDefinitionVersion {
                name: VERSION.to_owned(),
                served: true,
                storage: true,
                schema: Some(CustomResourceValidation {
                    open_api_v3_schema: Some(schema),
                }),
                subresources: Some(CustomResourceSubresources {
                    status: Some(CustomResourceSubresourceStatus(json!({}))),
                    scale: None,
                }),
                additional_printer_columns: Some(printer_columns()),
                ..CustomResourceDefinitionVersion::default()
            }],
            ..CustomResourceDefinitionSpec::default()
        },
        status: None,
    })
}

/// The structural OpenAPI schema of `T`, inlined, as Kubernetes accepts it in a CRD.
fn schema_of<T: JsonSchema>() -> Result<Value, serde_json::Error> {
    let generator = schemars::generate::SchemaSettings::openapi3()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .with_transform(schemars::transform::AddNullable::default())
        .with_transform(kube::core::schema::StructuralSchemaRewriter)
        .with_transform(kube::core::schema::OptionalEnum)
        .into_generator();
    let mut schema = serde_json::to_value(generator.into_root_schema_for::<T>())?;
    if let Some(map) = schema.as_object_mut() {
        map.remove("title");
    }
    Ok(schema)
}

fn printer_columns() -> Vec<CustomResourceColumnDefinition> {
    let column = |name: &str, type_: &str, json_path: &str| CustomResourceColumnDefinition {
        name: name.to_owned(),
        type_: type_.to_owned(),
        json_path: json_path.to_owned(),
        ..CustomResourceColumnDefinition::default()
    };
    vec![
        column("Sync", "string", ".status.sync.status"),
        column("Health", "string", ".status.health.status"),
        column("Revision", "string", ".status.sync.revision"),
        column("Age", "date", ".metadata.creationTimestamp"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_design_example() {
        let app: Application = serde_json::from_value(json!({
            "apiVersion": "driftless.dev/v1alpha1", "kind": "Application",
            "metadata": {"name": "guestbook", "namespace": "driftless"},
            "spec": {
                "source": {"repoURL": "https://git.example.com/org/apps.git", "targetRevision": "main", "path": "guestbook"},
                "destination": {"name": "in-cluster", "namespace": "guestbook"},
                "syncPolicy": {"automated": {"prune": true, "selfHeal": true},
                               "syncOptions": ["CreateNamespace=true"],
                               "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}}},
                "interval": "3m",
                "dependsOn": [{"name": "infra"}],
                "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
                "revisionHistoryLimit": 3
            },
            "operation": {"sync": {"revision": "abc", "prune": true}, "initiatedBy": {"username": "cli"}}
        }))
        .unwrap();
        assert_eq!(app.key(), "driftless/guestbook");
        assert!(app.is_automated());
        assert_eq!(app.history_limit(), 3);
        assert_eq!(
            app.spec.ignore_differences[0].json_pointers,
            ["/spec/replicas"]
        );
        assert_eq!(app.operation.unwrap().sync.unwrap().revision, "abc");
    }

    #[test]
    fn history_keeps_the_last_entries_with_increasing_ids() {
        let mut status = ApplicationStatus::default();
        for revision in ["a", "b", "c", "d"] {
            status.record_history(revision, "t", &SourceSpec::default(), 2);
        }
        let kept: Vec<_> = status
            .history
            .iter()
            .map(|h| (h.id, h.revision.as_str()))
            .collect();
        assert_eq!(kept, [(2, "c"), (3, "d")]);
    }

    #[test]
    fn crd_schema_is_structural_and_names_the_fields() {
        let crd = serde_json::to_value(crd().unwrap()).unwrap();
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let spec = &schema["properties"]["spec"];
        assert_eq!(spec["type"], "object");
        assert_eq!(
            spec["properties"]["source"]["properties"]["repoURL"]["type"],
            "string"
        );
        assert_eq!(
            schema["properties"]["status"]["properties"]["sync"]["properties"]["status"]["enum"],
            json!(["Synced", "OutOfSync", "Unknown"])
        );
        assert!(!crd.to_string().contains("$ref"));
        assert_eq!(crd["metadata"]["name"], "applications.driftless.dev");
    }
}
