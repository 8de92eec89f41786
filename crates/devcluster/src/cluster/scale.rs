//! The `/scale` subresource: an `autoscaling/v1` Scale view of an object's replicas. Reads derive the Scale
//! from the object; writes change only the replicas field and go through the common write path.

use serde_json::{json, Value};

use super::options::{Subresource, WriteOptions};
use super::path::{check_precondition, existing, store_object};
use super::read::object_key;
use super::Cluster;
use crate::error::{ApiError, ApiResult, Cause};
use crate::registry::{ResourceType, ScalePaths};

impl Cluster {
    /// GET `.../{name}/scale`.
    pub fn get_scale(&self, rt: &ResourceType, namespace: &str, name: &str) -> ApiResult<Value> {
        let paths = scale_paths(rt, name)?;
        Ok(scale_of(self.get(rt, namespace, name)?.as_ref(), paths))
    }

    /// PUT or PATCH of `.../{name}/scale`: `change` edits the current Scale; its `spec.replicas` is written to
    /// the object. Returns the resulting Scale.
    pub async fn update_scale(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        change: impl FnOnce(&mut Value) -> ApiResult<()>,
        opts: &WriteOptions,
    ) -> ApiResult<Value> {
        let paths = scale_paths(rt, name)?.clone();
        self.transact(opts.dry_run, |tx| {
            let old = existing(tx, rt, namespace, name)?;
            let mut scale = scale_of(&old, &paths);
            change(&mut scale)?;
            check_precondition(rt, name, &old, &scale)?;
            let replicas = scale
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .filter(|r| *r >= 0)
                .ok_or_else(|| invalid_replicas(name, &scale))?;
            let mut new = old.as_ref().clone();
            set_path(&mut new, &paths.spec_replicas, json!(replicas));
            let key = object_key(rt, namespace, name);
            let written = store_object(
                tx,
                rt,
                &key.namespace,
                Some(old),
                new,
                opts,
                Subresource::Main,
                false,
            )?;
            Ok(scale_of(&written.object, &paths))
        })
        .await
    }
}

fn scale_paths<'a>(rt: &'a ResourceType, name: &str) -> ApiResult<&'a ScalePaths> {
    rt.scale
        .as_ref()
        .ok_or_else(|| ApiError::no_route(&format!("{}/{name}/scale", rt.plural)))
}

fn invalid_replicas(name: &str, scale: &Value) -> ApiError {
    let value = scale
        .pointer("/spec/replicas")
        .cloned()
        .unwrap_or(Value::Null);
    ApiError::invalid(
        "autoscaling",
        "Scale",
        name,
        vec![Cause {
            reason: "FieldValueInvalid".into(),
            message: format!("Invalid value: {value}: must be greater than or equal to 0"),
            field: "spec.replicas".into(),
        }],
    )
}

/// The Scale view of an object.
fn scale_of(object: &Value, paths: &ScalePaths) -> Value {
    let meta = |f: &str| {
        object
            .pointer(&format!("/metadata/{f}"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut metadata = json!({"name": meta("name"), "uid": meta("uid"), "resourceVersion": meta("resourceVersion"), "creationTimestamp": meta("creationTimestamp")});
    if let Some(ns) = object.pointer("/metadata/namespace") {
        metadata["namespace"] = ns.clone();
    }
    let spec_replicas = get_path(object, &paths.spec_replicas)
        .cloned()
        .unwrap_or(json!(0));
    let status_replicas = get_path(object, &paths.status_replicas)
        .cloned()
        .unwrap_or(json!(0));
    let mut status = json!({"replicas": status_replicas});
    if let Some(selector) = selector_of(object, paths) {
        status["selector"] = json!(selector);
    }
    json!({"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": metadata, "spec": {"replicas": spec_replicas}, "status": status})
}

/// The label selector as a string: from the declared status path, else from spec.selector.matchLabels.
fn selector_of(object: &Value, paths: &ScalePaths) -> Option<String> {
    if let Some(s) = paths
        .label_selector
        .as_deref()
        .and_then(|p| get_path(object, p))
        .and_then(Value::as_str)
    {
        return Some(s.to_string());
    }
    let labels = object.pointer("/spec/selector/matchLabels")?.as_object()?;
    Some(
        labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// A `.spec.replicas`-style path as a JSON pointer.
fn pointer(path: &str) -> String {
    path.trim_start_matches('.')
        .split('.')
        .fold(String::new(), |acc, part| format!("{acc}/{part}"))
}

fn get_path<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    object.pointer(&pointer(path))
}

fn set_path(object: &mut Value, path: &str, value: Value) {
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    let mut cursor = object;
    for (i, part) in parts.iter().enumerate() {
        let Some(map) = cursor.as_object_mut() else {
            return;
        };
        if i + 1 == parts.len() {
            map.insert((*part).to_string(), value);
            return;
        }
        cursor = map.entry((*part).to_string()).or_insert_with(|| json!({}));
    }
}
