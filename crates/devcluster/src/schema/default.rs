//! Defaulting of custom resources, as kube-apiserver does it before validation: a field that is
//! absent (or null without `nullable`) takes its schema's `default`, a null without `nullable` and
//! without a default is dropped, and defaults inside inserted defaults apply too.

use serde_json::{Map, Value};

use super::node::{Additional, Arena, Node, NodeId};

/// Applies the defaults below node `id` to `value`.
pub(crate) fn apply_defaults(arena: &Arena, id: NodeId, value: &mut Value) {
    let node = arena.node(id);
    match value {
        Value::Object(map) => default_object(arena, node, map),
        Value::Array(items) => {
            if let Some(items_id) = node.items {
                for item in items {
                    apply_defaults(arena, items_id, item);
                }
            }
        }
        _ => {}
    }
}

fn default_object(arena: &Arena, node: &Node, map: &mut Map<String, Value>) {
    for (name, child_id) in &node.properties {
        let child = arena.node(*child_id);
        let name: &str = name;
        match map.get(name) {
            Some(Value::Null) if !child.nullable => {
                match &child.default {
                    Some(default) => map.insert(name.to_string(), (**default).clone()),
                    None => map.remove(name),
                };
            }
            None => {
                if let Some(default) = &child.default {
                    map.insert(name.to_string(), (**default).clone());
                }
            }
            Some(_) => {}
        }
        if let Some(field) = map.get_mut(name) {
            apply_defaults(arena, *child_id, field);
        }
    }
    if let Additional::Schema(values_id) = node.additional {
        let values = arena.node(values_id);
        if !values.nullable {
            map.retain(|_, value| !value.is_null());
        }
        for value in map.values_mut() {
            apply_defaults(arena, values_id, value);
        }
    }
}
