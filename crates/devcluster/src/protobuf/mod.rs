//! Decoding of `application/vnd.kubernetes.protobuf` request bodies into JSON.
//!
//! kubectl's typed clients (`kubectl create namespace|configmap|secret|deployment|job|...`) send built-in
//! objects as protobuf: the magic `k8s\0`, then a `runtime.Unknown` envelope `{1: typeMeta {1: apiVersion,
//! 2: kind}, 2: raw, 3: contentEncoding, 4: contentType}` whose `raw` is the typed message. [`decode`] turns
//! that into the JSON object the client would have sent as JSON, driven by a generated table
//! (`data/proto-table.json`, see `scripts/gen-proto-table.py`) of field numbers, JSON names and Go field kinds.
//!
//! What the JSON carries: every field present on the wire, except zero values of plain (non-pointer) Go fields
//! declared `omitempty` (Go always writes those fields, so their zero means "unset"). Pointer fields keep an
//! explicit zero (`replicas: 0`), messages are written even when empty (`emptyDir: {}`), and embedded structs
//! (`json:",inline"`) are flattened into their parent. Unknown field numbers are skipped, as Go does.
//! Departures from kubectl's own JSON, both meaning "unset": in `omitempty` fields a zero Time
//! (`creationTimestamp: null`) and a zero IntOrString (`targetPort: 0`) are left out. Without `omitempty`
//! they are written as Go does (`null`, `0`).

mod message;
mod special;
mod table;
mod wire;

#[cfg(test)]
mod tests;

use serde_json::{Map, Value};
use thiserror::Error;

pub use wire::WireError;

use message::Decoder;
use table::Table;
use wire::{Fields, WireValue};

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// Why a protobuf body could not be turned into JSON.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtobufError {
    /// The body does not start with `k8s\0`.
    #[error("the body does not start with the Kubernetes protobuf magic \"k8s\\0\"")]
    MissingMagic,
    /// The `runtime.Unknown` envelope is malformed.
    #[error("reading the runtime.Unknown envelope: {0}")]
    Envelope(WireError),
    /// The envelope names no apiVersion or no kind.
    #[error("the runtime.Unknown envelope carries no apiVersion and kind")]
    MissingTypeMeta,
    /// The envelope declares a content encoding (compression) other than none.
    #[error("content encoding {0:?} of the runtime.Unknown envelope is not supported")]
    ContentEncoding(String),
    /// The table has no message for this apiVersion and kind.
    #[error("no protobuf schema for kind {kind} of {api_version}")]
    UnknownKind {
        /// The envelope's apiVersion.
        api_version: String,
        /// The envelope's kind.
        kind: String,
    },
    /// A message refers to a type the table lacks (the table is inconsistent).
    #[error("no protobuf schema for message {0}")]
    UnknownMessage(String),
    /// The bytes of a message are malformed.
    #[error("reading {}: {source}", at(.path))]
    Wire {
        /// JSON path of the message being read.
        path: String,
        /// What was wrong with the bytes.
        source: WireError,
    },
    /// A field arrived with a wire type its schema does not allow.
    #[error("{}: expected a {expected} value, found a {found} value", at(.path))]
    WrongWireType {
        /// JSON path of the field.
        path: String,
        /// The wire type the schema asks for.
        expected: &'static str,
        /// The wire type that arrived.
        found: &'static str,
    },
    /// A value is well-formed protobuf but has no JSON form (bad timestamp, non-JSON raw object, ...).
    #[error("{}: {reason}", at(.path))]
    Invalid {
        /// JSON path of the value.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Messages nest deeper than any Kubernetes object does.
    #[error("{}: messages nest deeper than {limit} levels", at(.path))]
    TooDeep {
        /// JSON path where the limit was hit.
        path: String,
        /// The nesting limit.
        limit: usize,
    },
    /// The embedded table could not be parsed (a build problem, not a request problem).
    #[error("loading the embedded protobuf table: {0}")]
    Table(String),
}

/// Turns a wire error met while reading the message at `path` into a [`ProtobufError::Wire`].
fn wire_error(path: &str) -> impl FnOnce(WireError) -> ProtobufError + '_ {
    move |source| ProtobufError::Wire {
        path: path.to_string(),
        source,
    }
}

/// A [`ProtobufError::Invalid`] for the value at `path`.
fn invalid(path: &str, reason: impl Into<String>) -> ProtobufError {
    ProtobufError::Invalid {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Names a JSON path in an error message; the empty path is the object itself.
fn at(path: &str) -> &str {
    if path.is_empty() {
        "the object"
    } else {
        path
    }
}

/// Decodes a `application/vnd.kubernetes.protobuf` body (magic + runtime.Unknown) into the JSON object
/// kube-apiserver would have received as JSON. Errors name what could not be decoded.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let envelope = body
        .strip_prefix(MAGIC.as_slice())
        .ok_or(ProtobufError::MissingMagic)?;
    let unknown = Unknown::parse(envelope)?;
    let table = Table::get().map_err(ProtobufError::Table)?;
    let id = table
        .kind(&unknown.api_version, &unknown.kind)
        .ok_or_else(|| ProtobufError::UnknownKind {
            api_version: unknown.api_version.clone(),
            kind: unknown.kind.clone(),
        })?;
    let fields = Decoder::new(table).message(id, unknown.raw, "", 0)?;
    let mut object = Map::new();
    object.insert("apiVersion".into(), Value::String(unknown.api_version));
    object.insert("kind".into(), Value::String(unknown.kind));
    object.extend(fields);
    Ok(Value::Object(object))
}

/// The parts of `runtime.Unknown` the decoder needs.
struct Unknown<'a> {
    api_version: String,
    kind: String,
    raw: &'a [u8],
}

impl<'a> Unknown<'a> {
    /// Reads the envelope and its typeMeta; refuses compressed content.
    fn parse(bytes: &'a [u8]) -> Result<Self, ProtobufError> {
        let mut out = Unknown {
            api_version: String::new(),
            kind: String::new(),
            raw: &[],
        };
        for item in Fields::new(bytes) {
            match item.map_err(ProtobufError::Envelope)? {
                (1, WireValue::Bytes(type_meta)) => out.type_meta(type_meta)?,
                (2, WireValue::Bytes(raw)) => out.raw = raw,
                (3, WireValue::Bytes(encoding)) if !encoding.is_empty() => {
                    return Err(ProtobufError::ContentEncoding(
                        String::from_utf8_lossy(encoding).into_owned(),
                    ));
                }
                _ => {}
            }
        }
        if out.api_version.is_empty() || out.kind.is_empty() {
            return Err(ProtobufError::MissingTypeMeta);
        }
        Ok(out)
    }

    /// Reads `runtime.TypeMeta {1: apiVersion, 2: kind}`.
    fn type_meta(&mut self, bytes: &[u8]) -> Result<(), ProtobufError> {
        for item in Fields::new(bytes) {
            match item.map_err(ProtobufError::Envelope)? {
                (1, WireValue::Bytes(v)) => {
                    self.api_version = String::from_utf8_lossy(v).into_owned()
                }
                (2, WireValue::Bytes(v)) => self.kind = String::from_utf8_lossy(v).into_owned(),
                _ => {}
            }
        }
        Ok(())
    }
}
