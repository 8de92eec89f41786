//! ignoreDifferences: choosing the rules for an object and removing the fields they name.

use serde_json::Value;

use super::managed_fields::remove_owned_by;
use super::{DiffError, IgnoreDifference};
use crate::object_ref::ObjectRef;

/// The rules that apply to `object`: same group and kind, and a name and namespace that are
/// either empty in the rule or equal to the object's.
pub fn matching_rules<'a>(
    rules: &'a [IgnoreDifference],
    object: &ObjectRef,
) -> Vec<&'a IgnoreDifference> {
    rules
        .iter()
        .filter(|rule| {
            rule.group == object.group
                && rule.kind == object.kind
                && matches_or_empty(&rule.name, &object.name)
                && matches_or_empty(&rule.namespace, &object.namespace)
        })
        .collect()
}

fn matches_or_empty(wanted: &str, actual: &str) -> bool {
    wanted.is_empty() || wanted == actual
}

/// Removes from `object` every field that one of `rules` ignores: the targets of its JSON
/// pointers (a pointer to an absent field changes nothing) and every leaf field that one of
/// its managers owns according to `managed_fields`, the live object's
/// `metadata.managedFields`. A malformed pointer fails with
/// [`DiffError::InvalidJsonPointer`], an unreadable managedFields key with
/// [`DiffError::InvalidFieldsKey`]; `object` may then be partly stripped.
pub fn remove_ignored(
    object: &mut Value,
    rules: &[&IgnoreDifference],
    managed_fields: &Value,
) -> Result<(), DiffError> {
    for rule in rules {
        let pointers = rule
            .json_pointers
            .iter()
            .map(|pointer| parse_pointer(pointer, &rule.kind))
            .collect::<Result<Vec<_>, _>>()?;
        for tokens in &pointers {
            remove_at(object, tokens);
        }
        for manager in &rule.managed_fields_managers {
            remove_owned_by(object, managed_fields, manager)?;
        }
    }
    Ok(())
}

/// For `RespectIgnoreDifferences=true`: makes the JSON pointers of `rules` in the manifest
/// about to be applied carry the live object's values (or be absent when live has none), so a
/// sync never overwrites a field the user asked to ignore. Only pointers whose parent exists
/// in the manifest are touched. A malformed pointer fails as in [`remove_ignored`].
pub fn keep_live_values(
    manifest: &mut Value,
    rules: &[&IgnoreDifference],
    live: &Value,
) -> Result<(), DiffError> {
    for rule in rules {
        for pointer in &rule.json_pointers {
            let tokens = parse_pointer(pointer, &rule.kind)?;
            match value_at(live, &tokens) {
                Some(value) => set_at(manifest, &tokens, value.clone()),
                None => remove_at(manifest, &tokens),
            }
        }
    }
    Ok(())
}

fn value_at<'v>(object: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens
        .iter()
        .try_fold(object, |current, token| match current {
            Value::Object(map) => map.get(token),
            Value::Array(items) => items.get(array_index(token)?),
            _ => None,
        })
}

/// Sets the value `tokens` lead to, when its parent exists (an array element only replaces).
fn set_at(object: &mut Value, tokens: &[String], value: Value) {
    let Some((last, parent)) = parent_of(object, tokens) else {
        return;
    };
    match parent {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            if let Some(slot) = array_index(last).and_then(|index| items.get_mut(index)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

/// The last token and the value its parent tokens lead to, if that exists.
fn parent_of<'v, 't>(
    object: &'v mut Value,
    tokens: &'t [String],
) -> Option<(&'t String, &'v mut Value)> {
    let (last, parents) = tokens.split_last()?;
    let parent = parents
        .iter()
        .try_fold(object, |current, token| child_mut(current, token))?;
    Some((last, parent))
}

/// Splits an RFC 6901 pointer into its unescaped reference tokens.
fn parse_pointer(pointer: &str, kind: &str) -> Result<Vec<String>, DiffError> {
    let invalid = |reason| DiffError::InvalidJsonPointer {
        kind: kind.to_owned(),
        pointer: pointer.to_owned(),
        reason,
    };
    let rest = pointer
        .strip_prefix('/')
        .ok_or_else(|| invalid("it must start with `/`"))?;
    rest.split('/')
        .map(|token| unescape_token(token).ok_or_else(|| invalid("`~` must be followed by 0 or 1")))
        .collect()
}

/// Decodes `~1` to `/` and `~0` to `~`; `None` for any other use of `~`.
fn unescape_token(token: &str) -> Option<String> {
    let mut decoded = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        decoded.push(match c {
            '~' => match chars.next()? {
                '0' => '~',
                '1' => '/',
                _ => return None,
            },
            other => other,
        });
    }
    Some(decoded)
}

/// Removes the value that `tokens` lead to, if it exists.
fn remove_at(object: &mut Value, tokens: &[String]) {
    let Some((last, parent)) = parent_of(object, tokens) else {
        return;
    };
    match parent {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => {
            if let Some(index) = array_index(last).filter(|&index| index < items.len()) {
                items.remove(index);
            }
        }
        _ => {}
    }
}

fn child_mut<'v>(value: &'v mut Value, token: &str) -> Option<&'v mut Value> {
    match value {
        Value::Object(map) => map.get_mut(token),
        Value::Array(items) => items.get_mut(array_index(token)?),
        _ => None,
    }
}

/// An array index as RFC 6901 spells it: `0` or digits without a leading zero.
fn array_index(token: &str) -> Option<usize> {
    let canonical = token == "0" || !token.starts_with('0');
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    (canonical && digits).then(|| token.parse().ok()).flatten()
}

#[cfg(test)]
mod keep_live_tests {
    use super::*;
    use serde_json::json;

    fn replicas_rule() -> IgnoreDifference {
        IgnoreDifference {
            group: "apps".into(),
            kind: "Deployment".into(),
            json_pointers: vec!["/spec/replicas".into(), "/spec/paused".into()],
            ..IgnoreDifference::default()
        }
    }

    #[test]
    fn ignored_fields_take_the_live_value_or_disappear() {
        let rule = replicas_rule();
        let mut manifest = json!({"spec": {"replicas": 2, "paused": false, "template": {}}});
        let live = json!({"spec": {"replicas": 7}});
        keep_live_values(&mut manifest, &[&rule], &live).unwrap();
        assert_eq!(manifest, json!({"spec": {"replicas": 7, "template": {}}}));
    }

    #[test]
    fn a_missing_parent_is_left_alone() {
        let rule = replicas_rule();
        let mut manifest = json!({"metadata": {}});
        keep_live_values(&mut manifest, &[&rule], &json!({"spec": {"replicas": 7}})).unwrap();
        assert_eq!(manifest, json!({"metadata": {}}));
    }
}
