//! The order of a merged list, as upstream computes it: elements named by the patch (or by
//! `$setElementOrder`) in that order, the others in the order they had, the two interleaved.

use serde_json::Value;

use super::{missing_key, StrategicError};

/// The identity of each element: its merge key's value for lists merged by key, the element itself
/// for lists of scalars. An element without the merge key is an error.
pub(super) fn identities<'a>(
    list: impl IntoIterator<Item = &'a Value>,
    key: Option<&str>,
    path: &str,
) -> Result<Vec<Value>, StrategicError> {
    list.into_iter()
        .map(|element| match key {
            None => Ok(element.clone()),
            Some(key) => element
                .get(key)
                .cloned()
                .ok_or_else(|| missing_key(path, key, element.to_string())),
        })
        .collect()
}

/// Orders `merged`: the elements whose identity is in `patch_ids` follow that order, the others
/// follow `server_ids`; an element of the latter goes before a patch element only when both are in
/// `server_ids` and it comes first there, so elements new to the object precede the remaining
/// server-only ones (upstream's rule).
pub(super) fn reorder(
    merged: Vec<Value>,
    patch_ids: &[Value],
    server_ids: &[Value],
    key: Option<&str>,
    path: &str,
) -> Result<Vec<Value>, StrategicError> {
    let ids = identities(&merged, key, path)?;
    let (mut ours, mut theirs): (Vec<_>, Vec<_>) = ids
        .into_iter()
        .zip(merged)
        .partition(|(id, _)| patch_ids.contains(id));
    ours.sort_by_key(|(id, _)| position(patch_ids, id));
    theirs.sort_by_key(|(id, _)| position(server_ids, id));
    Ok(interleave(theirs, ours, server_ids))
}

/// Where `id` is in `ids`; absent ids sort last.
fn position(ids: &[Value], id: &Value) -> usize {
    ids.iter().position(|i| i == id).unwrap_or(usize::MAX)
}

/// Merges two sorted lists: an element of `left` goes first when both elements are in
/// `server_ids` and it comes earlier there.
fn interleave(
    left: Vec<(Value, Value)>,
    right: Vec<(Value, Value)>,
    server_ids: &[Value],
) -> Vec<Value> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    while let (Some((l, _)), Some((r, _))) = (left.peek(), right.peek()) {
        let (li, ri) = (position(server_ids, l), position(server_ids, r));
        let next = if li != usize::MAX && ri != usize::MAX && li < ri {
            left.next()
        } else {
            right.next()
        };
        out.extend(next.map(|(_, v)| v));
    }
    out.extend(left.map(|(_, v)| v));
    out.extend(right.map(|(_, v)| v));
    out
}
