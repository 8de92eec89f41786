//! The ResourceManager: the verbs the sync engine uses on objects of any kind, each counted
//! so that tests, benchmarks and metrics can see what a sync cost.

use std::sync::atomic::{AtomicU64, Ordering};

use driftless_core::tracking::FIELD_MANAGER;
use driftless_core::ObjectRef;
use kube::api::{DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PropagationPolicy};
use kube::core::GroupVersionKind;
use kube::{Api, Client};
use serde_json::Value;

use super::{ClusterError, Discovery, Resolved};

/// Requests made so far, by verb.
#[derive(Debug, Default)]
pub struct ApiStats {
    /// GETs of single objects.
    pub gets: AtomicU64,
    /// LISTs.
    pub lists: AtomicU64,
    /// Server-side apply dry-runs.
    pub dry_runs: AtomicU64,
    /// Server-side applies that were stored.
    pub applies: AtomicU64,
    /// DELETEs.
    pub deletes: AtomicU64,
}

impl ApiStats {
    /// (dry-runs, applies + deletes) so far: what "a sync did no work" is measured with.
    pub fn dry_runs_and_writes(&self) -> (u64, u64) {
        (
            self.dry_runs.load(Ordering::Relaxed),
            self.applies.load(Ordering::Relaxed) + self.deletes.load(Ordering::Relaxed),
        )
    }
}

/// The items of a LIST response, kept as JSON.
#[derive(serde::Deserialize)]
struct ValueList {
    #[serde(default)]
    items: Vec<Value>,
}

/// The outcome of a delete request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The object is gone (or was already).
    Gone,
    /// Deletion started; finalizers or dependents keep the object for now.
    Pending,
}

/// Reads and writes objects of any kind in one cluster, resolving kinds through a cached
/// [`Discovery`]. Every write is a server-side apply by field manager `driftless`, forced.
pub struct ResourceManager {
    client: Client,
    discovery: Discovery,
    stats: ApiStats,
}

impl ResourceManager {
    /// A manager over `client` with an empty discovery cache.
    pub fn new(client: Client) -> Self {
        Self {
            discovery: Discovery::new(client.clone()),
            client,
            stats: ApiStats::default(),
        }
    }

    /// The client, for callers that need typed APIs.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The discovery cache.
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }

    /// Requests made so far.
    pub fn stats(&self) -> &ApiStats {
        &self.stats
    }

    /// The resource serving `object`'s kind; [`ClusterError::UnknownKind`] when not served.
    pub async fn resolve(&self, object: &ObjectRef) -> Result<Resolved, ClusterError> {
        let gvk = GroupVersionKind::gvk(&object.group, &object.version, &object.kind);
        self.discovery
            .resolve(&gvk)
            .await?
            .ok_or_else(|| ClusterError::UnknownKind {
                object: Box::new(object.clone()),
                kind: object.kind.clone(),
                api_version: object.api_version(),
            })
    }

    /// The live object, `None` when it does not exist.
    pub async fn get(&self, object: &ObjectRef) -> Result<Option<Value>, ClusterError> {
        let resolved = self.resolve(object).await?;
        self.stats.gets.fetch_add(1, Ordering::Relaxed);
        let found = self
            .api(&resolved, &object.namespace)
            .get_opt(&object.name)
            .await
            .map_err(|e| ClusterError::api(object, "get", e))?;
        found.map(|o| to_value(object, "get", o)).transpose()
    }

    /// Objects of `resolved`'s kind in `namespace` (all namespaces when empty) matching the
    /// label `selector` (every object when empty), decoded straight into JSON values with
    /// `apiVersion` and `kind` filled in (list items often omit them).
    pub async fn list(
        &self,
        resolved: &Resolved,
        namespace: &str,
        selector: &str,
    ) -> Result<Vec<Value>, ClusterError> {
        self.stats.lists.fetch_add(1, Ordering::Relaxed);
        let scope = (resolved.namespaced && !namespace.is_empty()).then_some(namespace);
        let url = <DynamicObject as kube::Resource>::url_path(&resolved.resource, scope);
        let mut params = ListParams::default();
        if !selector.is_empty() {
            params = params.labels(selector);
        }
        let kind_ref = kind_ref(resolved);
        let request = kube::core::Request::new(url)
            .list(&params)
            .map_err(|e| ClusterError::api(&kind_ref, "list", kube::Error::BuildRequest(e)))?;
        let list: ValueList = self
            .client
            .request(request)
            .await
            .map_err(|e| ClusterError::api(&kind_ref, "list", e))?;
        let api_version = Value::String(resolved.resource.api_version.clone());
        let kind = Value::String(resolved.resource.kind.clone());
        Ok(list
            .items
            .into_iter()
            .map(|mut item| {
                if let Some(object) = item.as_object_mut() {
                    object
                        .entry("apiVersion")
                        .or_insert_with(|| api_version.clone());
                    object.entry("kind").or_insert_with(|| kind.clone());
                }
                item
            })
            .collect())
    }

    /// Server-side applies `manifest` (forced, field manager `driftless`) and returns the
    /// object as stored, or as it would be stored when `dry_run` is set.
    pub async fn apply(
        &self,
        object: &ObjectRef,
        manifest: &Value,
        dry_run: bool,
    ) -> Result<Value, ClusterError> {
        let resolved = self.resolve(object).await?;
        let mut params = PatchParams::apply(FIELD_MANAGER).force();
        let verb = if dry_run {
            params = params.dry_run();
            self.stats.dry_runs.fetch_add(1, Ordering::Relaxed);
            "dry-run"
        } else {
            self.stats.applies.fetch_add(1, Ordering::Relaxed);
            "apply"
        };
        let applied = self
            .api(&resolved, &object.namespace)
            .patch(&object.name, &params, &Patch::Apply(manifest))
            .await
            .map_err(|e| ClusterError::api(object, verb, e))?;
        to_value(object, verb, applied)
    }

    /// Deletes `object` with the given propagation; an absent object counts as gone.
    pub async fn delete(
        &self,
        object: &ObjectRef,
        propagation: PropagationPolicy,
    ) -> Result<Deleted, ClusterError> {
        let resolved = self.resolve(object).await?;
        self.stats.deletes.fetch_add(1, Ordering::Relaxed);
        let params = DeleteParams {
            propagation_policy: Some(propagation),
            ..DeleteParams::default()
        };
        match self
            .api(&resolved, &object.namespace)
            .delete(&object.name, &params)
            .await
        {
            Ok(either) if either.is_left() => Ok(Deleted::Pending),
            Ok(_) => Ok(Deleted::Gone),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(Deleted::Gone),
            Err(e) => Err(ClusterError::api(object, "delete", e)),
        }
    }

    fn api(&self, resolved: &Resolved, namespace: &str) -> Api<DynamicObject> {
        if resolved.namespaced {
            Api::namespaced_with(self.client.clone(), namespace, &resolved.resource)
        } else {
            Api::all_with(self.client.clone(), &resolved.resource)
        }
    }
}

/// A reference naming a whole kind (no namespace or name), for errors of LIST requests.
fn kind_ref(resolved: &Resolved) -> ObjectRef {
    ObjectRef {
        group: resolved.resource.group.clone(),
        version: resolved.resource.version.clone(),
        kind: resolved.resource.kind.clone(),
        ..ObjectRef::default()
    }
}

fn to_value(
    object: &ObjectRef,
    verb: &'static str,
    found: DynamicObject,
) -> Result<Value, ClusterError> {
    serde_json::to_value(found).map_err(|e| ClusterError::Decode {
        object: Box::new(object.clone()),
        verb,
        message: e.to_string(),
    })
}
