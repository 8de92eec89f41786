//! The Application's status after a sync, and writing it through the /status subresource with
//! server-side apply.

use driftless_core::application::{
    Application, ApplicationStatus, Condition, OperationPhase, OperationState, ResourceStatus,
    SyncStatus, SyncStatusCode,
};
use driftless_core::tracking::FIELD_MANAGER;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::json;

use super::SyncOutcome;
use crate::cluster::{AppliedState, ClusterError};
use driftless_core::ObjectRef;

/// Now, RFC 3339, whole seconds.
pub fn now_rfc3339() -> String {
    jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Times of one sync, RFC 3339.
pub struct Times<'a> {
    /// When it started.
    pub started: &'a str,
    /// When it ended.
    pub finished: &'a str,
}

/// The status after `outcome`, starting from `app`'s current status: sync, health, resources
/// (with the hash and resourceVersion that let the next sync skip them), inventory, operation
/// state, kstatus conditions, and a history entry when an operation succeeded.
pub fn status_after(
    app: &Application,
    outcome: &SyncOutcome,
    state: &AppliedState,
    times: &Times<'_>,
) -> ApplicationStatus {
    let mut status = app.status.clone().unwrap_or_default();
    status.observed_generation = app.metadata.generation;
    status.last_attempted_revision = outcome.revision.clone();
    if outcome.error.is_none() || !outcome.resources.is_empty() {
        status.sync = SyncStatus {
            status: outcome.sync,
            revision: outcome.revision.clone(),
        };
        status.health = outcome.health.clone();
        status.resources = outcome
            .resources
            .iter()
            .map(|r| {
                let recorded = state.get(&r.object).cloned().unwrap_or_default();
                ResourceStatus {
                    object: r.object.clone(),
                    status: r.sync,
                    health: Some(r.health.clone()),
                    applied_hash: recorded.hash,
                    resource_version: recorded.resource_version,
                    live_digest: recorded.live_digest,
                }
            })
            .collect();
        status.inventory = outcome.inventory.clone();
    } else {
        status.sync.status = SyncStatusCode::Unknown;
    }
    if outcome.operated || (outcome.error.is_some() && !outcome.compared_only) {
        status.operation_state = Some(OperationState {
            phase: if outcome.succeeded() {
                OperationPhase::Succeeded
            } else {
                OperationPhase::Failed
            },
            message: outcome
                .error
                .clone()
                .unwrap_or_else(|| outcome.changes.summary()),
            started_at: times.started.to_owned(),
            finished_at: times.finished.to_owned(),
            revision: outcome.revision.clone(),
            changes: outcome.changes.changes().cloned().collect(),
        });
    }
    if outcome.succeeded() && outcome.operated {
        status.last_applied_revision = outcome.revision.clone();
        status.record_history(
            &outcome.revision,
            times.finished,
            &outcome.source,
            app.history_limit(),
        );
    }
    let previous = std::mem::take(&mut status.conditions);
    status.conditions = conditions(outcome, app.metadata.generation, times.finished)
        .into_iter()
        .map(|condition| keep_transition_time(condition, &previous))
        .collect();
    status
}

/// kstatus conditions: Ready (True when synced and healthy), Reconciling, Stalled.
fn conditions(outcome: &SyncOutcome, generation: Option<i64>, now: &str) -> Vec<Condition> {
    let condition = |type_: &str, status: bool, reason: &str, message: &str| Condition {
        type_: type_.to_owned(),
        status: if status { "True" } else { "False" }.to_owned(),
        reason: reason.to_owned(),
        message: message.to_owned(),
        last_transition_time: now.to_owned(),
        observed_generation: generation,
    };
    let healthy = matches!(
        outcome.health.status,
        driftless_core::health::HealthStatus::Healthy
    );
    let mut conditions = Vec::new();
    match &outcome.error {
        Some(error) => {
            let reason = match (outcome.compared_only, outcome.terminal) {
                (true, _) => "ComparisonFailed",
                (false, true) => "SyncFailed",
                (false, false) => "ReconciliationFailed",
            };
            conditions.push(condition("Ready", false, reason, error));
            if outcome.terminal {
                conditions.push(condition("Stalled", true, reason, error));
            }
        }
        None if outcome.sync == SyncStatusCode::Synced && healthy => {
            conditions.push(condition(
                "Ready",
                true,
                "ReconciliationSucceeded",
                &outcome.changes.summary(),
            ));
        }
        None => {
            let message = format!(
                "sync {:?}, health {:?}",
                outcome.sync, outcome.health.status
            );
            conditions.push(condition("Ready", false, "Progressing", &message));
            conditions.push(condition("Reconciling", true, "Progressing", &message));
        }
    }
    conditions
}

/// A condition whose type and status did not change keeps its lastTransitionTime.
fn keep_transition_time(mut condition: Condition, previous: &[Condition]) -> Condition {
    if let Some(before) = previous
        .iter()
        .find(|p| p.type_ == condition.type_ && p.status == condition.status)
    {
        condition.last_transition_time = before.last_transition_time.clone();
    }
    condition
}

/// Writes `status` to the Application in the cluster through /status (server-side apply,
/// field manager `driftless`, forced).
pub async fn write_status(
    client: &Client,
    app: &Application,
    status: &ApplicationStatus,
) -> Result<(), ClusterError> {
    let (namespace, name) = (app.namespace(), app.name());
    let api: Api<Application> = Api::namespaced(client.clone(), namespace);
    let patch = json!({
        "apiVersion": app.api_version,
        "kind": app.kind,
        "metadata": {"name": name, "namespace": namespace},
        "status": status,
    });
    api.patch_status(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map(|_| ())
    .map_err(|e| ClusterError::api(&app_ref(app), "status update", e))
}

/// The Application's own reference.
pub fn app_ref(app: &Application) -> ObjectRef {
    ObjectRef {
        group: driftless_core::application::GROUP.to_owned(),
        version: driftless_core::application::VERSION.to_owned(),
        kind: driftless_core::application::KIND.to_owned(),
        namespace: app.namespace().to_owned(),
        name: app.name().to_owned(),
    }
}
