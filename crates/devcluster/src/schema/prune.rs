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
            let drops_unknown = !node.keeps_unknown_fields() && node.additional == Additional::None;
            // One pass, one property lookup per key: undeclared fields are dropped (when the node
            // drops them), declared ones and additionalProperties values are pruned in turn.
            map.retain(|key, child| {
                let (child_id, mark) = match (node.property(key), node.additional) {
                    (Some(child_id), _) => (child_id, path.field(key)),
                    (None, Additional::Schema(child_id)) => (child_id, path.key(key)),
                    (None, _) if drops_unknown => {
                        let mark = path.field(key);
                        removed.push(path.as_str().to_string());
                        path.restore(mark);
                        return false;
                    }
                    (None, _) => return true,
                };
                prune(arena, child_id, child, path, removed);
                path.restore(mark);
                true
            });
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
