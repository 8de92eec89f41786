//! One line of `GET /api/v1/applications`: where an Application comes from and goes, and how
//! it is doing, without its resources and history.

use driftless_core::application::{Application, Condition, Destination};
use serde::Serialize;

/// The summary of one Application.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSummary {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// `spec.source.repoURL`.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// `spec.source.path`.
    pub path: String,
    /// `spec.source.targetRevision`.
    pub target_revision: String,
    /// `spec.destination`.
    pub destination: Destination,
    /// Synced, OutOfSync or Unknown (Unknown before the first comparison).
    pub sync: String,
    /// The commit last compared with (empty before the first comparison).
    pub revision: String,
    /// The health status (Unknown before the first comparison).
    pub health: String,
    /// `spec.suspend`.
    pub suspended: bool,
    /// True while a sync or rollback request waits in `operation`.
    pub operation_requested: bool,
    /// Phase of the last operation (Running, Succeeded, Failed), if any ran.
    pub operation_phase: Option<String>,
    /// The kstatus Ready condition, if the controller wrote one.
    pub ready: Option<Condition>,
}

impl AppSummary {
    /// The summary of `app`.
    pub fn of(app: &Application) -> Self {
        let status = app.status.clone().unwrap_or_default();
        Self {
            namespace: app.namespace().to_owned(),
            name: app.name().to_owned(),
            repo_url: app.spec.source.repo_url.clone(),
            path: app.spec.source.path.clone(),
            target_revision: app.spec.source.target_revision.clone(),
            destination: app.spec.destination.clone(),
            sync: label(&status.sync.status),
            revision: status.sync.revision.clone(),
            health: label(&status.health.status),
            suspended: app.spec.suspend,
            operation_requested: app.operation.is_some(),
            operation_phase: status.operation_state.as_ref().map(|s| label(&s.phase)),
            ready: status.conditions.into_iter().find(|c| c.type_ == "Ready"),
        }
    }
}

/// A unit-like enum as its serialised name (`Synced`, `Healthy`, ...).
fn label<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "Unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_application_never_compared_is_unknown() {
        let app: Application = serde_json::from_value(serde_json::json!({
            "metadata": {"namespace": "apps", "name": "shop"},
            "spec": {"source": {"repoURL": "https://git.example/a.git", "path": "shop"},
                     "destination": {"namespace": "shop"}}
        }))
        .unwrap();
        let summary = serde_json::to_value(AppSummary::of(&app)).unwrap();
        assert_eq!(summary["namespace"], "apps");
        assert_eq!(summary["repoURL"], "https://git.example/a.git");
        assert_eq!(summary["sync"], "Unknown");
        assert_eq!(summary["health"], "Unknown");
        assert_eq!(summary["operationPhase"], serde_json::Value::Null);
        assert_eq!(summary["ready"], serde_json::Value::Null);
    }
}
