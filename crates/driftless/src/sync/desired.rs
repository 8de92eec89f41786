//! The desired objects of one sync: rendered manifests given their namespace, stamped with the
//! tracking label and annotation, hashed, with their sync options and hook settings.

use std::collections::HashMap;

use driftless_core::plan::{self, SyncOptions};
use driftless_core::tracking;
use driftless_core::Manifest;
use kube::core::GroupVersionKind;
use serde_json::Value;

use super::SyncError;
use crate::cluster::{hash_of, Desired, ResourceManager};

/// Namespace given to namespaced objects when neither they nor the destination name one.
const DEFAULT_NAMESPACE: &str = "default";

/// Turns rendered manifests into [`Desired`] objects for Application `app_namespace/app_name`.
/// Fails, naming the object, when a kind is neither served nor defined by a CRD in the set,
/// or when an annotation is malformed.
pub async fn prepare(
    manager: &ResourceManager,
    manifests: &[Manifest],
    app_namespace: &str,
    app_name: &str,
    destination_namespace: &str,
    app_options: &SyncOptions,
    run_suffix: &str,
) -> Result<Vec<Desired>, SyncError> {
    let defined = kinds_defined_by_crds(manifests);
    let mut desired = Vec::with_capacity(manifests.len());
    for manifest in manifests {
        let named = name_generated_hook(manifest, run_suffix)?;
        let manifest = named.as_ref().unwrap_or(manifest);
        let mut object = manifest.object_ref().map_err(|e| SyncError::Manifest {
            origin: manifest.origin.clone(),
            message: e.to_string(),
        })?;
        let gvk = GroupVersionKind::gvk(&object.group, &object.version, &object.kind);
        let (namespaced, compare_later) = match manager.discovery().resolve(&gvk).await? {
            Some(resolved) => (resolved.namespaced, false),
            None => match defined.get(&(object.group.clone(), object.kind.clone())) {
                Some(namespaced) => (*namespaced, true),
                None => {
                    return Err(SyncError::UnknownKind {
                        object: Box::new(object),
                        origin: manifest.origin.clone(),
                    })
                }
            },
        };
        object.namespace = match (namespaced, object.namespace.is_empty()) {
            (false, _) => String::new(),
            (true, false) => object.namespace,
            (true, true) if destination_namespace.is_empty() => DEFAULT_NAMESPACE.to_owned(),
            (true, true) => destination_namespace.to_owned(),
        };
        let mut value = manifest.object.clone();
        set_namespace(&mut value, &object.namespace);
        tracking::stamp(&mut value, app_namespace, app_name, &object);
        let options = app_options.for_object(&value)?;
        let hook = plan::hook_of(&value)?;
        desired.push(Desired {
            hash: hash_of(&value),
            object,
            manifest: value,
            origin: manifest.origin.clone(),
            options,
            hook,
            compare_later,
            kind_served: !compare_later,
        });
    }
    Ok(desired)
}

/// A hook that has a `generateName` and no name gets `<generateName><run_suffix>`, so each
/// sync runs a new one (as Kubernetes would name it; server-side apply needs the name up
/// front). `None` when the manifest needs no name.
fn name_generated_hook(
    manifest: &Manifest,
    run_suffix: &str,
) -> Result<Option<Manifest>, SyncError> {
    let (None, Some(prefix)) = (manifest.name(), manifest.generate_name()) else {
        return Ok(None);
    };
    if plan::hook_of(&manifest.object)?.is_none() {
        return Ok(None);
    }
    let name = format!("{prefix}{run_suffix}");
    let mut named = manifest.clone();
    if let Some(metadata) = named
        .object
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
    {
        metadata.remove("generateName");
        metadata.insert("name".to_owned(), Value::String(name));
    }
    Ok(Some(named))
}

/// (group, kind) -> namespaced, for every CustomResourceDefinition among the manifests.
fn kinds_defined_by_crds(manifests: &[Manifest]) -> HashMap<(String, String), bool> {
    manifests
        .iter()
        .filter(|m| m.kind() == Some("CustomResourceDefinition"))
        .filter_map(|m| {
            let spec = m.object.get("spec")?;
            let group = spec.get("group")?.as_str()?;
            let kind = spec.pointer("/names/kind")?.as_str()?;
            let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
            Some(((group.to_owned(), kind.to_owned()), namespaced))
        })
        .collect()
}

fn set_namespace(object: &mut Value, namespace: &str) {
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        if namespace.is_empty() {
            metadata.remove("namespace");
        } else {
            metadata.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
        }
    }
}
