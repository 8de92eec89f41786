//! Reads: get one object, list with selectors and pagination.

use std::sync::Arc;

use base64::Engine;
use serde_json::Value;

use super::Cluster;
use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use crate::selector::{FieldSelector, LabelSelector};
use crate::store::{NsName, ObjectKey};

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// `labelSelector`.
    pub labels: LabelSelector,
    /// `fieldSelector`.
    pub fields: FieldSelector,
    /// `limit`: the most items in one page.
    pub limit: Option<usize>,
    /// `continue`: the token of the previous page.
    pub continue_token: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct ListPage {
    /// Matching objects in list order.
    pub items: Vec<Arc<Value>>,
    /// The resourceVersion the list reflects.
    pub resource_version: u64,
    /// Token for the next page, when there is one.
    pub continue_token: Option<String>,
    /// How many matching objects follow this page (only when there is a next page).
    pub remaining: Option<u64>,
}

impl Cluster {
    /// One object, or 404.
    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> ApiResult<Arc<Value>> {
        let key = object_key(rt, namespace, name);
        self.read(|s| s.store.get(&key).cloned())
            .ok_or_else(|| ApiError::not_found(&rt.group, &rt.plural, name))
    }

    /// Objects of `rt` (in `namespace`, or everywhere) that match the selectors, one page at a time.
    pub fn list(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        opts: &ListOptions,
    ) -> ApiResult<ListPage> {
        let after = opts
            .continue_token
            .as_deref()
            .map(decode_continue)
            .transpose()?;
        let resource = rt.resource_key();
        self.read(|s| {
            let matching = s
                .store
                .list(&resource, namespace, after.as_ref())
                .filter(|(_, o)| opts.fields.matches(o) && opts.labels.matches(o));
            let limit = opts.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
            let mut items = Vec::new();
            let mut last: Option<NsName> = None;
            let mut remaining = 0u64;
            for (key, object) in matching {
                if items.len() < limit {
                    items.push(object.clone());
                    last = Some(key.clone());
                } else {
                    remaining += 1;
                }
            }
            let rv = s.store.resource_version();
            let continue_token = (remaining > 0)
                .then(|| last.map(|k| encode_continue(rv, &k)))
                .flatten();
            Ok(ListPage {
                items,
                resource_version: rv,
                continue_token,
                remaining: (remaining > 0).then_some(remaining),
            })
        })
    }
}

/// The store key of an object of `rt`.
pub(crate) fn object_key(rt: &ResourceType, namespace: &str, name: &str) -> ObjectKey {
    ObjectKey {
        resource: rt.resource_key(),
        namespace: if rt.namespaced {
            namespace.to_string()
        } else {
            String::new()
        },
        name: name.to_string(),
    }
}

fn encode_continue(rv: u64, after: &NsName) -> String {
    let raw = serde_json::json!({"rv": rv, "ns": after.0, "name": after.1}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_continue(token: &str) -> ApiResult<NsName> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token:?}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    match (
        v.get("ns").and_then(Value::as_str),
        v.get("name").and_then(Value::as_str),
    ) {
        (Some(ns), Some(name)) => Ok((ns.to_string(), name.to_string())),
        _ => Err(bad()),
    }
}
