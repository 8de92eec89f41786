//! The compiled form of a schema: an arena of nodes, each with the JSON types it accepts, its properties,
//! list and map markers and the value checks it carries.

use regex::Regex;
use serde_json::Value;

use super::rules::BuiltinRule;
use crate::shape::ListType;

/// Index of a node in its arena.
pub(crate) type NodeId = u32;

/// The JSON types a node accepts, as a bit set; empty means any type.
pub(crate) mod types {
    pub const OBJECT: u8 = 1;
    pub const ARRAY: u8 = 2;
    pub const STRING: u8 = 4;
    pub const INTEGER: u8 = 8;
    pub const NUMBER: u8 = 16;
    pub const BOOLEAN: u8 = 32;
}

/// What an object accepts besides its named properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Additional {
    /// Nothing (no `additionalProperties`, or `false`).
    #[default]
    None,
    /// Anything (`additionalProperties: true`).
    Any,
    /// Values of this schema.
    Schema(NodeId),
}

/// Integer formats whose ranges are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum IntFormat {
    /// No range beyond what JSON numbers hold.
    #[default]
    Unbounded,
    /// -2^31 .. 2^31-1.
    Int32,
    /// -2^63 .. 2^63-1.
    Int64,
}

/// Value checks that only some nodes carry; boxed to keep nodes small.
#[derive(Debug, Clone, Default)]
pub(crate) struct Checks {
    pub enum_values: Vec<Value>,
    pub pattern: Option<Regex>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: bool,
    pub exclusive_maximum: bool,
    pub multiple_of: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
}

/// `allOf`, `anyOf`, `oneOf` and `not`: validation-only sub-schemas at the same place.
#[derive(Debug, Clone, Default)]
pub(crate) struct Junctors {
    pub all_of: Vec<NodeId>,
    pub any_of: Vec<NodeId>,
    pub one_of: Vec<NodeId>,
    pub not: Option<NodeId>,
}

/// One compiled schema.
#[derive(Debug, Clone, Default)]
pub(crate) struct Node {
    pub types: u8,
    pub int_or_string: bool,
    pub nullable: bool,
    pub int_format: IntFormat,
    /// Sorted by name, for binary search.
    pub properties: Vec<(Box<str>, NodeId)>,
    pub additional: Additional,
    pub items: Option<NodeId>,
    pub required: Vec<Box<str>>,
    pub checks: Option<Box<Checks>>,
    pub junctors: Option<Box<Junctors>>,
    pub preserve_unknown: bool,
    pub embedded_resource: bool,
    /// `x-kubernetes-list-type` (with its map keys) when the schema states one.
    pub list_type: Option<ListType>,
    /// Replaced and owned whole: `x-kubernetes-map-type: atomic`, or a free-form built-in value.
    pub atomic: bool,
    pub patch_merge_key: Option<Box<str>>,
    pub patch_strategies: Vec<Box<str>>,
    pub rules: &'static [BuiltinRule],
    /// A resource quantity: strings must parse as one.
    pub quantity: bool,
    /// Built-in `format: byte`: strings must be base64.
    pub base64: bool,
    /// `default`: the value kube-apiserver fills in when the field is absent.
    pub default: Option<Box<Value>>,
}

impl Node {
    /// The node of property `name`, if declared.
    pub fn property(&self, name: &str) -> Option<NodeId> {
        self.properties
            .binary_search_by(|(key, _)| (**key).cmp(name))
            .ok()
            .map(|index| self.properties[index].1)
    }

    /// Whether this node accepts objects and says nothing about their fields, so that anything
    /// below it is kept (`x-kubernetes-preserve-unknown-fields`, or a schemaless built-in value).
    pub fn keeps_unknown_fields(&self) -> bool {
        self.preserve_unknown || matches!(self.additional, Additional::Any)
    }
}

/// A compiled set of schemas.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    pub nodes: Vec<Node>,
}

impl Arena {
    /// The node with this id; ids come only from this arena's compiler.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }
}
