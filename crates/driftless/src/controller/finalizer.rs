//! The resources finalizer: an Application that carries it is deleted only after the objects it
//! manages are (Argo CD's `resources-finalizer.argocd.argoproj.io`, honoured too). Without it,
//! deleting an Application leaves its objects in place.

use driftless_core::application::Application;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::json;

/// Driftless's resources finalizer.
pub const RESOURCES_FINALIZER: &str = "driftless.dev/resources-finalizer";
/// Argo CD's spelling of the same finalizer.
pub const ARGO_RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

fn is_resources_finalizer(finalizer: &str) -> bool {
    finalizer == RESOURCES_FINALIZER || finalizer == ARGO_RESOURCES_FINALIZER
}

/// True when `app` asks for its objects to be deleted with it.
pub fn has_resources_finalizer(app: &Application) -> bool {
    app.metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| is_resources_finalizer(f))
}

/// Removes the resources finalizers from `app`, keeping any other; refused (409) when the
/// Application changed since it was read, so another writer's finalizer is never lost.
pub async fn remove_resources_finalizers(
    client: &Client,
    app: &Application,
) -> Result<(), kube::Error> {
    let remaining: Vec<&String> = app
        .metadata
        .finalizers
        .iter()
        .flatten()
        .filter(|f| !is_resources_finalizer(f))
        .collect();
    let patch = json!({"metadata": {
        "finalizers": remaining,
        "resourceVersion": app.metadata.resource_version,
    }});
    Api::<Application>::namespaced(client.clone(), app.namespace())
        .patch(app.name(), &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_ask_for_a_cascade() {
        let mut app: Application = serde_json::from_value(json!({
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"source": {"repoURL": "r"}}
        }))
        .unwrap();
        assert!(!has_resources_finalizer(&app));
        for finalizer in [RESOURCES_FINALIZER, ARGO_RESOURCES_FINALIZER] {
            app.metadata.finalizers = Some(vec!["other".to_owned(), finalizer.to_owned()]);
            assert!(has_resources_finalizer(&app));
        }
    }
}
