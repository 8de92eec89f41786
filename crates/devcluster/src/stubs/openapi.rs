//! TEMPORARY stand-in.
use crate::schema::SchemaSet;
use serde_json::{json, Value};
pub struct OpenApiResource<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    pub plural: &'a str,
    pub namespaced: bool,
    pub status: bool,
    pub scale: bool,
}
pub fn v3_index(entries: &[(String, String)]) -> Value {
    let mut paths = serde_json::Map::new();
    for (p, h) in entries {
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={h}")}),
        );
    }
    json!({"paths": paths})
}
pub fn v3_document(_s: &SchemaSet, _g: &str, _v: &str, _r: &[OpenApiResource]) -> Value {
    json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": {}, "components": {"schemas": {}}})
}
pub fn v2_document(_s: &SchemaSet, _r: &[OpenApiResource]) -> Value {
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.33.0"}, "paths": {}, "definitions": {}})
}
