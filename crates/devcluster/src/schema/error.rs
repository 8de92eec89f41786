//! What can go wrong while compiling a schema. (What validation reports is `crate::field`.)

/// Why a schema could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The committed table of built-in schemas is not valid JSON of the expected shape.
    #[error("reading the built-in schema table: {0}")]
    ReadBuiltinTable(String),
    /// A `$ref` names a definition the table does not have.
    #[error("resolving $ref at {path}: no definition {name}")]
    ResolveRef {
        /// Where the reference is.
        path: String,
        /// The missing definition.
        name: String,
    },
    /// A custom resource schema uses `$ref`, which CRDs may not.
    #[error("{path}.$ref: Forbidden: $ref is not allowed in a custom resource schema")]
    RefInCustomSchema {
        /// Where the reference is.
        path: String,
    },
    /// A keyword has a value of the wrong type or out of range.
    #[error("{path}.{keyword}: Invalid value: {reason}")]
    InvalidKeyword {
        /// The schema the keyword belongs to.
        path: String,
        /// The keyword (`type`, `required`, `x-kubernetes-list-type`...).
        keyword: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A `pattern` is not a valid regular expression.
    #[error("{path}.pattern: Invalid value: {pattern:?}: compiling the pattern: {reason}")]
    CompilePattern {
        /// The schema the pattern belongs to.
        path: String,
        /// The pattern as written.
        pattern: String,
        /// The regular expression engine's explanation.
        reason: String,
    },
}
