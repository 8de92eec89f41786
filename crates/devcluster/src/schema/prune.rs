//! Drops the fields a schema does not declare, as kube-apiserver does for built-ins (decoding into
//! Go structs) and for custom resources (structural pruning).

use serde_json::Value;

use super::node::{Additional, Arena, NodeId};
use super::path::FieldPath;

/// Removes undeclared fields below node `id` from `value`, recording each removed field's path.
pub(crate) fn prune(
    arena: &Arena,
    id: NodeId,
    value: &mut Value,
    path: &mut FieldPath,
    removed: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let node = arena.node(id);
            if !node.keeps_unknown_fields() && node.additional == Additional::None {
                map.retain(|key, _| {
                    let declared = node.property(key).is_some();
                    if !declared {
                        let mark = path.field(key);
                        removed.push(path.as_str().to_string());
                        path.restore(mark);
                    }
                    declared
                });
            }
            for (key, child) in map.iter_mut() {
                if let Some(child_id) = node.property(key) {
                    let mark = path.field(key);
                    prune(arena, child_id, child, path, removed);
                    path.restore(mark);
                } else if let Additional::Schema(child_id) = node.additional {
                    let mark = path.key(key);
                    prune(arena, child_id, child, path, removed);
                    path.restore(mark);
                }
            }
        }
        Value::Array(items) => {
            if let Some(items_id) = arena.node(id).items {
                for (index, item) in items.iter_mut().enumerate() {
                    let mark = path.index(index);
                    prune(arena, items_id, item, path, removed);
                    path.restore(mark);
                }
            }
        }
        _ => {}
    }
}
