//! Which resource serves a kind, cached per group/version/kind and looked up again when a
//! kind is not known yet (a CRD may have just been created) or a CRD of its group changed.

use std::collections::HashMap;
use std::sync::Mutex;

use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Scope;
use kube::Client;

use super::ClusterError;

/// How to reach objects of one kind.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Group, version, kind and plural.
    pub resource: ApiResource,
    /// True for namespaced kinds.
    pub namespaced: bool,
}

/// A discovery cache over one cluster. Only successful lookups are cached, so a kind that is
/// not served is asked about again next time.
pub struct Discovery {
    client: Client,
    cache: Mutex<HashMap<GroupVersionKind, Resolved>>,
}

impl Discovery {
    /// An empty cache over `client`.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The resource serving `gvk`, `None` when the cluster does not serve it.
    pub async fn resolve(&self, gvk: &GroupVersionKind) -> Result<Option<Resolved>, ClusterError> {
        if let Some(hit) = self.lock().get(gvk) {
            return Ok(Some(hit.clone()));
        }
        let found = match kube::discovery::pinned_kind(&self.client, gvk).await {
            Ok((resource, capabilities)) => Resolved {
                resource,
                namespaced: capabilities.scope == Scope::Namespaced,
            },
            Err(kube::Error::Api(status)) if status.code == 404 => return Ok(None),
            Err(kube::Error::Discovery(_)) => return Ok(None),
            Err(error) => {
                return Err(ClusterError::Discovery {
                    api_version: gvk.api_version(),
                    message: error.to_string(),
                })
            }
        };
        self.lock().insert(gvk.clone(), found.clone());
        Ok(Some(found))
    }

    /// Every kind the cluster serves and can list, at its group's preferred version (a full
    /// discovery; for the rare callers that must look at every kind).
    pub async fn listable_kinds(&self) -> Result<Vec<Resolved>, ClusterError> {
        let discovery = kube::discovery::Discovery::new(self.client.clone())
            .run()
            .await
            .map_err(|e| ClusterError::Discovery {
                api_version: "all groups".to_owned(),
                message: e.to_string(),
            })?;
        Ok(discovery
            .groups()
            .flat_map(|group| group.recommended_resources())
            .filter(|(_, capabilities)| {
                capabilities.supports_operation(kube::discovery::verbs::LIST)
            })
            .map(|(resource, capabilities)| Resolved {
                resource,
                namespaced: capabilities.scope == Scope::Namespaced,
            })
            .collect())
    }

    /// Forgets every kind of `group`, after one of its CRDs was created, changed or deleted.
    pub fn forget_group(&self, group: &str) {
        self.lock().retain(|gvk, _| gvk.group != group);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<GroupVersionKind, Resolved>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
