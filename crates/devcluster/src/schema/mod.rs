//! Schemas of the types devcluster serves: the built-in Kubernetes types (from a committed table
//! generated from the upstream OpenAPI, see `scripts/gen-builtin-schemas.py`) and the versions of
//! custom resources (from their CRDs). Each schema is compiled once; validating or pruning an
//! object then walks the precompiled nodes without lookups by name.

mod compile;
mod default;
mod error;
mod formats;
mod keywords;
mod node;
mod path;
mod prune;
mod rules;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

pub use crate::field::{FieldError, FieldErrorKind};
use compile::Compiler;
pub use error::SchemaError;
use node::{types, Arena, NodeId};
use path::FieldPath;
use validate::Validator;

use crate::shape::{ListType, Shape};

const BUILTIN_TABLE: &str = include_str!("../../data/builtin-schemas.json");

/// The compiled built-in table, shared by every `SchemaSet`.
#[derive(Debug)]
struct Builtin {
    definitions: Map<String, Value>,
    arena: Arena,
    /// kind -> (group, version, root node, definition name).
    kinds: HashMap<String, Vec<BuiltinKind>>,
}

#[derive(Debug)]
struct BuiltinKind {
    group: String,
    version: String,
    root: NodeId,
    definition: String,
}

/// One served version of a custom resource.
#[derive(Debug, Clone)]
struct CustomKind {
    group: String,
    version: String,
    arena: Arc<Arena>,
    root: NodeId,
    schema: Arc<Value>,
}

/// The schemas of the built-in types plus those of custom resources. Cloning is cheap: compiled
/// schemas are shared. Its `Debug` form lists the custom kinds, not the schemas.
#[derive(Clone)]
pub struct SchemaSet {
    builtin: Arc<Builtin>,
    /// kind -> its served versions.
    custom: HashMap<String, Vec<CustomKind>>,
}

impl SchemaSet {
    /// Schemas of the built-in types, from the committed table (compiled once per process).
    pub fn builtin() -> Result<SchemaSet, SchemaError> {
        static BUILTIN: OnceLock<Result<Arc<Builtin>, String>> = OnceLock::new();
        let builtin = BUILTIN
            .get_or_init(|| load_builtin().map(Arc::new).map_err(|e| e.to_string()))
            .clone()
            .map_err(SchemaError::ReadBuiltinTable)?;
        Ok(SchemaSet {
            builtin,
            custom: HashMap::new(),
        })
    }

    /// Adds or replaces the schema of one served version of a custom resource, from its CRD's
    /// `spec.versions[].schema.openAPIV3Schema`. apiVersion, kind and metadata (as ObjectMeta) are
    /// declared on the root whatever the schema says. Errors name what is wrong with the schema.
    pub fn set_custom(
        &mut self,
        group: &str,
        version: &str,
        kind: &str,
        open_api_v3_schema: &Value,
    ) -> Result<(), SchemaError> {
        let schema = Arc::new(open_api_v3_schema.clone());
        let mut compiler = Compiler::new(&self.builtin.definitions, false);
        let root = compiler.custom_root(&schema)?;
        compile::add_embedded_type_meta(&mut compiler)?;
        let arena = Arc::new(compiler.finish()?);
        let entry = CustomKind {
            group: group.to_string(),
            version: version.to_string(),
            arena,
            root,
            schema,
        };
        let versions = self.custom.entry(kind.to_string()).or_default();
        versions.retain(|v| !(v.group == group && v.version == version));
        versions.push(entry);
        Ok(())
    }

    /// Forgets the schema of one version of a custom resource (nothing happens if it is unknown).
    pub fn remove_custom(&mut self, group: &str, version: &str, kind: &str) {
        if let Some(versions) = self.custom.get_mut(kind) {
            versions.retain(|v| !(v.group == group && v.version == version));
            if versions.is_empty() {
                self.custom.remove(kind);
            }
        }
    }

    /// The schema of a type (group "" for the core group), built-in or custom.
    pub fn get(&self, group: &str, version: &str, kind: &str) -> Option<TypeSchema<'_>> {
        self.builtin_kind(group, version, kind)
            .map(|entry| TypeSchema {
                arena: &self.builtin.arena,
                node: entry.root,
                builtin: true,
            })
            .or_else(|| {
                self.custom_kind(group, version, kind)
                    .map(|entry| TypeSchema {
                        arena: &entry.arena,
                        node: entry.root,
                        builtin: false,
                    })
            })
    }

    /// The built-in definitions as the table holds them (OpenAPI form, `$ref`s to
    /// `#/definitions/<name>`), for the OpenAPI documents.
    pub fn builtin_definitions(&self) -> &Map<String, Value> {
        &self.builtin.definitions
    }

    /// The definition name of a built-in kind (`io.k8s.api.apps.v1.Deployment`).
    pub fn builtin_definition_name(&self, group: &str, version: &str, kind: &str) -> Option<&str> {
        self.builtin_kind(group, version, kind)
            .map(|entry| entry.definition.as_str())
    }

    /// The `openAPIV3Schema` a custom resource version was registered with.
    pub fn custom_schema(&self, group: &str, version: &str, kind: &str) -> Option<&Value> {
        self.custom_kind(group, version, kind)
            .map(|entry| entry.schema.as_ref())
    }

    fn builtin_kind(&self, group: &str, version: &str, kind: &str) -> Option<&BuiltinKind> {
        self.builtin
            .kinds
            .get(kind)?
            .iter()
            .find(|entry| entry.group == group && entry.version == version)
    }

    fn custom_kind(&self, group: &str, version: &str, kind: &str) -> Option<&CustomKind> {
        self.custom
            .get(kind)?
            .iter()
            .find(|entry| entry.group == group && entry.version == version)
    }
}

fn load_builtin() -> Result<Builtin, SchemaError> {
    let mut table: Value = serde_json::from_str(BUILTIN_TABLE)
        .map_err(|e| SchemaError::ReadBuiltinTable(e.to_string()))?;
    let definitions = match table.get_mut("definitions").map(Value::take) {
        Some(Value::Object(definitions)) => definitions,
        _ => {
            return Err(SchemaError::ReadBuiltinTable(
                "no \"definitions\" object".to_string(),
            ))
        }
    };
    let entries = table
        .get("kinds")
        .and_then(Value::as_array)
        .ok_or_else(|| SchemaError::ReadBuiltinTable("no \"kinds\" list".to_string()))?;
    let mut compiler = Compiler::new(&definitions, true);
    let mut kinds: HashMap<String, Vec<BuiltinKind>> = HashMap::new();
    for entry in entries {
        let text = |field: &str| entry.get(field).and_then(Value::as_str).unwrap_or_default();
        let definition = text("definition");
        let root = compiler.definition(definition)?;
        kinds
            .entry(text("kind").to_string())
            .or_default()
            .push(BuiltinKind {
                group: text("group").to_string(),
                version: text("version").to_string(),
                root,
                definition: definition.to_string(),
            });
    }
    let arena = compiler.finish()?;
    Ok(Builtin {
        definitions,
        arena,
        kinds,
    })
}

/// A cursor into a `SchemaSet`: the schema of one type, or of one field below it.
#[derive(Clone, Copy)]
pub struct TypeSchema<'a> {
    arena: &'a Arena,
    node: NodeId,
    builtin: bool,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut custom: Vec<String> = self
            .custom
            .iter()
            .flat_map(|(kind, versions)| {
                versions
                    .iter()
                    .map(move |v| format!("{}/{} {kind}", v.group, v.version))
            })
            .collect();
        custom.sort();
        f.debug_struct("SchemaSet")
            .field("builtin_kinds", &self.builtin.kinds.len())
            .field("custom", &custom)
            .finish()
    }
}

impl std::fmt::Debug for TypeSchema<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeSchema")
            .field("node", &self.node)
            .field("builtin", &self.builtin)
            .finish()
    }
}

impl<'a> TypeSchema<'a> {
    /// Every problem with the object against the schema (whole object: apiVersion, kind,
    /// metadata, spec...), in kube-apiserver's wording. Unknown fields are not problems here:
    /// `prune` reports them.
    pub fn validate(self, object: &Value) -> Vec<FieldError> {
        Validator::new(self.arena, self.builtin).run(self.node, object)
    }

    /// Removes fields the schema does not declare (keeps anything under
    /// `x-kubernetes-preserve-unknown-fields` or `additionalProperties`, and all of metadata's
    /// declared fields); returns the removed fields' paths (`spec.foo`, `spec.items[0].bar`).
    pub fn prune(self, object: &mut Value) -> Vec<String> {
        let mut removed = Vec::new();
        let mut path = FieldPath::new(self.builtin);
        prune::prune(self.arena, self.node, object, &mut path, &mut removed);
        removed.sort_unstable();
        removed
    }

    /// Custom resources: fills in the schema's `default`s for absent fields and drops nulls of
    /// non-nullable fields that have no default, as kube-apiserver does before validating (defaults
    /// inside inserted defaults apply too). Built-in types are left alone: their defaults are Go
    /// code upstream and not part of the table.
    pub fn apply_defaults(self, object: &mut Value) {
        if !self.builtin {
            default::apply_defaults(self.arena, self.node, object);
        }
    }

    /// Whether this is a built-in type (wrong JSON types are 400 BadRequest for built-ins, 422 for
    /// custom resources).
    pub fn is_builtin(self) -> bool {
        self.builtin
    }

    fn at(self, node: NodeId) -> Self {
        TypeSchema { node, ..self }
    }

    fn node(self) -> &'a node::Node {
        self.arena.node(self.node)
    }
}

impl Shape for TypeSchema<'_> {
    fn field(self, name: &str) -> Option<Self> {
        let node = self.node();
        let id = node.property(name).or(match node.additional {
            node::Additional::Schema(id) => Some(id),
            _ => None,
        })?;
        Some(self.at(id))
    }

    fn items(self) -> Option<Self> {
        self.node().items.map(|id| self.at(id))
    }

    fn list_type(self) -> ListType {
        let node = self.node();
        if let Some(list_type) = &node.list_type {
            return list_type.clone();
        }
        if !self.builtin || !node.patch_strategies.iter().any(|s| &**s == "merge") {
            return ListType::Atomic;
        }
        match &node.patch_merge_key {
            Some(key) => ListType::Map(vec![key.to_string()]),
            None if self.items().is_some_and(|items| items.is_scalar()) => ListType::Set,
            None => ListType::Atomic,
        }
    }

    fn is_atomic(self) -> bool {
        let node = self.node();
        node.atomic || node.int_or_string || self.is_scalar()
    }

    fn patch_merge_key(self) -> Option<String> {
        self.node().patch_merge_key.as_deref().map(str::to_string)
    }

    fn patch_strategies(self) -> Vec<String> {
        self.node()
            .patch_strategies
            .iter()
            .map(|s| s.to_string())
            .collect()
    }
}

impl TypeSchema<'_> {
    /// Whether values of this schema are scalars (strings, numbers, booleans).
    fn is_scalar(self) -> bool {
        let node = self.node();
        node.types != 0 && node.types & (types::OBJECT | types::ARRAY) == 0
    }
}
