//! Field paths as kube-apiserver prints them: `spec.containers[0].image`, `metadata.labels[app]`.

use std::fmt::Write;

/// The path of the field being looked at, grown and shrunk while walking an object.
pub(crate) struct FieldPath {
    text: String,
    /// Built-in map keys print as `labels[app]` (Go validation); CRD map keys as `labels.app`.
    bracket_keys: bool,
}

impl FieldPath {
    /// An empty path (the object itself).
    pub fn new(bracket_keys: bool) -> Self {
        FieldPath {
            text: String::with_capacity(64),
            bracket_keys,
        }
    }

    /// Appends `.name`; returns the length to restore afterwards.
    pub fn field(&mut self, name: &str) -> usize {
        let mark = self.text.len();
        if !self.text.is_empty() {
            self.text.push('.');
        }
        self.text.push_str(name);
        mark
    }

    /// Appends `[index]`; returns the length to restore afterwards.
    pub fn index(&mut self, index: usize) -> usize {
        let mark = self.text.len();
        // Writing to a String cannot fail.
        let _ = write!(self.text, "[{index}]");
        mark
    }

    /// Appends a map key; returns the length to restore afterwards.
    pub fn key(&mut self, key: &str) -> usize {
        if !self.bracket_keys {
            return self.field(key);
        }
        let mark = self.text.len();
        self.text.push('[');
        self.text.push_str(key);
        self.text.push(']');
        mark
    }

    /// Goes back to a length returned by `field`, `index` or `key`.
    pub fn restore(&mut self, mark: usize) {
        self.text.truncate(mark);
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}
