//! Columns of custom resources: the CRD's `additionalPrinterColumns`, evaluated with the simple JSONPath subset
//! CRDs use (`.spec.size`, `.items[0]`, `.status.conditions[?(@.type=="Ready")].status`).

use serde_json::{json, Value};

use super::age;
use super::columns::{AGE_DESCRIPTION, NAME_DESCRIPTION};

/// One step of a parsed JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name`
    Field(String),
    /// `[3]`
    Index(usize),
    /// `[*]` or `.*`
    All,
    /// `[?(@.key=="value")]`: the array elements whose `key` equals `value`.
    Filter(Vec<String>, String),
}

/// A printer column of a custom resource.
#[derive(Debug, Clone)]
pub struct CustomColumn {
    definition: Value,
    ty: String,
    path: Option<Vec<Step>>,
}

impl CustomColumn {
    /// A column from one `additionalPrinterColumns` entry.
    fn from_crd(column: &Value) -> CustomColumn {
        let text = |key: &str| column.get(key).and_then(Value::as_str).unwrap_or("");
        CustomColumn {
            definition: json!({
                "name": text("name"),
                "type": text("type"),
                "format": text("format"),
                "description": text("description"),
                "priority": column.get("priority").and_then(Value::as_i64).unwrap_or(0),
            }),
            ty: text("type").to_string(),
            path: parse(text("jsonPath")),
        }
    }

    /// The column's `TableColumnDefinition`.
    pub fn definition(&self) -> &Value {
        &self.definition
    }

    /// The cell for `object`: null when the path finds nothing or the value does not fit the type.
    pub fn cell(&self, object: &Value, now: jiff::Timestamp) -> Value {
        let Some(value) = self.path.as_deref().and_then(|p| first(object, p)) else {
            return Value::Null;
        };
        match (self.ty.as_str(), value) {
            ("string", Value::String(s)) => json!(s),
            ("string", other) => json!(other.to_string()),
            ("integer", Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map_or(Value::Null, |i| json!(i)),
            ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, |f| json!(f)),
            ("boolean", Value::Bool(b)) => json!(b),
            ("date", Value::String(_)) => json!(age::since(Some(value), now)),
            _ => Value::Null,
        }
    }
}

/// The columns of a custom resource: NAME, then the CRD's printer columns (AGE when it declares none).
pub fn columns(printer_columns: &[Value]) -> Vec<CustomColumn> {
    let name = CustomColumn {
        definition: json!({"name": "Name", "type": "string", "format": "name", "description": NAME_DESCRIPTION, "priority": 0}),
        ty: "string".to_string(),
        path: parse(".metadata.name"),
    };
    let default_age = [
        json!({"name": "Age", "type": "date", "description": AGE_DESCRIPTION, "jsonPath": ".metadata.creationTimestamp"}),
    ];
    let declared = if printer_columns.is_empty() {
        &default_age[..]
    } else {
        printer_columns
    };
    std::iter::once(name)
        .chain(declared.iter().map(CustomColumn::from_crd))
        .collect()
}

/// Parses the JSONPath subset; `None` for anything outside it. Surrounding `{}` are allowed.
fn parse(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let path = path
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(path);
    let mut rest = path;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let (name, tail) = field_name(after);
            steps.push(if name == "*" {
                Step::All
            } else {
                Step::Field(name)
            });
            rest = tail;
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            steps.push(bracket(&after[..end])?);
            rest = &after[end + 1..];
        } else {
            return None;
        }
    }
    Some(steps)
}

/// A field name up to the next unescaped `.` or `[`; `\.` stands for a dot in the name.
fn field_name(text: &str) -> (String, &str) {
    let mut name = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|(_, n)| *n == '.') => {
                name.push('.');
                chars.next();
            }
            '.' | '[' => return (name, &text[i..]),
            _ => name.push(c),
        }
    }
    (name, "")
}

/// The step inside `[...]`: an index, `*`, or a `?(@.key=="value")` filter.
fn bracket(inner: &str) -> Option<Step> {
    let inner = inner.trim();
    if inner == "*" {
        return Some(Step::All);
    }
    if let Ok(index) = inner.parse::<usize>() {
        return Some(Step::Index(index));
    }
    let condition = inner.strip_prefix("?(")?.strip_suffix(')')?;
    let (left, right) = condition.split_once("==")?;
    let key = left.trim().strip_prefix("@.")?;
    let value = right.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    let key = key.split('.').map(str::to_string).collect();
    Some(Step::Filter(key, value.to_string()))
}

/// The first value `steps` reach from `root`.
fn first<'a>(root: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let mut current = vec![root];
    for step in steps {
        current = current
            .into_iter()
            .flat_map(|value| apply(value, step))
            .collect();
    }
    current.into_iter().next()
}

/// The values one step reaches from `value`.
fn apply<'a>(value: &'a Value, step: &Step) -> Vec<&'a Value> {
    match step {
        Step::Field(name) => value.get(name).into_iter().collect(),
        Step::Index(i) => value.get(*i).into_iter().collect(),
        Step::All => match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            _ => Vec::new(),
        },
        Step::Filter(key, expected) => value
            .as_array()
            .into_iter()
            .flatten()
            .filter(|item| matches(item, key, expected))
            .collect(),
    }
}

/// Whether `item.key` equals `expected` (a string, or JSON such as `3` or `true` for other values).
fn matches(item: &Value, key: &[String], expected: &str) -> bool {
    let found = key.iter().try_fold(item, |v, k| v.get(k));
    match found {
        Some(Value::String(s)) => s == expected,
        Some(other) => expected.parse::<Value>().is_ok_and(|e| e == *other),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-11-25T12:00:00Z".parse().unwrap()
    }

    fn widget() -> Value {
        json!({
            "metadata": {"name": "gear", "creationTimestamp": "2026-11-25T11:59:00Z",
                         "labels": {"app.kubernetes.io/name": "shop"}},
            "spec": {"size": 3, "color": "red", "ratio": 0.5, "enabled": true, "tags": ["a", "b"],
                     "ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]},
            "status": {"conditions": [
                {"type": "Synced", "status": "False"},
                {"type": "Ready", "status": "True"}
            ]}
        })
    }

    fn cell(ty: &str, path: &str) -> Value {
        let column = CustomColumn::from_crd(&json!({"name": "X", "type": ty, "jsonPath": path}));
        column.cell(&widget(), now())
    }

    #[test]
    fn parses_the_subset_crds_use() {
        assert_eq!(
            parse(".status.conditions[?(@.type==\"Ready\")].status"),
            Some(vec![
                Step::Field("status".into()),
                Step::Field("conditions".into()),
                Step::Filter(vec!["type".into()], "Ready".into()),
                Step::Field("status".into()),
            ])
        );
        assert_eq!(
            parse("{.spec.tags[1]}"),
            Some(vec![
                Step::Field("spec".into()),
                Step::Field("tags".into()),
                Step::Index(1)
            ])
        );
        assert_eq!(parse("spec.size"), None);
        assert_eq!(parse(".spec[?(@.a>1)]"), None);
    }

    #[test]
    fn cells_follow_the_column_type() {
        assert_eq!(cell("integer", ".spec.size"), json!(3));
        assert_eq!(cell("string", ".spec.color"), json!("red"));
        assert_eq!(cell("string", ".spec.size"), json!("3"));
        assert_eq!(cell("string", ".spec.tags"), json!("[\"a\",\"b\"]"));
        assert_eq!(cell("number", ".spec.ratio"), json!(0.5));
        assert_eq!(cell("boolean", ".spec.enabled"), json!(true));
        assert_eq!(cell("date", ".metadata.creationTimestamp"), json!("60s"));
        assert_eq!(
            cell("string", ".status.conditions[?(@.type==\"Ready\")].status"),
            json!("True")
        );
        assert_eq!(
            cell("string", ".status.conditions[?(@.type=='Synced')].status"),
            json!("False")
        );
        assert_eq!(
            cell("string", ".metadata.labels.app\\.kubernetes\\.io/name"),
            json!("shop")
        );
        assert_eq!(cell("string", ".spec.tags[*]"), json!("a"));
        assert_eq!(
            cell("string", ".spec.ports[?(@.port==443)].name"),
            json!("https")
        );
    }

    #[test]
    fn missing_or_mistyped_values_are_null() {
        assert_eq!(cell("string", ".spec.missing"), Value::Null);
        assert_eq!(cell("integer", ".spec.color"), Value::Null);
        assert_eq!(cell("boolean", ".spec.size"), Value::Null);
        assert_eq!(cell("string", "not a path"), Value::Null);
        assert_eq!(
            cell("string", ".status.conditions[?(@.type==\"Gone\")].status"),
            Value::Null
        );
    }

    #[test]
    fn name_comes_first_and_age_is_the_default() {
        let names = |cols: Vec<CustomColumn>| -> Vec<String> {
            cols.iter()
                .map(|c| c.definition()["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(columns(&[])), vec!["Name", "Age"]);
        let declared =
            [json!({"name": "Size", "type": "integer", "jsonPath": ".spec.size", "priority": 1})];
        let cols = columns(&declared);
        assert_eq!(names(cols.clone()), vec!["Name", "Size"]);
        assert_eq!(cols[0].definition()["format"], "name");
        assert_eq!(cols[1].definition()["priority"], 1);
        assert_eq!(cols[0].cell(&widget(), now()), json!("gear"));
    }
}
