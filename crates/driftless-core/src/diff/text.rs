//! A deterministic YAML rendering of objects and the unified diff between two renderings.

use serde_json::{Map, Value};
use similar::TextDiff;

use crate::object_ref::ObjectRef;

/// Lines of unchanged context around each change.
const CONTEXT_LINES: usize = 3;

/// Words that YAML readers take for booleans or null when left unquoted.
const RESERVED_WORDS: [&str; 10] = [
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

/// A unified diff from `live` to `desired` (either is nothing when absent), headed
/// `--- live <group>/<Kind> <namespace>/<name>` and `+++ desired ...`.
pub(crate) fn unified_diff(
    object: &ObjectRef,
    live: Option<&Value>,
    desired: Option<&Value>,
) -> String {
    let name = format!(
        "{}/{} {}/{}",
        object.group, object.kind, object.namespace, object.name
    );
    let old = live.map(render_yaml).unwrap_or_default();
    let new = desired.map(render_yaml).unwrap_or_default();
    TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(CONTEXT_LINES)
        .header(&format!("live {name}"), &format!("desired {name}"))
        .to_string()
}

/// Renders `value` as block YAML: map keys in sorted order, list items at their key's
/// indentation (as kubectl prints them), multi-line strings as literal blocks. Reading the
/// text back as YAML gives `value` again.
pub(crate) fn render_yaml(value: &Value) -> String {
    let mut lines = Vec::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut lines, map, 0),
        Value::Array(items) if !items.is_empty() => write_list(&mut lines, items, 0),
        scalar => write_entry(&mut lines, String::new(), scalar, 0),
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Writes map entries at `indent`, sorted by key whatever order the map keeps.
fn write_map(lines: &mut Vec<String>, map: &Map<String, Value>, indent: usize) {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by_key(|(key, _)| *key);
    for (key, value) in entries {
        let head = format!("{}{}:", spaces(indent), scalar_string(key));
        write_entry(lines, head, value, indent);
    }
}

/// Writes list items at `indent`; a map or list item starts on the line of its dash.
fn write_list(lines: &mut Vec<String>, items: &[Value], indent: usize) {
    for item in items {
        let mut nested = Vec::new();
        match item {
            Value::Object(map) if !map.is_empty() => write_map(&mut nested, map, indent + 2),
            Value::Array(inner) if !inner.is_empty() => write_list(&mut nested, inner, indent + 2),
            scalar => {
                write_entry(lines, format!("{}-", spaces(indent)), scalar, indent);
                continue;
            }
        }
        if let Some(first) = nested.first_mut() {
            first.replace_range(..indent + 2, &format!("{}- ", spaces(indent)));
        }
        lines.append(&mut nested);
    }
}

/// Writes `value` after `head` (`key:` or `-`, already indented): inline when it is a
/// scalar or empty, else on the following lines, nested under `indent`.
fn write_entry(lines: &mut Vec<String>, head: String, value: &Value, indent: usize) {
    let separator = if head.is_empty() { "" } else { " " };
    match value {
        Value::Object(map) if !map.is_empty() => {
            lines.push(head);
            write_map(lines, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            lines.push(head);
            write_list(lines, items, indent);
        }
        Value::String(text) if fits_literal_block(text) => {
            let chomp = if text.ends_with('\n') { "" } else { "-" };
            lines.push(format!("{head}{separator}|{chomp}"));
            let body = text.strip_suffix('\n').unwrap_or(text);
            lines.extend(body.split('\n').map(|line| match line {
                "" => String::new(),
                _ => format!("{}{line}", spaces(indent + 2)),
            }));
        }
        other => lines.push(format!("{head}{separator}{}", inline_scalar(other))),
    }
}

fn inline_scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => scalar_string(text),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a plain scalar when YAML reads that back as the same string, else quoted.
fn scalar_string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        serde_json::Value::String(text.to_owned()).to_string()
    }
}

/// Conservative: starts with a letter or `/`, holds only letters, digits, spaces and
/// `-_./:=+@`, no `: `, no trailing `:` or space, and is not a YAML boolean or null word.
fn is_plain_safe(text: &str) -> bool {
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '/');
    let plain_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -_./:=+@".contains(c));
    let reserved = RESERVED_WORDS
        .iter()
        .any(|word| word.eq_ignore_ascii_case(text));
    starts_well
        && plain_chars
        && !reserved
        && !text.contains(": ")
        && !text.ends_with(':')
        && !text.ends_with(' ')
}

/// Multi-line text that a literal block (`|` or `|-`) carries unchanged: no leading blank
/// or space (that would need an indentation indicator), at most one trailing newline, and
/// no control characters besides newline and tab.
fn fits_literal_block(text: &str) -> bool {
    text.contains('\n')
        && !text.starts_with([' ', '\n'])
        && !text.ends_with("\n\n")
        && text
            .chars()
            .all(|c| c == '\n' || c == '\t' || !(c.is_control() || is_unicode_break(c)))
}

fn is_unicode_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

fn spaces(count: usize) -> String {
    " ".repeat(count)
}
