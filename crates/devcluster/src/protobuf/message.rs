//! Table-driven decoding of one typed message into the JSON object Go's encoding/json would write for it.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::special;
use super::table::{Field, Mode, Table, Type};
use super::wire::{packed_varints, Fields, WireValue};
use super::{invalid, wire_error, ProtobufError};

/// How deep messages may nest before the body is refused.
pub const MAX_DEPTH: usize = 64;

/// Decodes messages with the generated table.
pub struct Decoder<'t> {
    table: &'t Table,
}

impl<'t> Decoder<'t> {
    /// A decoder over `table`.
    pub fn new(table: &'t Table) -> Self {
        Decoder { table }
    }

    /// Decodes `bytes` as message `id`; `path` names it in errors (e.g. `spec.template`).
    pub fn message(
        &self,
        id: &str,
        bytes: &[u8],
        path: &str,
        depth: usize,
    ) -> Result<Map<String, Value>, ProtobufError> {
        if depth > MAX_DEPTH {
            return Err(ProtobufError::TooDeep {
                path: path.to_string(),
                limit: MAX_DEPTH,
            });
        }
        let fields = self
            .table
            .message(id)
            .ok_or_else(|| ProtobufError::UnknownMessage(id.to_string()))?;
        let mut seen: HashMap<u32, Vec<WireValue<'_>>> = HashMap::new();
        for item in Fields::new(bytes) {
            let (number, value) = item.map_err(wire_error(path))?;
            seen.entry(number).or_default().push(value);
        }
        let mut out = Map::new();
        for field in fields {
            if let Some(values) = seen.get(&field.number()) {
                self.field(field, values, path, depth, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Writes one field (all its occurrences on the wire) into `out`.
    fn field(
        &self,
        field: &Field,
        values: &[WireValue<'_>],
        parent: &str,
        depth: usize,
        out: &mut Map<String, Value>,
    ) -> Result<(), ProtobufError> {
        let path = child_path(parent, field.name());
        let value = match field.mode() {
            Mode::List => Some(self.list(field.ty(), values, &path, depth)?),
            Mode::Map => Some(self.map(field.ty(), values, &path, depth)?),
            Mode::Inline => {
                let Type::Message(id) = field.ty() else {
                    return Err(invalid(&path, "an inline field must be a message"));
                };
                let merged = merge_messages(values, &path)?;
                out.extend(self.message(id, &merged, &path, depth + 1)?);
                None
            }
            mode => self
                .singular(field.ty(), values, &path, depth)?
                .filter(|v| mode != Mode::OmitEmpty || !is_zero(v)),
        };
        if let Some(value) = value {
            out.insert(field.name().to_string(), value);
        }
        Ok(())
    }

    /// A non-repeated field: the last occurrence of a scalar wins; message occurrences merge.
    fn singular(
        &self,
        ty: &Type,
        values: &[WireValue<'_>],
        path: &str,
        depth: usize,
    ) -> Result<Option<Value>, ProtobufError> {
        if is_scalar(ty) {
            return values
                .last()
                .map(|v| self.value(ty, *v, path, depth))
                .transpose();
        }
        let merged = merge_messages(values, path)?;
        self.value(ty, WireValue::Bytes(&merged), path, depth)
            .map(Some)
    }

    /// A repeated field: every occurrence in order, unpacking packed varints.
    fn list(
        &self,
        ty: &Type,
        values: &[WireValue<'_>],
        path: &str,
        depth: usize,
    ) -> Result<Value, ProtobufError> {
        let mut items = Vec::with_capacity(values.len());
        for (i, value) in values.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            match (ty, value) {
                (Type::Int32 | Type::Int64 | Type::Bool, WireValue::Bytes(packed)) => {
                    let unpacked = packed_varints(packed).map_err(wire_error(&item_path))?;
                    for v in unpacked {
                        items.push(self.value(ty, WireValue::Varint(v), &item_path, depth)?);
                    }
                }
                _ => items.push(self.value(ty, *value, &item_path, depth)?),
            }
        }
        Ok(Value::Array(items))
    }

    /// A `map<string, T>`: entries `{1: key, 2: value}`; a later duplicate key wins.
    fn map(
        &self,
        ty: &Type,
        values: &[WireValue<'_>],
        path: &str,
        depth: usize,
    ) -> Result<Value, ProtobufError> {
        let mut out = Map::new();
        for value in values {
            let WireValue::Bytes(entry) = value else {
                return Err(wrong_type(path, "length-delimited", value));
            };
            let (mut key, mut item) = (String::new(), None);
            for part in Fields::new(entry) {
                match part.map_err(wire_error(path))? {
                    (1, WireValue::Bytes(k)) => key = String::from_utf8_lossy(k).into_owned(),
                    (1, other) => return Err(wrong_type(path, "length-delimited", &other)),
                    (2, v) => item = Some(v),
                    _ => {}
                }
            }
            let item_path = format!("{path}[{key}]");
            let decoded = match item {
                Some(v) => self.value(ty, v, &item_path, depth)?,
                None => self.absent(ty, &item_path, depth)?,
            };
            out.insert(key, decoded);
        }
        Ok(Value::Object(out))
    }

    /// The JSON of a map value the entry left out: the zero value of its type.
    fn absent(&self, ty: &Type, path: &str, depth: usize) -> Result<Value, ProtobufError> {
        let zero = match ty {
            Type::Int32 | Type::Int64 | Type::Bool | Type::Double => WireValue::Varint(0),
            _ => WireValue::Bytes(&[]),
        };
        self.value(ty, zero, path, depth)
    }

    /// One value of type `ty`.
    fn value(
        &self,
        ty: &Type,
        value: WireValue<'_>,
        path: &str,
        depth: usize,
    ) -> Result<Value, ProtobufError> {
        match (ty, value) {
            (Type::Int32, WireValue::Varint(v)) => Ok(Value::from(v as i32)),
            (Type::Int64, WireValue::Varint(v)) => Ok(Value::from(v as i64)),
            (Type::Bool, WireValue::Varint(v)) => Ok(Value::Bool(v != 0)),
            (Type::Double, WireValue::Fixed64(bits)) => Number::from_f64(f64::from_bits(bits))
                .map(Value::Number)
                .ok_or_else(|| invalid(path, "a double is not a finite number")),
            (Type::String, WireValue::Bytes(b)) => {
                Ok(Value::String(String::from_utf8_lossy(b).into_owned()))
            }
            (Type::Bytes, WireValue::Bytes(b)) => Ok(special::base64(b)),
            (Type::Time, WireValue::Bytes(b)) => special::time(b, false, path),
            (Type::MicroTime, WireValue::Bytes(b)) => special::time(b, true, path),
            (Type::Duration, WireValue::Bytes(b)) => special::duration(b, path),
            (Type::Raw, WireValue::Bytes(b)) => special::raw(b, path),
            (Type::Quantity, WireValue::Bytes(b)) => special::quantity(b, path),
            (Type::IntOrString, WireValue::Bytes(b)) => special::int_or_string(b, path),
            (Type::Strings, WireValue::Bytes(b)) => special::strings(b, path),
            (Type::Message(id), WireValue::Bytes(b)) => {
                self.message(id, b, path, depth + 1).map(Value::Object)
            }
            (ty, other) => Err(wrong_type(path, expected_wire(ty), &other)),
        }
    }
}

fn is_scalar(ty: &Type) -> bool {
    matches!(
        ty,
        Type::String | Type::Int32 | Type::Int64 | Type::Bool | Type::Double | Type::Bytes
    )
}

/// Go's `omitempty` zero values, plus the zero Time, empty raw object and zero IntOrString.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// Protobuf merges repeated occurrences of a message field; concatenating their bytes does exactly that.
fn merge_messages<'a>(
    values: &[WireValue<'a>],
    path: &str,
) -> Result<Cow<'a, [u8]>, ProtobufError> {
    if let [WireValue::Bytes(only)] = values {
        return Ok(Cow::Borrowed(only));
    }
    let mut merged = Vec::new();
    for value in values {
        match value {
            WireValue::Bytes(b) => merged.extend_from_slice(b),
            other => return Err(wrong_type(path, "length-delimited", other)),
        }
    }
    Ok(Cow::Owned(merged))
}

fn expected_wire(ty: &Type) -> &'static str {
    match ty {
        Type::Int32 | Type::Int64 | Type::Bool => "varint",
        Type::Double => "64-bit",
        _ => "length-delimited",
    }
}

fn child_path(parent: &str, name: &str) -> String {
    match (parent.is_empty(), name.is_empty()) {
        (_, true) => parent.to_string(),
        (true, false) => name.to_string(),
        (false, false) => format!("{parent}.{name}"),
    }
}

fn wrong_type(path: &str, expected: &'static str, found: &WireValue<'_>) -> ProtobufError {
    ProtobufError::WrongWireType {
        path: path.to_string(),
        expected,
        found: found.wire_name(),
    }
}
