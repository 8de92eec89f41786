//! Turning the text of one file (or of a tool's output) into manifests: YAML streams of
//! any number of documents, JSON, and `kind: List` flattening.

use driftless_core::{Manifest, Origin};
use serde_json::Value;

use crate::fast_yaml::parse_plain_documents;

/// Why a file's text could not be turned into objects. `file` is relative to the checkout.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The YAML is malformed, or exceeded the parser's budget (alias bombs, depth).
    #[error("{file}:{line}:{column}: invalid YAML: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// 1-based line, 0 when unknown.
        line: u64,
        /// 1-based column, 0 when unknown.
        column: u64,
        /// The parser's message.
        message: String,
    },
    /// The JSON is malformed.
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A document (or a List item) is not a mapping.
    #[error("{file}: document {document} is not an object (found {found})")]
    NotAnObject {
        /// The file.
        file: String,
        /// Index of the document.
        document: usize,
        /// What was found instead.
        found: &'static str,
    },
}

/// The text format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One or more YAML documents.
    Yaml,
    /// A single JSON value.
    Json,
}

/// Parses `text` (from `file`, relative to the checkout) into manifests: every non-empty
/// document becomes one manifest, and a `List`/`*List` with `items` becomes its items.
/// Never panics, whatever the input.
pub fn parse_manifests(
    file: &str,
    text: &str,
    format: Format,
) -> Result<Vec<Manifest>, ParseError> {
    let documents = match format {
        Format::Yaml => parse_yaml_documents(file, text)?,
        Format::Json => vec![parse_json_document(file, text)?],
    };
    let mut manifests = Vec::with_capacity(documents.len());
    for (index, document) in documents.into_iter().enumerate() {
        push_objects(file, index, document, &mut manifests)?;
    }
    Ok(manifests)
}

/// Adds `value` (one rendered document) to `out` as manifests, flattening lists, and
/// skipping nulls. Arrays are accepted as lists of objects (Jsonnet output).
pub fn push_objects(
    file: &str,
    document: usize,
    value: Value,
    out: &mut Vec<Manifest>,
) -> Result<(), ParseError> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => push_items(file, document, items, out),
        Value::Object(map) => {
            let mut object = Value::Object(map);
            match take_list_items(&mut object) {
                Some(items) => push_items(file, document, items, out),
                None => {
                    out.push(Manifest {
                        object,
                        origin: Origin {
                            file: file.to_owned(),
                            document,
                        },
                    });
                    Ok(())
                }
            }
        }
        other => Err(ParseError::NotAnObject {
            file: file.to_owned(),
            document,
            found: json_type_name(&other),
        }),
    }
}

fn push_items(
    file: &str,
    document: usize,
    items: Vec<Value>,
    out: &mut Vec<Manifest>,
) -> Result<(), ParseError> {
    for item in items {
        if !item.is_object() {
            return Err(ParseError::NotAnObject {
                file: file.to_owned(),
                document,
                found: json_type_name(&item),
            });
        }
        push_objects(file, document, item, out)?;
    }
    Ok(())
}

/// The items of a `List` or `*List` object, taken out of it; `None` for any other object.
fn take_list_items(object: &mut Value) -> Option<Vec<Value>> {
    let is_list = object
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.ends_with("List"));
    if !is_list || !object.get("items").is_some_and(Value::is_array) {
        return None;
    }
    match object.get_mut("items").map(Value::take) {
        Some(Value::Array(items)) => Some(items),
        _ => None,
    }
}

/// The non-empty documents of a YAML stream: through the fast path when it applies,
/// else (and for every error message) through serde-saphyr.
fn parse_yaml_documents(file: &str, text: &str) -> Result<Vec<Value>, ParseError> {
    if let Some(documents) = parse_plain_documents(text) {
        return Ok(documents);
    }
    serde_saphyr::from_multiple_with_options::<Value>(text, yaml_options()).map_err(|err| {
        let location = err.location();
        ParseError::Yaml {
            file: file.to_owned(),
            line: location.as_ref().map_or(0, |l| l.line()),
            column: location.as_ref().map_or(0, |l| l.column()),
            message: parser_message(&err.to_string()),
        }
    })
}

/// The parser's defaults, which include budgets against alias bombs and deep nesting.
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.emit_comments = false;
    options
}

fn parse_json_document(file: &str, text: &str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|err| ParseError::Json {
        file: file.to_owned(),
        line: err.line(),
        column: err.column(),
        message: err.to_string(),
    })
}

/// The first line of the parser's message, without the `error: line N column M: `
/// prefix it repeats (the location is carried separately).
fn parser_message(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((location, text)) if location.contains(" column ") => text.to_owned(),
        _ => line.to_owned(),
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yaml(text: &str) -> Result<Vec<Manifest>, ParseError> {
        parse_manifests("f.yaml", text, Format::Yaml)
    }

    #[test]
    fn multi_document_with_empty_documents() {
        let m = yaml("---\n---\nkind: A\n---\n# only a comment\n---\nkind: B\n").unwrap();
        let kinds: Vec<_> = m.iter().map(|m| m.kind().unwrap()).collect();
        assert_eq!(kinds, ["A", "B"]);
        assert_eq!(m[0].origin.document, 0);
        assert_eq!(m[1].origin.document, 1);
        assert_eq!(m[1].origin.file, "f.yaml");
    }

    #[test]
    fn lists_are_flattened_recursively() {
        let m = yaml(
            "kind: List\nitems:\n- kind: A\n- kind: ConfigMapList\n  items: [{kind: B}, {kind: C}]\n",
        )
        .unwrap();
        let kinds: Vec<_> = m.iter().map(|m| m.kind().unwrap()).collect();
        assert_eq!(kinds, ["A", "B", "C"]);
    }

    #[test]
    fn a_kind_ending_in_list_without_items_is_an_object() {
        let m = yaml("kind: AccessList\nspec: {}\n").unwrap();
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn malformed_yaml_names_line_and_column() {
        let err = yaml("kind: A\nmetadata:\n  name: [unclosed\n").unwrap_err();
        match err {
            ParseError::Yaml { file, line, .. } => {
                assert_eq!(file, "f.yaml");
                assert!(line >= 3, "line {line}");
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn location_is_not_repeated_in_the_message() {
        let err = yaml("a: [b\n").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("f.yaml:"), "{text}");
        assert!(!text.contains("column"), "{text}");
        assert_eq!(parser_message("something odd"), "something odd");
    }

    #[test]
    fn scalar_document_is_refused() {
        let err = yaml("kind: A\n---\njust a string\n").unwrap_err();
        assert!(
            matches!(
                err,
                ParseError::NotAnObject {
                    document: 1,
                    found: "a string",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='k' {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let err = yaml(&text).unwrap_err();
        assert!(matches!(err, ParseError::Yaml { .. }), "{err}");
    }

    #[test]
    fn json_error_has_position() {
        let err = parse_manifests("x.json", "{\n  \"kind\": }", Format::Json).unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 2, .. }), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_manifests("fuzz.yaml", &text, Format::Yaml);
            let _ = parse_manifests("fuzz.json", &text, Format::Json);
        }

        #[test]
        fn yaml_like_text_never_panics(text in "([a-z:&*!\\-\\[\\]{}|>#'\" ,\n]|---\n|  ){0,200}") {
            let _ = parse_manifests("fuzz.yaml", &text, Format::Yaml);
        }
    }
}
