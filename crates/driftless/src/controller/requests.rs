//! Asking the controller for something by writing it on the Application, as Argo CD's CLI
//! does: a sync or rollback in `operation`, a refresh in the `driftless.dev/refresh`
//! annotation, a pause in `spec.suspend`. The CLI and the HTTP API both use these, so any
//! replica's API works and Kubernetes RBAC governs who may ask.

use driftless_core::application::{
    Application, InitiatedBy, Operation, RollbackOperation, SyncOperation,
};
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::{json, Value};

use crate::sync::status::now_rfc3339;

/// The annotation that asks for a refresh (a fresh look at Git and the cluster); its value is
/// the time it was asked, and the controller removes it once done.
pub const REFRESH_ANNOTATION: &str = "driftless.dev/refresh";

/// Why a request could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No such Application.
    #[error("application {app} not found")]
    NotFound {
        /// `namespace/name`.
        app: String,
    },
    /// The request makes no sense for this Application as it is.
    #[error("{app}: {reason}")]
    Refused {
        /// `namespace/name`.
        app: String,
        /// Why.
        reason: String,
    },
    /// The API refused or could not be reached.
    #[error("{step} {app}: {source}")]
    Api {
        /// What was being done.
        step: &'static str,
        /// `namespace/name`.
        app: String,
        /// The API's answer.
        #[source]
        source: kube::Error,
    },
}

impl RequestError {
    /// True when the Application does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RequestError::NotFound { .. })
    }
}

/// Reads one Application.
pub async fn get(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Application, RequestError> {
    Api::<Application>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(|source| RequestError::Api {
            step: "reading",
            app: format!("{namespace}/{name}"),
            source,
        })?
        .ok_or_else(|| RequestError::NotFound {
            app: format!("{namespace}/{name}"),
        })
}

/// Asks for a sync of `revision` (empty: the target revision); `prune` overrides the policy.
pub async fn request_sync(
    client: &Client,
    namespace: &str,
    name: &str,
    revision: &str,
    prune: Option<bool>,
    username: &str,
) -> Result<Application, RequestError> {
    get(client, namespace, name).await?;
    let operation = Operation {
        sync: Some(SyncOperation {
            revision: revision.to_owned(),
            prune,
        }),
        rollback: None,
        initiated_by: initiated_by(username),
    };
    set_operation(client, namespace, name, &operation).await
}

/// Asks for a rollback to history entry `id`. Refused here already when the entry does not
/// exist, or when automated sync is on and `force` is not set (the controller would refuse it).
pub async fn request_rollback(
    client: &Client,
    namespace: &str,
    name: &str,
    id: i64,
    force: bool,
    username: &str,
) -> Result<Application, RequestError> {
    let app = get(client, namespace, name).await?;
    crate::sync::rollback_request(&app, id, force).map_err(|e| RequestError::Refused {
        app: app.key(),
        reason: e.to_string(),
    })?;
    let operation = Operation {
        sync: None,
        rollback: Some(RollbackOperation { id, force }),
        initiated_by: initiated_by(username),
    };
    set_operation(client, namespace, name, &operation).await
}

/// Asks for a refresh: the controller compares Git and the cluster again now (and syncs when
/// automated), then removes the annotation.
pub async fn request_refresh(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Application, RequestError> {
    get(client, namespace, name).await?;
    let patch = json!({"metadata": {"annotations": {REFRESH_ANNOTATION: now_rfc3339()}}});
    merge(client, namespace, name, "requesting a refresh of", &patch).await
}

/// Sets `spec.suspend`: true stops every sync, poll and repair of the Application.
pub async fn set_suspend(
    client: &Client,
    namespace: &str,
    name: &str,
    suspend: bool,
) -> Result<Application, RequestError> {
    get(client, namespace, name).await?;
    let patch = json!({"spec": {"suspend": suspend}});
    merge(client, namespace, name, "suspending or resuming", &patch).await
}

/// Clears `operation` once the controller has acted on it.
pub async fn clear_operation(client: &Client, app: &Application) -> Result<(), RequestError> {
    let patch = json!({"operation": Value::Null});
    merge(
        client,
        app.namespace(),
        app.name(),
        "clearing the operation of",
        &patch,
    )
    .await
    .map(|_| ())
}

/// Removes the refresh annotation once the controller has refreshed.
pub async fn clear_refresh(client: &Client, app: &Application) -> Result<(), RequestError> {
    let patch = json!({"metadata": {"annotations": {REFRESH_ANNOTATION: Value::Null}}});
    merge(
        client,
        app.namespace(),
        app.name(),
        "clearing the refresh request of",
        &patch,
    )
    .await
    .map(|_| ())
}

/// True when `app` carries a refresh request.
pub fn wants_refresh(app: &Application) -> bool {
    app.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(REFRESH_ANNOTATION))
}

fn initiated_by(username: &str) -> Option<InitiatedBy> {
    Some(InitiatedBy {
        username: username.to_owned(),
        automated: false,
    })
}

async fn set_operation(
    client: &Client,
    namespace: &str,
    name: &str,
    operation: &Operation,
) -> Result<Application, RequestError> {
    let patch = json!({ "operation": replacing(operation) });
    merge(
        client,
        namespace,
        name,
        "requesting an operation on",
        &patch,
    )
    .await
}

/// `operation` as a merge patch that replaces any earlier request whole: every field it
/// leaves out is sent as null, so nothing of an earlier request survives.
fn replacing(operation: &Operation) -> Value {
    let sync = operation.sync.as_ref().map(|sync| {
        let revision = Some(&sync.revision).filter(|r| !r.is_empty());
        json!({"revision": revision, "prune": sync.prune})
    });
    let rollback = operation
        .rollback
        .as_ref()
        .map(|rollback| json!({"id": rollback.id, "force": rollback.force}));
    json!({
        "sync": sync,
        "rollback": rollback,
        "initiatedBy": operation.initiated_by,
    })
}

async fn merge(
    client: &Client,
    namespace: &str,
    name: &str,
    step: &'static str,
    patch: &Value,
) -> Result<Application, RequestError> {
    Api::<Application>::namespaced(client.clone(), namespace)
        .patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|source| match &source {
            kube::Error::Api(status) if status.code == 404 => RequestError::NotFound {
                app: format!("{namespace}/{name}"),
            },
            _ => RequestError::Api {
                step,
                app: format!("{namespace}/{name}"),
                source,
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_replaces_every_field_of_an_earlier_one() {
        let operation = Operation {
            sync: Some(SyncOperation::default()),
            rollback: None,
            initiated_by: initiated_by("cli"),
        };
        assert_eq!(
            replacing(&operation),
            json!({"sync": {"revision": null, "prune": null}, "rollback": null,
                   "initiatedBy": {"username": "cli", "automated": false}})
        );
    }
}
