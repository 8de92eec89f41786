//! Server-side printing: the `meta.k8s.io` Table that `kubectl get` asks for
//! (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with kube-apiserver's columns for the built-in
//! kinds and the CRD's `additionalPrinterColumns` for custom resources. Pure: objects in, a Table out.

mod age;
mod cells;
mod columns;
mod custom;
mod event;
mod pod;
mod policy;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::registry::ResourceType;
use cells::Cx;
use columns::Column;
use custom::CustomColumn;

/// The Table version a client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableVersion {
    /// `meta.k8s.io/v1`.
    V1,
    /// `meta.k8s.io/v1beta1`.
    V1Beta1,
}

impl TableVersion {
    fn api_version(self) -> &'static str {
        match self {
            TableVersion::V1 => "meta.k8s.io/v1",
            TableVersion::V1Beta1 => "meta.k8s.io/v1beta1",
        }
    }
}

/// The Table version of the first `application/json;as=Table;g=meta.k8s.io` media type in an Accept header,
/// or `None` when the client wants plain objects.
pub fn requested(accept: &str) -> Option<TableVersion> {
    accept.split(',').find_map(|media| {
        let mut parts = media.split(';').map(str::trim);
        if parts.next()? != "application/json" {
            return None;
        }
        let params: Vec<(&str, &str)> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        if param("as") != Some("Table") || param("g") != Some("meta.k8s.io") {
            return None;
        }
        match param("v") {
            Some("v1") => Some(TableVersion::V1),
            Some("v1beta1") => Some(TableVersion::V1Beta1),
            _ => None,
        }
    })
}

/// What each row carries besides its cells (the `includeObject` parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// Nothing.
    None,
    /// The object's metadata, as a PartialObjectMetadata (the default).
    Metadata,
    /// The whole object.
    Object,
}

impl IncludeObject {
    /// Parses `includeObject`; absent or empty means Metadata.
    pub fn parse(value: Option<&str>) -> Result<IncludeObject, String> {
        match value.unwrap_or("") {
            "" | "Metadata" => Ok(IncludeObject::Metadata),
            "None" => Ok(IncludeObject::None),
            "Object" => Ok(IncludeObject::Object),
            other => Err(format!(
                "includeObject: unsupported value {other:?}, must be one of None, Metadata, Object"
            )),
        }
    }
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct TableOptions {
    /// The Table version to answer.
    pub version: TableVersion,
    /// What rows carry besides cells.
    pub include: IncludeObject,
    /// The time ages are measured at.
    pub now: Timestamp,
}

/// The Table of a list: `metadata` is the list's (resourceVersion, continue, remainingItemCount).
pub fn list(
    rt: &ResourceType,
    items: &[Arc<Value>],
    metadata: Value,
    options: &TableOptions,
) -> Value {
    let printer = Printer::for_type(rt);
    let rows = items
        .iter()
        .map(|item| row(&printer, rt, item, options))
        .collect();
    table(&printer, metadata, rows, options)
}

/// The Table of one object: one row, and the object's resourceVersion.
pub fn object(rt: &ResourceType, object: &Value, options: &TableOptions) -> Value {
    let printer = Printer::for_type(rt);
    let mut metadata = json!({});
    if let Some(rv) = object.pointer("/metadata/resourceVersion") {
        metadata["resourceVersion"] = rv.clone();
    }
    let rows = vec![row(&printer, rt, object, options)];
    table(&printer, metadata, rows, options)
}

fn table(printer: &Printer, metadata: Value, rows: Vec<Value>, options: &TableOptions) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": options.version.api_version(),
        "metadata": metadata,
        "columnDefinitions": printer.definitions(),
        "rows": rows,
    })
}

/// One row: the cells, and the object or its metadata as asked.
fn row(printer: &Printer, rt: &ResourceType, object: &Value, options: &TableOptions) -> Value {
    let mut row = json!({"cells": printer.cells(object, options.now)});
    match options.include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            let metadata = object.get("metadata").cloned().unwrap_or_else(|| json!({}));
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": options.version.api_version(),
                "metadata": metadata,
            });
        }
        IncludeObject::Object => {
            let mut full = object.clone();
            full["apiVersion"] = json!(rt.api_version());
            row["object"] = full;
        }
    }
    row
}

/// The columns of one type and how to fill them.
enum Printer {
    /// A built-in kind's columns.
    Builtin(&'static [Column]),
    /// A custom resource's printer columns.
    Custom(Vec<CustomColumn>),
}

impl Printer {
    fn for_type(rt: &ResourceType) -> Printer {
        if rt.custom {
            Printer::Custom(custom::columns(&rt.printer_columns))
        } else {
            Printer::Builtin(columns::builtin(&rt.group, &rt.kind))
        }
    }

    fn definitions(&self) -> Vec<Value> {
        match self {
            Printer::Builtin(columns) => columns.iter().map(Column::definition).collect(),
            Printer::Custom(columns) => columns.iter().map(|c| c.definition().clone()).collect(),
        }
    }

    fn cells(&self, object: &Value, now: Timestamp) -> Vec<Value> {
        match self {
            Printer::Builtin(columns) => {
                let cx = Cx { object, now };
                columns.iter().map(|c| c.cell(&cx)).collect()
            }
            Printer::Custom(columns) => columns.iter().map(|c| c.cell(object, now)).collect(),
        }
    }
}
