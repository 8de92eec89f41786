//! TEMPORARY stand-in until the real schema module lands (same API).
use crate::shape::{ListType, Shape};
use serde_json::Value;
#[derive(Debug, Clone, Default)]
pub struct SchemaSet;
#[derive(Debug, thiserror::Error)]
#[error("schema")]
pub struct SchemaError;
impl SchemaSet {
    pub fn builtin() -> Result<SchemaSet, SchemaError> {
        Ok(SchemaSet)
    }
    pub fn set_custom(
        &mut self,
        _g: &str,
        _v: &str,
        _k: &str,
        _s: &Value,
    ) -> Result<(), SchemaError> {
        Ok(())
    }
    pub fn remove_custom(&mut self, _g: &str, _v: &str, _k: &str) {}
    pub fn get(&self, _g: &str, _v: &str, _k: &str) -> Option<TypeSchema<'_>> {
        None
    }
}
#[derive(Debug, Clone, Copy)]
pub struct TypeSchema<'a>(&'a SchemaSet);
impl<'a> TypeSchema<'a> {
    pub fn validate(self, _o: &Value) -> Vec<FieldError> {
        vec![]
    }
    pub fn prune(self, _o: &mut Value) -> Vec<String> {
        vec![]
    }
    pub fn is_builtin(self) -> bool {
        true
    }
}
impl Shape for TypeSchema<'_> {
    fn field(self, _n: &str) -> Option<Self> {
        None
    }
    fn items(self) -> Option<Self> {
        None
    }
    fn list_type(self) -> ListType {
        ListType::Atomic
    }
    fn is_atomic(self) -> bool {
        false
    }
    fn patch_merge_key(self) -> Option<String> {
        None
    }
    fn patch_strategies(self) -> Vec<String> {
        vec![]
    }
}
#[derive(Debug, Clone)]
pub struct FieldError {
    pub kind: FieldErrorKind,
    pub field: String,
    pub message: String,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    TypeInvalid,
    Required,
    Invalid,
}
impl FieldErrorKind {
    pub fn cause_type(self) -> &'static str {
        "FieldValueInvalid"
    }
}
impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}
