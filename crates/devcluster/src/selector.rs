//! Label selectors (equality- and set-based, as in `labelSelector=app=web,tier in (a,b),!legacy`) and the
//! field selectors every resource supports (`metadata.name`, `metadata.namespace`).

use serde_json::Value;

/// A parse failure, reported to clients as 400 BadRequest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The label selector could not be parsed.
    #[error("unable to parse requirement: {0}")]
    Label(String),
    /// The field selector names a field this resource cannot be selected by, or is malformed.
    #[error("field label not supported: {0}")]
    Field(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

impl LabelSelector {
    /// Parses the `labelSelector` query parameter.
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        split_top_level(text)
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_requirement(s.trim()))
            .collect::<Result<Vec<_>, _>>()
            .map(LabelSelector)
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, object: &Value) -> bool {
        let labels = object
            .pointer("/metadata/labels")
            .and_then(Value::as_object);
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_requirement(s: &str) -> Result<Requirement, SelectorError> {
    let bad = || SelectorError::Label(s.to_string());
    if let Some(key) = s.strip_prefix('!') {
        return Ok(Requirement::NotExists(
            valid_key(key.trim()).ok_or_else(bad)?,
        ));
    }
    for (op, negate) in [(" notin ", true), (" in ", false)] {
        if let Some(idx) = s.find(op) {
            let key = valid_key(s[..idx].trim()).ok_or_else(bad)?;
            let values = s[idx + op.len()..]
                .trim()
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(bad)?
                .split(',')
                .map(|v| v.trim().to_string())
                .collect();
            return Ok(if negate {
                Requirement::NotIn(key, values)
            } else {
                Requirement::In(key, values)
            });
        }
    }
    for (op, negate) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = s.split_once(op) {
            let key = valid_key(k.trim()).ok_or_else(bad)?;
            let value = v.trim().to_string();
            return Ok(if negate {
                Requirement::NotEquals(key, value)
            } else {
                Requirement::Equals(key, value)
            });
        }
    }
    Ok(Requirement::Exists(valid_key(s).ok_or_else(bad)?))
}

fn valid_key(k: &str) -> Option<String> {
    let ok = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    ok.then(|| k.to_string())
}

/// A parsed field selector over `metadata.name` and `metadata.namespace`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    /// Parses the `fieldSelector` query parameter (`metadata.name=x`, `metadata.namespace!=y`).
    pub fn parse(text: &str) -> Result<Self, SelectorError> {
        let mut terms = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, negate, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, false, v)
            } else {
                return Err(SelectorError::Field(part.to_string()));
            };
            let field = field.trim();
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(SelectorError::Field(format!("\"{field}\"")));
            }
            terms.push((field.to_string(), negate, value.trim().to_string()));
        }
        Ok(FieldSelector(terms))
    }

    /// Whether the object satisfies every term.
    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(field, negate, value)| {
            let pointer = if field == "metadata.name" {
                "/metadata/name"
            } else {
                "/metadata/namespace"
            };
            let actual = object
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or("");
            (actual == value) != *negate
        })
    }

    /// The name an exact `metadata.name=x` term pins, letting a list skip every other object.
    pub fn exact_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, negate, _)| f == "metadata.name" && !negate)
            .map(|(_, _, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn equality_and_set_based_requirements() {
        let o = obj(json!({"app": "web", "tier": "front"}));
        let yes = [
            "app=web",
            "app==web",
            "app!=db",
            "tier in (front, back)",
            "tier notin (db)",
            "app",
            "!legacy",
            "app=web,tier in (front)",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).unwrap().matches(&o), "{s}");
        }
        let no = [
            "app=db",
            "tier in (back)",
            "!app",
            "legacy",
            "app=web,tier=back",
        ];
        for s in no {
            assert!(!LabelSelector::parse(s).unwrap().matches(&o), "{s}");
        }
        assert!(LabelSelector::parse("a in b").is_err());
    }

    #[test]
    fn field_selector_by_name_and_namespace() {
        let o = obj(json!({}));
        assert!(FieldSelector::parse("metadata.name=a").unwrap().matches(&o));
        assert!(!FieldSelector::parse("metadata.namespace!=ns")
            .unwrap()
            .matches(&o));
        assert!(FieldSelector::parse("spec.foo=x").is_err());
        assert_eq!(
            FieldSelector::parse("metadata.name=a")
                .unwrap()
                .exact_name(),
            Some("a")
        );
    }

    /// Arbitrary selector text from the characters selectors use never panics; it parses or is refused.
    #[test]
    fn arbitrary_selector_text_never_panics() {
        const ALPHABET: &[u8] = b"ab=!,() innotin.-_/x9\t";
        let mut state: u64 = 0x2545F4914F6CDD1D;
        let object = obj(json!({"a": "b", "x": "9"}));
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            let text: String = (0..len)
                .map(|i| ALPHABET[((state >> (i % 60)) as usize + i) % ALPHABET.len()] as char)
                .collect();
            if let Ok(selector) = LabelSelector::parse(&text) {
                selector.matches(&object);
            }
            if let Ok(selector) = FieldSelector::parse(&text) {
                selector.matches(&object);
            }
        }
    }
}
