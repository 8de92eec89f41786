//! Turns JSON schemas (the built-in table's definitions, or a CRD's `openAPIV3Schema`) into an arena
//! of precompiled nodes: `$ref`s resolved to node ids, regexes compiled, keywords parsed once.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::error::SchemaError;
use super::keywords::{
    has_extensions, invalid, read_bool, read_checks, read_extensions, read_strings, read_types,
};
use super::node::{types, Additional, Arena, IntFormat, Junctors, Node, NodeId};
use super::rules::{rules_of, BuiltinRule};

const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// Declared `type: string` upstream, but Go decodes JSON numbers into it too (`memory: 1073741824`).
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Compiles schemas into one arena, resolving `$ref`s against a map of named definitions.
pub(crate) struct Compiler<'d> {
    definitions: &'d Map<String, Value>,
    builtin: bool,
    nodes: Vec<Node>,
    by_definition: HashMap<&'d str, NodeId>,
    /// `$ref`s with sibling extensions: (node, referenced node, the schema holding both).
    overlays: Vec<(NodeId, NodeId, &'d Value, String)>,
}

impl<'d> Compiler<'d> {
    /// A compiler for built-in definitions (`builtin`: null means unset, free-form objects are
    /// atomic) or for custom resources (whose only `$ref` target is the injected ObjectMeta).
    pub fn new(definitions: &'d Map<String, Value>, builtin: bool) -> Self {
        Compiler {
            definitions,
            builtin,
            nodes: Vec::new(),
            by_definition: HashMap::new(),
            overlays: Vec::new(),
        }
    }

    /// Compiles the named definition (once; later calls return the same node).
    pub fn definition(&mut self, name: &str) -> Result<NodeId, SchemaError> {
        let Some((key, schema)) = self.definitions.get_key_value(name) else {
            return Err(SchemaError::ResolveRef {
                path: String::new(),
                name: name.to_string(),
            });
        };
        if let Some(id) = self.by_definition.get(key.as_str()) {
            return Ok(*id);
        }
        let id = self.reserve();
        self.by_definition.insert(key.as_str(), id);
        let node = self.node_of(schema, name)?;
        self.nodes[id as usize] = node;
        Ok(id)
    }

    /// Compiles the root schema of a custom resource and declares apiVersion, kind and metadata
    /// on it as kube-apiserver does.
    pub fn custom_root(&mut self, schema: &'d Value) -> Result<NodeId, SchemaError> {
        let path = "openAPIV3Schema";
        let object = schema
            .as_object()
            .ok_or_else(|| SchemaError::InvalidKeyword {
                path: path.to_string(),
                keyword: "type",
                reason: "the schema must be an object".to_string(),
            })?;
        if object.get("type").and_then(Value::as_str) != Some("object") {
            return Err(SchemaError::InvalidKeyword {
                path: path.to_string(),
                keyword: "type",
                reason: "must be \"object\" at the root".to_string(),
            });
        }
        let root = self.schema(schema, path)?;
        self.add_type_meta(root)?;
        Ok(root)
    }

    /// The finished arena.
    pub fn finish(mut self) -> Result<Arena, SchemaError> {
        for (id, target, schema, path) in std::mem::take(&mut self.overlays) {
            let mut node = self.nodes[target as usize].clone();
            read_extensions(schema, &mut node, &path)?;
            self.nodes[id as usize] = node;
        }
        Ok(Arena { nodes: self.nodes })
    }

    fn reserve(&mut self) -> NodeId {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as NodeId
    }

    /// Compiles one schema into a new node (or the referenced definition's node).
    fn schema(&mut self, schema: &'d Value, path: &str) -> Result<NodeId, SchemaError> {
        if let Some(reference) = schema.get("$ref") {
            return self.reference(schema, reference, path);
        }
        let id = self.reserve();
        let node = self.node_of(schema, path)?;
        self.nodes[id as usize] = node;
        Ok(id)
    }

    fn reference(
        &mut self,
        schema: &'d Value,
        reference: &Value,
        path: &str,
    ) -> Result<NodeId, SchemaError> {
        if !self.builtin {
            return Err(SchemaError::RefInCustomSchema {
                path: path.to_string(),
            });
        }
        let name = reference
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default();
        let target = self.definition(name).map_err(|_| SchemaError::ResolveRef {
            path: path.to_string(),
            name: name.to_string(),
        })?;
        if !has_extensions(schema) {
            return Ok(target);
        }
        let id = self.reserve();
        self.overlays.push((id, target, schema, path.to_string()));
        Ok(id)
    }

    fn node_of(&mut self, schema: &'d Value, path: &str) -> Result<Node, SchemaError> {
        let Some(object) = schema.as_object() else {
            return Err(invalid(path, "type", "a schema must be an object"));
        };
        let mut node = Node {
            types: read_types(object.get("type"), path)?,
            nullable: read_bool(object, "nullable", path)?,
            preserve_unknown: read_bool(object, "x-kubernetes-preserve-unknown-fields", path)?,
            embedded_resource: read_bool(object, "x-kubernetes-embedded-resource", path)?,
            required: read_strings(object, "required", path)?,
            ..Node::default()
        };
        node.int_or_string = read_bool(object, "x-kubernetes-int-or-string", path)?
            || object.get("format").and_then(Value::as_str) == Some("int-or-string");
        if node.int_or_string {
            node.types = 0;
        }
        node.int_format = match object.get("format").and_then(Value::as_str) {
            Some("int32") => IntFormat::Int32,
            Some("int64") => IntFormat::Int64,
            _ => IntFormat::Unbounded,
        };
        read_extensions(schema, &mut node, path)?;
        self.read_children(object, &mut node, path)?;
        node.checks = read_checks(object, path)?;
        node.default = object.get("default").cloned().map(Box::new);
        node.base64 = self.builtin && object.get("format").and_then(Value::as_str) == Some("byte");
        node.junctors = self.read_junctors(object, path)?;
        if self.builtin {
            finish_builtin(&mut node, path);
        }
        Ok(node)
    }

    fn read_children(
        &mut self,
        object: &'d Map<String, Value>,
        node: &mut Node,
        path: &str,
    ) -> Result<(), SchemaError> {
        if let Some(properties) = object.get("properties") {
            let properties = properties
                .as_object()
                .ok_or_else(|| invalid(path, "properties", "must be an object"))?;
            for (name, property) in properties {
                let id = self.schema(property, &format!("{path}.properties[{name}]"))?;
                node.properties.push((name.as_str().into(), id));
            }
            node.properties.sort_by(|a, b| a.0.cmp(&b.0));
        }
        node.additional = match object.get("additionalProperties") {
            None | Some(Value::Bool(false)) => Additional::None,
            Some(Value::Bool(true)) => Additional::Any,
            Some(schema) => {
                Additional::Schema(self.schema(schema, &format!("{path}.additionalProperties"))?)
            }
        };
        node.items = match object.get("items") {
            None => None,
            Some(items @ Value::Object(_)) => Some(self.schema(items, &format!("{path}.items"))?),
            Some(_) if self.builtin => None,
            Some(_) => return Err(invalid(path, "items", "must be a single schema")),
        };
        Ok(())
    }

    fn read_junctors(
        &mut self,
        object: &'d Map<String, Value>,
        path: &str,
    ) -> Result<Option<Box<Junctors>>, SchemaError> {
        let mut junctors = Junctors {
            all_of: self.schema_list(object, "allOf", path)?,
            any_of: self.schema_list(object, "anyOf", path)?,
            one_of: self.schema_list(object, "oneOf", path)?,
            not: None,
        };
        if let Some(not) = object.get("not") {
            junctors.not = Some(self.schema(not, &format!("{path}.not"))?);
        }
        let empty = junctors.all_of.is_empty()
            && junctors.any_of.is_empty()
            && junctors.one_of.is_empty()
            && junctors.not.is_none();
        Ok((!empty).then(|| Box::new(junctors)))
    }

    fn schema_list(
        &mut self,
        object: &'d Map<String, Value>,
        keyword: &'static str,
        path: &str,
    ) -> Result<Vec<NodeId>, SchemaError> {
        let Some(list) = object.get(keyword) else {
            return Ok(Vec::new());
        };
        let list = list
            .as_array()
            .ok_or_else(|| invalid(path, keyword, "must be a list of schemas"))?;
        list.iter()
            .enumerate()
            .map(|(index, schema)| self.schema(schema, &format!("{path}.{keyword}[{index}]")))
            .collect()
    }

    /// Declares apiVersion, kind and metadata (ObjectMeta) on an object node.
    fn add_type_meta(&mut self, id: NodeId) -> Result<(), SchemaError> {
        let string = self.reserve();
        self.nodes[string as usize].types = types::STRING;
        let metadata = self.object_meta()?;
        let node = &mut self.nodes[id as usize];
        node.properties
            .retain(|(name, _)| !matches!(&**name, "apiVersion" | "kind" | "metadata"));
        node.properties.push(("apiVersion".into(), string));
        node.properties.push(("kind".into(), string));
        node.properties.push(("metadata".into(), metadata));
        node.properties.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }

    /// ObjectMeta compiled as a built-in, within this arena.
    fn object_meta(&mut self) -> Result<NodeId, SchemaError> {
        let builtin = std::mem::replace(&mut self.builtin, true);
        let id = self.definition(OBJECT_META);
        self.builtin = builtin;
        id
    }
}

/// Declares apiVersion, kind and metadata on every embedded-resource node of a custom arena.
pub(crate) fn add_embedded_type_meta(compiler: &mut Compiler<'_>) -> Result<(), SchemaError> {
    let embedded: Vec<NodeId> = (0..compiler.nodes.len() as NodeId)
        .filter(|id| compiler.nodes[*id as usize].embedded_resource)
        .collect();
    for id in embedded {
        compiler.add_type_meta(id)?;
    }
    Ok(())
}

/// Built-in specifics: free-form objects (RawExtension, FieldsV1, JSON) keep what they hold and
/// are atomic; the rules table adds what kube-apiserver checks in code (`path` is the definition
/// name when a definition is compiled).
fn finish_builtin(node: &mut Node, path: &str) {
    let free_form = (node.types == 0 || node.types == types::OBJECT)
        && !node.int_or_string
        && node.properties.is_empty()
        && node.additional == Additional::None;
    if free_form {
        node.preserve_unknown = true;
        node.atomic = true;
    }
    if path == QUANTITY {
        node.types |= types::NUMBER | types::INTEGER;
        node.quantity = true;
    }
    let rules = rules_of(path);
    for rule in rules {
        match rule {
            BuiltinRule::Required(field) if !node.required.iter().any(|n| &**n == *field) => {
                node.required.push((*field).into());
            }
            BuiltinRule::NotRequired(field) => node.required.retain(|n| &**n != *field),
            _ => {}
        }
    }
    node.rules = rules;
}
