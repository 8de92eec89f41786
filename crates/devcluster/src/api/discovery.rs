//! Discovery and OpenAPI: /version, /api, /apis, /api/v1, /apis/{group}/{version}, /openapi/v2, /openapi/v3.
//! Answers are plain JSON; clients asking for aggregated discovery accept that as the fallback.

use std::collections::HashMap;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::cluster::State;
use crate::openapi::{self, OpenApiResource};
use crate::registry::ResourceType;

/// The Kubernetes version devcluster reports.
pub const KUBERNETES_VERSION: &str = "v1.33.0";

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1", "minor": "33", "gitVersion": KUBERNETES_VERSION, "gitCommit": "devcluster",
        "gitTreeState": "clean", "buildDate": "2026-11-25T00:00:00Z", "goVersion": "rust", "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH)
    })
}

/// `/api`: the core group's versions.
pub fn core_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
}

/// `/apis`: every named group with its versions, preferred first.
pub fn group_list(state: &State) -> Value {
    let groups: Vec<Value> = state
        .registry
        .groups()
        .into_iter()
        .map(|(group, versions)| group_json(&group, &versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`: one group.
pub fn group(state: &State, name: &str) -> Option<Value> {
    let (group, versions) = state
        .registry
        .groups()
        .into_iter()
        .find(|(g, _)| g == name)?;
    let mut g = group_json(&group, &versions);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Some(g)
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let gv = |v: &String| json!({"groupVersion": format!("{group}/{v}"), "version": v});
    json!({
        "name": group,
        "versions": versions.iter().map(gv).collect::<Vec<_>>(),
        "preferredVersion": versions.first().map(gv).unwrap_or(Value::Null),
    })
}

/// `/api/v1` or `/apis/{group}/{version}`: the resources served there, with their subresources.
pub fn resource_list(state: &State, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for rt in state.registry.in_group_version(group, version) {
        resources.push(resource_json(rt));
        if rt.status {
            resources.push(json!({"name": format!("{}/status", rt.plural), "singularName": "", "namespaced": rt.namespaced, "kind": rt.kind, "verbs": ["get", "patch", "update"]}));
        }
        if rt.scale.is_some() {
            resources.push(json!({"name": format!("{}/scale", rt.plural), "singularName": "", "namespaced": rt.namespaced, "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]}));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

fn resource_json(rt: &ResourceType) -> Value {
    let mut r = json!({
        "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced, "kind": rt.kind, "verbs": rt.verbs(),
    });
    if !rt.short_names.is_empty() {
        r["shortNames"] = json!(rt.short_names);
    }
    if !rt.categories.is_empty() {
        r["categories"] = json!(rt.categories);
    }
    r
}

/// The resources of one group-version for OpenAPI documents.
fn openapi_resources<'a>(
    state: &'a State,
    filter: impl Fn(&ResourceType) -> bool + 'a,
) -> Vec<OpenApiResource<'a>> {
    state
        .registry
        .all()
        .filter(|rt| filter(rt))
        .map(|rt| OpenApiResource {
            group: &rt.group,
            version: &rt.version,
            kind: &rt.kind,
            plural: &rt.plural,
            namespaced: rt.namespaced,
            status: rt.status,
            scale: rt.scale.is_some(),
        })
        .collect()
}

/// OpenAPI documents, encoded once per registry generation (building one takes milliseconds and kubectl
/// fetches them on every invocation).
#[derive(Debug, Default)]
pub struct OpenApiCache {
    generation: Option<u64>,
    documents: HashMap<String, Option<Bytes>>,
}

const INDEX: &str = "<v3 index>";
const V2: &str = "<v2>";

impl OpenApiCache {
    /// The encoded document under `key`, built by `build` unless cached for the registry's generation.
    fn get(
        &mut self,
        state: &State,
        key: &str,
        build: impl FnOnce(&State) -> Option<Value>,
    ) -> Option<Bytes> {
        if self.generation != Some(state.registry.generation()) {
            self.documents.clear();
            self.generation = Some(state.registry.generation());
        }
        self.documents
            .entry(key.to_string())
            .or_insert_with(|| {
                build(state).map(|doc| Bytes::from(serde_json::to_vec(&doc).unwrap_or_default()))
            })
            .clone()
    }

    /// `/openapi/v3/{path}` where path is `api/v1` or `apis/{group}/{version}`.
    pub fn v3_document(&mut self, state: &State, path: &str) -> Option<Bytes> {
        self.get(state, path, |s| build_v3_document(s, path))
    }

    /// `/openapi/v3`: the index, with a hash of each document so clients cache correctly.
    pub fn v3_index(&mut self, state: &State) -> Option<Bytes> {
        if let Some(cached) = self.cached(state, INDEX) {
            return Some(cached);
        }
        let mut gvs: Vec<(String, String)> = state
            .registry
            .all()
            .map(|rt| (rt.group.clone(), rt.version.clone()))
            .collect();
        gvs.sort();
        gvs.dedup();
        let entries: Vec<(String, String)> = gvs
            .into_iter()
            .map(|(g, v)| {
                let path = if g.is_empty() {
                    format!("api/{v}")
                } else {
                    format!("apis/{g}/{v}")
                };
                let hash = self
                    .v3_document(state, &path)
                    .map(|d| hash_of(&d))
                    .unwrap_or_default();
                (path, hash)
            })
            .collect();
        self.get(state, INDEX, |_| Some(openapi::v3_index(&entries)))
    }

    /// `/openapi/v2`: one Swagger document for everything.
    pub fn v2(&mut self, state: &State) -> Option<Bytes> {
        self.get(state, V2, |s| {
            Some(openapi::v2_document(
                &s.schemas,
                &openapi_resources(s, |_| true),
            ))
        })
    }

    fn cached(&self, state: &State, key: &str) -> Option<Bytes> {
        if self.generation != Some(state.registry.generation()) {
            return None;
        }
        self.documents.get(key).cloned().flatten()
    }
}

fn build_v3_document(state: &State, path: &str) -> Option<Value> {
    let (group, version) = split_gv_path(path)?;
    let resources = openapi_resources(state, |rt| rt.group == group && rt.version == version);
    if resources.is_empty() {
        return None;
    }
    Some(openapi::v3_document(
        &state.schemas,
        &group,
        &version,
        &resources,
    ))
}

fn split_gv_path(path: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", v] => Some((String::new(), v.to_string())),
        ["apis", g, v] => Some((g.to_string(), v.to_string())),
        _ => None,
    }
}

/// A stable hash of an encoded document (FNV-1a), hex-encoded.
fn hash_of(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}
