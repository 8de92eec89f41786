//! Path elements of a field set, ordered, printed and encoded exactly as structured-merge-diff
//! (the library behind kube-apiserver's server-side apply) does.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// One step of a field path: a named field, a map-list element by its key fields, a set element by
/// its value, or a list element by its index.
#[derive(Debug, Clone)]
pub enum PathElement {
    /// `f:<name>`: a field of an object or an entry of a map.
    Field(String),
    /// `k:{...}`: an element of a map-list, identified by its key fields sorted by name.
    Key(Vec<(String, Value)>),
    /// `v:<json>`: an element of a set-list, identified by its value.
    Value(Value),
    /// `i:<n>`: an element of a list by position.
    Index(usize),
}

impl PathElement {
    /// The key of a map-list element: the listed key fields that the element has (sorted by
    /// name), skipping absent or null ones.
    pub fn key_of(element: &Map<String, Value>, keys: &[String]) -> PathElement {
        let mut fields: Vec<(String, Value)> = keys
            .iter()
            .filter_map(|k| match element.get(k) {
                Some(Value::Null) | None => None,
                Some(v) => Some((k.clone(), v.clone())),
            })
            .collect();
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        PathElement::Key(fields)
    }

    /// The FieldsV1 object key of this element (`f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`).
    pub fn to_fields_v1_key(&self) -> String {
        let mut out = String::new();
        match self {
            PathElement::Field(name) => {
                out.push_str("f:");
                out.push_str(name);
            }
            PathElement::Key(fields) => {
                out.push_str("k:{");
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(name, &mut out);
                    out.push(':');
                    write_canonical_json(value, &mut out);
                }
                out.push('}');
            }
            PathElement::Value(value) => {
                out.push_str("v:");
                write_canonical_json(value, &mut out);
            }
            PathElement::Index(i) => {
                let _ = write!(out, "i:{i}");
            }
        }
        out
    }

    /// Parses a FieldsV1 object key other than `.`; `None` when it is not a valid element.
    pub fn from_fields_v1_key(key: &str) -> Option<PathElement> {
        let (prefix, rest) = key.split_at_checked(2)?;
        match prefix {
            "f:" => Some(PathElement::Field(rest.to_string())),
            "k:" => match serde_json::from_str::<Value>(rest).ok()? {
                Value::Object(map) => {
                    let mut fields: Vec<(String, Value)> = map.into_iter().collect();
                    fields.sort_by(|a, b| a.0.cmp(&b.0));
                    Some(PathElement::Key(fields))
                }
                _ => None,
            },
            "v:" => serde_json::from_str(rest).ok().map(PathElement::Value),
            "i:" => rest.parse().ok().map(PathElement::Index),
            _ => None,
        }
    }
}

impl std::fmt::Display for PathElement {
    /// kube's path syntax: `.name`, `[name="app"]`, `[="x"]`, `[0]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                f.write_str("[")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={}", display_value(value))?;
                }
                f.write_str("]")
            }
            PathElement::Value(value) => write!(f, "[={}]", display_value(value)),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Writes a path as kube prints it in conflict causes: `.spec.containers[name="app"].image`.
pub fn path_to_string(path: &[&PathElement]) -> String {
    let mut out = String::new();
    for element in path {
        let _ = write!(out, "{element}");
    }
    out
}

/// A value as structured-merge-diff's `value.ToString` prints it: strings quoted, the rest as JSON.
fn display_value(value: &Value) -> String {
    let mut out = String::new();
    write_canonical_json(value, &mut out);
    out
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PathElement {
    /// structured-merge-diff's order: fields < keys < values < indexes, then by content.
    fn cmp(&self, other: &Self) -> Ordering {
        use PathElement::*;
        match (self, other) {
            (Field(a), Field(b)) => a.cmp(b),
            (Key(a), Key(b)) => compare_key_fields(a, b),
            (Value(a), Value(b)) => compare_values(a, b),
            (Index(a), Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PathElement {
    fn rank(&self) -> u8 {
        match self {
            PathElement::Field(_) => 0,
            PathElement::Key(_) => 1,
            PathElement::Value(_) => 2,
            PathElement::Index(_) => 3,
        }
    }
}

/// Key field lists compare field by field (name, then value); a shorter prefix sorts first.
fn compare_key_fields(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for ((an, av), (bn, bv)) in a.iter().zip(b) {
        let order = an.cmp(bn).then_with(|| compare_values(av, bv));
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// structured-merge-diff's total order over values: numbers (ints and floats by value) < strings
/// < booleans < lists < maps < null.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (xi, yi) in x.iter().zip(y) {
                let order = compare_values(xi, yi);
                if order != Ordering::Equal {
                    return order;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => compare_maps(x, y),
        (Value::Null, Value::Null) => Ordering::Equal,
        _ => value_rank(a).cmp(&value_rank(b)),
    }
}

fn value_rank(value: &Value) -> u8 {
    match value {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

fn compare_numbers(x: &Number, y: &Number) -> Ordering {
    match (x.as_i64(), y.as_i64()) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => match (x.as_u64(), y.as_u64()) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let (a, b) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                a.total_cmp(&b)
            }
        },
    }
}

/// Maps compare by their sorted keys, then by the values of equal keys.
fn compare_maps(x: &Map<String, Value>, y: &Map<String, Value>) -> Ordering {
    let mut xs: Vec<(&String, &Value)> = x.iter().collect();
    let mut ys: Vec<(&String, &Value)> = y.iter().collect();
    xs.sort_by(|a, b| a.0.cmp(b.0));
    ys.sort_by(|a, b| a.0.cmp(b.0));
    for ((xk, xv), (yk, yv)) in xs.iter().zip(&ys) {
        let order = xk.cmp(yk).then_with(|| compare_values(xv, yv));
        if order != Ordering::Equal {
            return order;
        }
    }
    xs.len().cmp(&ys.len())
}

/// Compact JSON with object keys sorted and `<`, `>`, `&`, U+2028, U+2029 escaped, as Go's
/// encoding/json writes it (kube's FieldsV1 keys are produced that way).
pub fn write_canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_canonical_json(v, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(v: Value) -> PathElement {
        match v {
            Value::Object(m) => {
                let names: Vec<String> = m.keys().cloned().collect();
                PathElement::key_of(&m, &names)
            }
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn key_json_is_sorted_compact_and_html_escaped() {
        let pe = key(json!({"protocol": "TCP", "containerPort": 80}));
        assert_eq!(
            pe.to_fields_v1_key(),
            r#"k:{"containerPort":80,"protocol":"TCP"}"#
        );
        let pe = PathElement::Value(json!("a<b>&c"));
        assert_eq!(pe.to_fields_v1_key(), r#"v:"a\u003cb\u003e\u0026c""#);
    }

    #[test]
    fn fields_v1_keys_round_trip() {
        for k in [
            "f:spec",
            r#"k:{"containerPort":80,"protocol":"TCP"}"#,
            r#"v:"example.com/finalizer""#,
            "i:3",
        ] {
            let pe = PathElement::from_fields_v1_key(k).expect(k);
            assert_eq!(pe.to_fields_v1_key(), k);
        }
        assert!(PathElement::from_fields_v1_key("x:y").is_none());
        assert!(PathElement::from_fields_v1_key("k:[1]").is_none());
        assert!(PathElement::from_fields_v1_key("").is_none());
        assert!(PathElement::from_fields_v1_key("é").is_none());
    }

    #[test]
    fn order_follows_structured_merge_diff() {
        let mut v = [
            PathElement::Index(0),
            PathElement::Value(json!("b")),
            PathElement::Value(json!(2)),
            key(json!({"name": "a"})),
            PathElement::Field("z".into()),
            PathElement::Field("a".into()),
        ];
        v.sort();
        let keys: Vec<String> = v.iter().map(|p| p.to_fields_v1_key()).collect();
        assert_eq!(
            keys,
            ["f:a", "f:z", r#"k:{"name":"a"}"#, "v:2", r#"v:"b""#, "i:0"]
        );
        assert_eq!(
            PathElement::Value(json!(80)),
            PathElement::Value(json!(80.0))
        );
    }

    #[test]
    fn display_matches_kube_paths() {
        let path = [
            PathElement::Field("spec".into()),
            PathElement::Field("containers".into()),
            key(json!({"name": "app"})),
            PathElement::Field("image".into()),
        ];
        let refs: Vec<&PathElement> = path.iter().collect();
        assert_eq!(
            path_to_string(&refs),
            r#".spec.containers[name="app"].image"#
        );
        let port = key(json!({"containerPort": 80, "protocol": "TCP"}));
        assert_eq!(port.to_string(), r#"[containerPort=80,protocol="TCP"]"#);
        assert_eq!(PathElement::Value(json!("x")).to_string(), r#"[="x"]"#);
    }
}
