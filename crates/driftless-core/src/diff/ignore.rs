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
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut current = object;
    for token in parents {
        let Some(child) = child_mut(current, token) else {
            return;
        };
        current = child;
    }
    match current {
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
