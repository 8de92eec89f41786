//! Rollback: a sync of the revision and source a history entry recorded.

use driftless_core::application::Application;

use super::{SyncError, SyncRequest};

/// The request that restores `status.history` entry `id` (its revision and source, pruning
/// what that revision did not declare when pruning is on). Refused while automated sync is on,
/// as Argo CD refuses it, since the next reconcile would move forward again, unless `force`.
pub fn rollback_request(app: &Application, id: i64, force: bool) -> Result<SyncRequest, SyncError> {
    if app.is_automated() && !force {
        return Err(SyncError::Rollback(format!(
            "{} has automated sync on; turn it off first, or force the rollback",
            app.key()
        )));
    }
    let history = app
        .status
        .as_ref()
        .map(|s| s.history.as_slice())
        .unwrap_or_default();
    let entry = history.iter().find(|h| h.id == id).ok_or_else(|| {
        let ids: Vec<String> = history.iter().map(|h| h.id.to_string()).collect();
        SyncError::Rollback(format!(
            "{} has no history entry {id} (entries: {})",
            app.key(),
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.join(", ")
            }
        ))
    })?;
    Ok(SyncRequest {
        revision: Some(entry.revision.clone()),
        source: Some(entry.source.clone()),
        force: true,
        ..SyncRequest::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::application::{ApplicationStatus, Automated};
    use driftless_core::SourceSpec;
    use serde_json::json;

    fn app(automated: bool) -> Application {
        let mut app: Application = serde_json::from_value(json!({
            "metadata": {"name": "shop", "namespace": "apps"},
            "spec": {"source": {"repoURL": "r", "path": "now"}}
        }))
        .unwrap();
        if automated {
            app.spec.sync_policy.automated = Some(Automated::default());
        }
        let mut status = ApplicationStatus::default();
        let then = SourceSpec {
            repo_url: "r".into(),
            path: "then".into(),
            ..SourceSpec::default()
        };
        status.record_history("abc", "t", &then, 10);
        app.status = Some(status);
        app
    }

    #[test]
    fn restores_the_entry_revision_and_source() {
        let request = rollback_request(&app(false), 0, false).unwrap();
        assert_eq!(request.revision.as_deref(), Some("abc"));
        assert_eq!(request.source.unwrap().path, "then");
    }

    #[test]
    fn refused_with_automated_sync_unless_forced() {
        let error = rollback_request(&app(true), 0, false).unwrap_err();
        assert!(
            error.to_string().contains("has automated sync on"),
            "{error}"
        );
        assert!(rollback_request(&app(true), 0, true).is_ok());
    }

    #[test]
    fn unknown_entry_lists_the_known_ones() {
        let error = rollback_request(&app(false), 7, false).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("no history entry 7 (entries: 0)"),
            "{error}"
        );
    }
}
