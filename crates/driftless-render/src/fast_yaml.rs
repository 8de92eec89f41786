//! A fast path for the plain shape most Kubernetes YAML has: mappings, sequences and
//! scalars without anchors, aliases, tags or merge keys. It builds values straight from
//! the event parser that serde-saphyr itself uses (granit-parser), which costs about half
//! of serde-saphyr's full deserialisation.
//!
//! serde-saphyr stays the reference: this module answers `None` whenever the input holds
//! anything whose meaning it does not reproduce exactly (anchors, aliases, tags, merge
//! keys, non-scalar or duplicate keys, plain scalars over several lines, byte-order marks, parse
//! errors, sizes near serde-saphyr's budgets), and the caller then parses the whole file
//! with serde-saphyr. Plain scalars that may be numbers, booleans or nulls are resolved by
//! serde-saphyr one by one, unless they are plain decimal integers, null forms or
//! Kubernetes quantities (`100m`, `128Mi`).

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

/// Stay well below serde-saphyr's default budgets (depth 64, 1,024 documents,
/// 250,000 nodes), so that every input accepted here is accepted by serde-saphyr too.
const MAX_DEPTH: usize = 60;
const MAX_DOCUMENTS: usize = 1_000;
const MAX_NODES: usize = 200_000;

/// serde-saphyr's scanner limits (its default budget), applied to the parser here as well.
const SIMPLE_KEY_MAX_LOOKAHEAD: usize = 1_024;
const FLOW_NESTING_LIMIT: usize = 255;
const BLOCK_NESTING_LIMIT: usize = 65;

/// The plain scalars serde-saphyr reads as null.
const NULL_FORMS: [&str; 5] = ["", "~", "null", "Null", "NULL"];

/// The words serde-saphyr reads as booleans (YAML 1.1, any case).
const BOOLEAN_WORDS: [&str; 8] = ["true", "yes", "y", "on", "false", "no", "n", "off"];

enum Frame {
    Sequence(Vec<Value>),
    Mapping(Map<String, Value>, Option<String>),
}

/// The non-null documents of `text`, as serde-saphyr's `from_multiple` would return them,
/// or `None` when the text needs serde-saphyr itself.
pub fn parse_plain_documents(text: &str) -> Option<Vec<Value>> {
    if text.contains('\u{feff}') {
        return None;
    }
    let options = serde_saphyr::granit_parser::options! {
        simple_key_max_lookahead: SIMPLE_KEY_MAX_LOOKAHEAD,
        flow_nesting_limit: FLOW_NESTING_LIMIT,
        block_nesting_limit: BLOCK_NESTING_LIMIT,
        emit_comments: false,
    };
    let mut builder = Builder::default();
    for event in Parser::new_from_str_with_options(text, options) {
        let (event, span) = event.ok()?;
        if is_multi_line_plain_scalar(&event, &span) {
            return None;
        }
        builder.accept(event)?;
    }
    builder.finish()
}

/// Folding of plain scalars over several lines is left to serde-saphyr (its event stream
/// was seen to differ from the bare parser's there).
fn is_multi_line_plain_scalar(event: &Event<'_>, span: &Span) -> bool {
    matches!(event, Event::Scalar(_, ScalarStyle::Plain, _, _))
        && span.start.line() != span.end.line()
}

#[derive(Default)]
struct Builder {
    documents: Vec<Value>,
    stack: Vec<Frame>,
    nodes: usize,
    document_count: usize,
}

impl Builder {
    fn accept(&mut self, event: Event<'_>) -> Option<()> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Some(()),
            Event::DocumentStart(..) => {
                self.document_count += 1;
                (self.document_count <= MAX_DOCUMENTS).then_some(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                self.count_node()?;
                if let Some(Frame::Mapping(_, key @ None)) = self.stack.last_mut() {
                    *key = Some(plain_key(&text, style)?);
                    return Some(());
                }
                let value = scalar_value(&text, style)?;
                self.attach(value)
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.open(anchor, tag.is_some(), Frame::Sequence(Vec::new()))
            }
            Event::MappingStart(_, anchor, tag) => {
                self.open(anchor, tag.is_some(), Frame::Mapping(Map::new(), None))
            }
            Event::SequenceEnd => match self.stack.pop()? {
                Frame::Sequence(items) => self.attach(Value::Array(items)),
                Frame::Mapping(..) => None,
            },
            Event::MappingEnd => match self.stack.pop()? {
                Frame::Mapping(map, None) => self.attach(Value::Object(map)),
                _ => None,
            },
            _ => None,
        }
    }

    fn count_node(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// Opens a collection; refused in key position (a non-scalar key), with an anchor or
    /// a tag, or too deep.
    fn open(&mut self, anchor: usize, tagged: bool, frame: Frame) -> Option<()> {
        let in_key_position = matches!(self.stack.last(), Some(Frame::Mapping(_, None)));
        if anchor != 0 || tagged || in_key_position || self.stack.len() >= MAX_DEPTH {
            return None;
        }
        self.count_node()?;
        self.stack.push(frame);
        Some(())
    }

    fn attach(&mut self, value: Value) -> Option<()> {
        match self.stack.last_mut() {
            None => {
                if !value.is_null() {
                    self.documents.push(value);
                }
            }
            Some(Frame::Sequence(items)) => items.push(value),
            Some(Frame::Mapping(map, key)) => {
                let key = key.take()?;
                if map.contains_key(&key) {
                    return None;
                }
                map.insert(key, value);
            }
        }
        Some(())
    }

    fn finish(self) -> Option<Vec<Value>> {
        self.stack.is_empty().then_some(self.documents)
    }
}

/// A mapping key as serde-saphyr gives it to a JSON map: its text. Null forms, the merge
/// key `<<` and multi-line plain keys are left to serde-saphyr.
fn plain_key(text: &str, style: ScalarStyle) -> Option<String> {
    let plain = matches!(style, ScalarStyle::Plain);
    if plain && (NULL_FORMS.contains(&text) || text == "<<" || text.contains('\n')) {
        return None;
    }
    Some(text.to_owned())
}

/// The value of a scalar without anchor or tag: quoted and block scalars are strings;
/// plain scalars are resolved as serde-saphyr resolves them.
fn scalar_value(text: &str, style: ScalarStyle) -> Option<Value> {
    if !matches!(style, ScalarStyle::Plain) {
        return Some(Value::String(text.to_owned()));
    }
    if NULL_FORMS.contains(&text) {
        return Some(Value::Null);
    }
    if text.contains('\n') {
        return None;
    }
    let first = text.as_bytes().first().copied().unwrap_or_default();
    let is_boolean_word = BOOLEAN_WORDS
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word));
    if (first.is_ascii_alphabetic() || first == b'/') && !is_boolean_word {
        return Some(Value::String(text.to_owned()));
    }
    if is_quantity(text) {
        return Some(Value::String(text.to_owned()));
    }
    plain_decimal_integer(text).or_else(|| resolve_with_serde_saphyr(text))
}

/// Kubernetes quantities such as `100m`, `128Mi` or `1.5Gi`: digits, an optional fraction
/// and a unit suffix. No YAML number ends in one of these units, so they are strings.
fn is_quantity(text: &str) -> bool {
    const UNITS: [&str; 12] = [
        "m", "k", "M", "G", "T", "P", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    let Some(unit_start) = text.find(|c: char| !(c.is_ascii_digit() || c == '.')) else {
        return false;
    };
    let (number, unit) = text.split_at(unit_start);
    number.starts_with(|c: char| c.is_ascii_digit())
        && number.matches('.').count() <= 1
        && UNITS.contains(&unit)
}

/// `0`, or a decimal integer without sign, leading zero or separators that fits in u64,
/// or a negative one that fits in i64.
fn plain_decimal_integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !canonical {
        return None;
    }
    if text.starts_with('-') {
        text.parse::<i64>().ok().map(Value::from)
    } else {
        text.parse::<u64>().ok().map(Value::from)
    }
}

/// Resolves one plain scalar exactly as serde-saphyr would, by letting it parse the
/// scalar as the value of a one-entry mapping (the same block context it came from; on
/// its own, a scalar such as `---` would mean something else); anything else is refused.
fn resolve_with_serde_saphyr(text: &str) -> Option<Value> {
    let document = serde_saphyr::from_str::<Value>(&format!("v: {text}\n")).ok()?;
    match document {
        Value::Object(map) if map.len() == 1 => match map.into_iter().next()? {
            (key, scalar) if key == "v" && !scalar.is_array() && !scalar.is_object() => {
                Some(scalar)
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(text: &str) -> Result<Vec<Value>, serde_saphyr::Error> {
        serde_saphyr::from_multiple::<Value>(text)
    }

    #[test]
    fn ordinary_manifests_take_the_fast_path_with_the_same_result() {
        let text = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\n\
                    spec:\n  replicas: 2\n  paused: false\n  template:\n    spec:\n      containers:\n      \
                    - name: web\n        image: \"nginx:1.27\"\n        args: [--port, '8080']\n        \
                    resources: {limits: {cpu: 100m, memory: 128Mi}}\n        command: |\n          run\n          \
                    now\n---\n---\nkind: ConfigMap\ndata:\n  ratio: 0.5\n  empty:\n  path: /healthz\n";
        let fast = parse_plain_documents(text).expect("fast path");
        assert_eq!(fast, reference(text).unwrap());
    }

    #[test]
    fn anchors_tags_merge_keys_and_duplicates_are_left_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "base: {a: 1}\nother:\n  <<: {a: 2}\n",
            "a: 1\na: 2\n",
            "? [a]\n: 1\n",
            "a: [\n",
        ] {
            assert!(parse_plain_documents(text).is_none(), "{text}");
        }
    }

    const SCALARS: &[&str] = &[
        "web",
        "nginx:1.27",
        "/healthz",
        "100m",
        "inf",
        "nan",
        "NaN",
        "Infinity",
        "infinity",
        "INF",
        "e5",
        "E",
        "x1",
        "b101",
        "1.5Gi",
        "2k",
        "1E",
        "1e",
        "0x1Mi",
        "1..5m",
        "1.M",
        "128Mi",
        "1.5",
        "1e3",
        "0",
        "-0",
        "007",
        "0x1F",
        "0o17",
        "+12",
        "-12",
        "18446744073709551616",
        "-9223372036854775809",
        ".inf",
        "-.inf",
        ".nan",
        "~",
        "null",
        "NULL",
        "Null",
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "True",
        "FALSE",
        "tRuE",
        "=",
        "-",
        "_x",
        "a b",
        "'quoted'",
        "\"dq\"",
        "''",
        "\"\"",
        "'yes'",
        "\"1\"",
        "1_000",
        "2026-11-25",
        "12:30",
        "@x",
        "é",
        "$HOME",
    ];

    fn scalar() -> impl Strategy<Value = String> {
        prop::sample::select(SCALARS).prop_map(str::to_owned)
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => prop::sample::select(
                &["name", "kind", "1", "yes", "null", "~", "<<", "'q'", "a b", "1.5", "-x"][..]
            )
            .prop_map(str::to_owned),
            6 => "[a-z]{2,8}",
        ]
    }

    /// A YAML node written in block style at `indent`, as text that follows `key: ` or `- `.
    #[derive(Debug, Clone)]
    enum Node {
        Scalar(String),
        Flow(Vec<String>),
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            scalar().prop_map(Node::Scalar),
            prop::collection::vec(scalar(), 0..3).prop_map(Node::Flow),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec((key(), inner.clone()), 1..5).prop_map(Node::Map),
                prop::collection::vec(inner, 1..4).prop_map(Node::Seq),
            ]
        })
    }

    fn write(node: &Node, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match node {
            Node::Scalar(s) => {
                out.push(' ');
                out.push_str(s);
                out.push('\n');
            }
            Node::Flow(items) => {
                out.push_str(&format!(" [{}]\n", items.join(", ")));
            }
            Node::Map(entries) => {
                out.push('\n');
                for (k, v) in entries {
                    out.push_str(&format!("{pad}{k}:"));
                    write(v, indent + 2, out);
                }
            }
            Node::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&format!("{pad}-"));
                    write(item, indent + 2, out);
                }
            }
        }
    }

    fn document(entries: &[(String, Node)]) -> String {
        let mut out = String::from("---\n");
        for (k, v) in entries {
            out.push_str(&format!("{k}:"));
            write(v, 2, &mut out);
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// Whenever the fast path answers, serde-saphyr parses the same text to the same values.
        #[test]
        fn fast_path_agrees_with_serde_saphyr(
            docs in prop::collection::vec(prop::collection::vec((key(), node()), 1..5), 1..3)
        ) {
            let text: String = docs.iter().map(|d| document(d)).collect();
            if let Some(fast) = parse_plain_documents(&text) {
                let expected = reference(&text);
                prop_assert!(expected.is_ok(), "serde-saphyr refused what the fast path took:\n{text}");
                prop_assert_eq!(fast, expected.unwrap(), "text:\n{}", text);
            }
        }

        #[test]
        fn single_scalars_agree_with_serde_saphyr(s in scalar(), k in key()) {
            let text = format!("{k}: {s}\nlist: [{s}]\n");
            if let Some(fast) = parse_plain_documents(&text) {
                prop_assert_eq!(fast, reference(&text).unwrap(), "text:\n{}", text);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "([a-z:&*!\\-\\[\\]{}|>#'\" ,\n0-9.~]|---\n|  ){0,200}") {
            if let Some(fast) = parse_plain_documents(&text) {
                prop_assert_eq!(Some(fast), reference(&text).ok(), "text:\n{}", text);
            }
        }
    }
}
