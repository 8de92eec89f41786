//! Checks a value against a compiled schema, collecting every problem in kube-apiserver's words.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::formats::{base64_error_offset, is_quantity, QUANTITY_FORMAT_MESSAGE};
use super::node::{types, Additional, Arena, Checks, IntFormat, Junctors, Node, NodeId};
use super::path::FieldPath;
use super::rules;
use crate::field::{render_value, FieldError, FieldErrorKind};
use crate::shape::ListType;

/// Walks one value against one arena.
pub(crate) struct Validator<'a> {
    arena: &'a Arena,
    builtin: bool,
    path: FieldPath,
    errors: Vec<FieldError>,
    /// Below a built-in object's `status`: Go decodes missing fields as zero values and
    /// kube-apiserver does not require them there, so neither do we.
    in_builtin_status: bool,
}

impl<'a> Validator<'a> {
    /// A validator for a built-in (null means unset) or custom (null needs `nullable`) type.
    pub fn new(arena: &'a Arena, builtin: bool) -> Self {
        Validator {
            arena,
            builtin,
            path: FieldPath::new(builtin),
            errors: Vec::new(),
            in_builtin_status: false,
        }
    }

    /// Every problem of `value` against node `id`.
    pub fn run(mut self, id: NodeId, value: &Value) -> Vec<FieldError> {
        self.value(id, value);
        self.errors
    }

    fn push(&mut self, kind: FieldErrorKind, value: Option<&Value>, detail: &str) {
        self.errors
            .push(FieldError::new(kind, self.path.as_str(), value, detail));
    }

    fn value(&mut self, id: NodeId, value: &Value) {
        let node = self.arena.node(id);
        if value.is_null() {
            if !(self.builtin || node.nullable || (node.types == 0 && !node.int_or_string)) {
                self.type_error(node, value);
            }
            return;
        }
        if !type_matches(node, value) {
            self.type_error(node, value);
            return;
        }
        if let Some(detail) = value.as_str().and_then(|text| format_error(node, text)) {
            self.push(FieldErrorKind::TypeInvalid, Some(value), &detail);
            return;
        }
        if let Some(format) = int_format_overflow(node.int_format, value) {
            let detail = format!(
                "{} in body must be of type {format}: {}",
                self.path.as_str(),
                quoted(&value.to_string())
            );
            self.push(FieldErrorKind::Invalid, Some(value), &detail);
        }
        if let Some(checks) = &node.checks {
            self.checks(checks, value);
        }
        match value {
            Value::Object(map) => self.object(node, map),
            Value::Array(items) => self.array(node, items),
            _ => {}
        }
        if let Some(junctors) = &node.junctors {
            self.junctors(junctors, value);
        }
        for rule in node.rules {
            rules::check(*rule, value, self.path.as_str(), &mut self.errors);
        }
    }

    fn type_error(&mut self, node: &Node, value: &Value) {
        let actual = json_type(value);
        let detail = format!(
            "{} in body must be of type {}: {}",
            self.path.as_str(),
            expected_types(node),
            quoted(actual)
        );
        self.push(
            FieldErrorKind::TypeInvalid,
            Some(&Value::String(actual.to_string())),
            &detail,
        );
    }

    fn object(&mut self, node: &Node, map: &Map<String, Value>) {
        if !self.in_builtin_status {
            self.required(node, map);
        }
        if node.embedded_resource {
            self.embedded_type_meta(map);
        }
        for (key, child) in map {
            if let Some(id) = node.property(key) {
                let enters_status =
                    self.builtin && key == "status" && self.path.as_str().is_empty();
                let outer = self.in_builtin_status;
                self.in_builtin_status |= enters_status;
                let mark = self.path.field(key);
                self.value(id, child);
                self.path.restore(mark);
                self.in_builtin_status = outer;
            } else if let Additional::Schema(id) = node.additional {
                let mark = self.path.key(key);
                self.value(id, child);
                self.path.restore(mark);
            }
        }
    }

    fn required(&mut self, node: &Node, map: &Map<String, Value>) {
        for name in &node.required {
            let missing = match map.get(&**name) {
                None => true,
                Some(Value::Null) => self.builtin,
                Some(_) => false,
            };
            if missing {
                let mark = self.path.field(name);
                self.push(FieldErrorKind::Required, None, "");
                self.path.restore(mark);
            }
        }
    }

    fn embedded_type_meta(&mut self, map: &Map<String, Value>) {
        for field in ["apiVersion", "kind"] {
            let empty = map
                .get(field)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
            if empty {
                let mark = self.path.field(field);
                self.push(FieldErrorKind::Required, None, "must not be empty");
                self.path.restore(mark);
            }
        }
    }

    fn array(&mut self, node: &Node, items: &[Value]) {
        if let Some(id) = node.items {
            for (index, item) in items.iter().enumerate() {
                let mark = self.path.index(index);
                self.value(id, item);
                self.path.restore(mark);
            }
        }
        if self.builtin {
            return;
        }
        let unique = node.checks.as_ref().is_some_and(|c| c.unique_items);
        match &node.list_type {
            Some(ListType::Map(keys)) => self.duplicate_keys(keys, items),
            Some(ListType::Set) => self.duplicate_values(items),
            _ if unique => self.duplicate_values(items),
            _ => {}
        }
    }

    fn duplicate_values(&mut self, items: &[Value]) {
        let mut seen = HashSet::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            if !seen.insert(item.to_string()) {
                let mark = self.path.index(index);
                self.push(FieldErrorKind::Duplicate, Some(item), "");
                self.path.restore(mark);
            }
        }
    }

    fn duplicate_keys(&mut self, keys: &[String], items: &[Value]) {
        let mut seen = HashSet::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let identity: Map<String, Value> = keys
                .iter()
                .filter_map(|key| Some((key.clone(), item.get(key)?.clone())))
                .collect();
            let identity = Value::Object(identity);
            if !seen.insert(identity.to_string()) {
                let mark = self.path.index(index);
                self.push(FieldErrorKind::Duplicate, Some(&identity), "");
                self.path.restore(mark);
            }
        }
    }

    fn checks(&mut self, checks: &Checks, value: &Value) {
        if !checks.enum_values.is_empty() && !checks.enum_values.contains(value) {
            let supported: Vec<String> = checks.enum_values.iter().map(render_value).collect();
            let detail = format!("supported values: {}", supported.join(", "));
            self.push(FieldErrorKind::NotSupported, Some(value), &detail);
        }
        match value {
            Value::String(text) => self.string_checks(checks, value, text),
            Value::Number(_) => self.number_checks(checks, value),
            Value::Array(items) => self.count_checks(
                value,
                items.len(),
                (checks.min_items, checks.max_items),
                "items",
            ),
            Value::Object(map) => self.count_checks(
                value,
                map.len(),
                (checks.min_properties, checks.max_properties),
                "properties",
            ),
            _ => {}
        }
    }

    fn string_checks(&mut self, checks: &Checks, value: &Value, text: &str) {
        if let Some(pattern) = &checks.pattern {
            if !pattern.is_match(text) {
                let detail = format!(
                    "{} in body should match '{}'",
                    self.path.as_str(),
                    pattern.as_str()
                );
                self.push(FieldErrorKind::Invalid, Some(value), &detail);
            }
        }
        if checks.min_length.is_none() && checks.max_length.is_none() {
            return;
        }
        let length = text.chars().count() as u64;
        if let Some(max) = checks.max_length.filter(|max| length > *max) {
            let detail = format!("may not be more than {max} bytes");
            self.push(FieldErrorKind::TooLong, Some(value), &detail);
        }
        if let Some(min) = checks.min_length.filter(|min| length < *min) {
            let detail = format!(
                "{} in body should be at least {min} chars long",
                self.path.as_str()
            );
            self.push(FieldErrorKind::TooShort, Some(value), &detail);
        }
    }

    fn number_checks(&mut self, checks: &Checks, value: &Value) {
        let Some(number) = value.as_f64() else {
            return;
        };
        let path = self.path.as_str();
        let mut problems = Vec::new();
        if let Some(min) = checks.minimum {
            if checks.exclusive_minimum && number <= min {
                problems.push(format!(
                    "{path} in body should be greater than {}",
                    show(min)
                ));
            } else if number < min {
                problems.push(format!(
                    "{path} in body should be greater than or equal to {}",
                    show(min)
                ));
            }
        }
        if let Some(max) = checks.maximum {
            if checks.exclusive_maximum && number >= max {
                problems.push(format!("{path} in body should be less than {}", show(max)));
            } else if number > max {
                problems.push(format!(
                    "{path} in body should be less than or equal to {}",
                    show(max)
                ));
            }
        }
        if let Some(factor) = checks.multiple_of.filter(|f| *f > 0.0) {
            if (number / factor).fract() != 0.0 {
                problems.push(format!(
                    "{path} in body should be a multiple of {}",
                    show(factor)
                ));
            }
        }
        for detail in problems {
            self.push(FieldErrorKind::Invalid, Some(value), &detail);
        }
    }

    fn count_checks(
        &mut self,
        value: &Value,
        count: usize,
        (min, max): (Option<u64>, Option<u64>),
        noun: &str,
    ) {
        let count = count as u64;
        if let Some(max) = max.filter(|max| count > *max) {
            let detail = format!("must have at most {max} {noun}");
            self.push(FieldErrorKind::TooMany, Some(&Value::from(count)), &detail);
        }
        if let Some(min) = min.filter(|min| count < *min) {
            let detail = format!(
                "{} in body should have at least {min} {noun}",
                self.path.as_str()
            );
            self.push(FieldErrorKind::TooFew, Some(value), &detail);
        }
    }

    fn junctors(&mut self, junctors: &Junctors, value: &Value) {
        for id in &junctors.all_of {
            self.value(*id, value);
        }
        if !junctors.any_of.is_empty() {
            let outcomes: Vec<Vec<FieldError>> = junctors
                .any_of
                .iter()
                .map(|id| self.branch(*id, value))
                .collect();
            if outcomes.iter().all(|errors| !errors.is_empty()) {
                let detail = format!(
                    "{} in body must validate at least one schema (anyOf)",
                    self.path.as_str()
                );
                self.push(FieldErrorKind::Invalid, Some(value), &detail);
                self.errors.extend(outcomes.into_iter().flatten());
            }
        }
        if !junctors.one_of.is_empty() {
            let outcomes: Vec<Vec<FieldError>> = junctors
                .one_of
                .iter()
                .map(|id| self.branch(*id, value))
                .collect();
            let valid = outcomes.iter().filter(|errors| errors.is_empty()).count();
            if valid != 1 {
                let mut detail = format!(
                    "{} in body must validate one and only one schema (oneOf)",
                    self.path.as_str()
                );
                if valid > 1 {
                    detail.push_str(&format!(". Found {valid} valid alternatives"));
                }
                self.push(FieldErrorKind::Invalid, Some(value), &detail);
                self.errors.extend(outcomes.into_iter().flatten());
            }
        }
        if let Some(id) = junctors.not {
            if self.branch(id, value).is_empty() {
                let detail = format!(
                    "{} in body must not validate the schema (not)",
                    self.path.as_str()
                );
                self.push(FieldErrorKind::Invalid, Some(value), &detail);
            }
        }
    }

    /// The errors of `value` against one alternative, without recording them.
    fn branch(&mut self, id: NodeId, value: &Value) -> Vec<FieldError> {
        let outer = std::mem::take(&mut self.errors);
        self.value(id, value);
        std::mem::replace(&mut self.errors, outer)
    }
}

/// What kube-apiserver's decoder says about a malformed quantity or base64 string.
fn format_error(node: &Node, text: &str) -> Option<String> {
    if node.quantity && !is_quantity(text) {
        return Some(QUANTITY_FORMAT_MESSAGE.to_string());
    }
    if node.base64 {
        let offset = base64_error_offset(text)?;
        return Some(format!("illegal base64 data at input byte {offset}"));
    }
    None
}

fn type_matches(node: &Node, value: &Value) -> bool {
    if node.int_or_string {
        return value.is_string() || is_integer(value);
    }
    if node.types == 0 {
        return true;
    }
    let bits = match value {
        Value::Null => 0,
        Value::Bool(_) => types::BOOLEAN,
        Value::Number(_) if is_integer(value) => types::INTEGER | types::NUMBER,
        Value::Number(_) => types::NUMBER,
        Value::String(_) => types::STRING,
        Value::Array(_) => types::ARRAY,
        Value::Object(_) => types::OBJECT,
    };
    node.types & bits != 0
}

fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
}

/// The format a number does not fit (`int32`, `int64`), if any.
fn int_format_overflow(format: IntFormat, value: &Value) -> Option<&'static str> {
    let fits = match format {
        IntFormat::Unbounded => return None,
        IntFormat::Int32 => value
            .as_i64()
            .map_or(!value.is_number(), |n| i32::try_from(n).is_ok()),
        IntFormat::Int64 => value.is_i64() || !value.is_number(),
    };
    match (fits, format) {
        (true, _) => None,
        (false, IntFormat::Int32) => Some("int32"),
        (false, _) => Some("int64"),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn expected_types(node: &Node) -> String {
    if node.int_or_string {
        return "integer,string".to_string();
    }
    let names = [
        (types::OBJECT, "object"),
        (types::ARRAY, "array"),
        (types::STRING, "string"),
        (types::INTEGER, "integer"),
        (types::NUMBER, "number"),
        (types::BOOLEAN, "boolean"),
    ];
    names
        .iter()
        .filter(|(bit, _)| node.types & bit != 0)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
}

fn quoted(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// A limit as Go prints it: integers without a fraction.
fn show(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}
