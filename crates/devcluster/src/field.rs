//! Field errors: one problem with one field of an object, in kube-apiserver's wording. Schema validation,
//! name rules and admission all report them; the API turns them into a Status's causes.

use serde_json::Value;

/// The category of one field error, as kube-apiserver's `field.ErrorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// The value has the wrong JSON type (`replicas: "two"`).
    TypeInvalid,
    /// A required field is missing (or null).
    Required,
    /// The value breaks a rule (pattern, minimum, a selector that does not match...).
    Invalid,
    /// The value is not one of the enumerated values.
    NotSupported,
    /// A string is longer than `maxLength`.
    TooLong,
    /// A string is shorter than `minLength`; kube-apiserver reports it as `FieldValueInvalid`.
    TooShort,
    /// A list or map has more elements than allowed.
    TooMany,
    /// A list or map has fewer elements than allowed; kube-apiserver reports it as `FieldValueInvalid`.
    TooFew,
    /// An element repeats a value or key that must be unique.
    Duplicate,
}

impl FieldErrorKind {
    /// The `details.causes[].reason` kube-apiserver gives for this kind of error.
    pub fn cause_type(self) -> &'static str {
        match self {
            FieldErrorKind::TypeInvalid => "FieldValueTypeInvalid",
            FieldErrorKind::Required => "FieldValueRequired",
            FieldErrorKind::Invalid | FieldErrorKind::TooShort | FieldErrorKind::TooFew => {
                "FieldValueInvalid"
            }
            FieldErrorKind::NotSupported => "FieldValueNotSupported",
            FieldErrorKind::TooLong => "FieldValueTooLong",
            FieldErrorKind::TooMany => "FieldValueTooMany",
            FieldErrorKind::Duplicate => "FieldValueDuplicate",
        }
    }

    /// The words kube-apiserver starts the message with (`Invalid value`, `Required value`, ...).
    fn label(self) -> &'static str {
        match self {
            FieldErrorKind::TypeInvalid
            | FieldErrorKind::Invalid
            | FieldErrorKind::TooShort
            | FieldErrorKind::TooFew => "Invalid value",
            FieldErrorKind::Required => "Required value",
            FieldErrorKind::NotSupported => "Unsupported value",
            FieldErrorKind::TooLong => "Too long",
            FieldErrorKind::TooMany => "Too many",
            FieldErrorKind::Duplicate => "Duplicate value",
        }
    }

    /// Whether kube-apiserver leaves the offending value out of the message.
    fn omits_value(self) -> bool {
        matches!(self, FieldErrorKind::Required | FieldErrorKind::TooLong)
    }
}

/// One problem with one field of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// What kind of problem this is.
    pub kind: FieldErrorKind,
    /// The field's path: `spec.replicas`, `spec.template.spec.containers[0].image`, `metadata.labels[app]`.
    pub field: String,
    /// kube-apiserver's message without the field: `Required value`,
    /// `Invalid value: "string": spec.replicas in body must be of type integer: "string"`.
    pub message: String,
}

impl FieldError {
    /// An error whose message is the kind's label, the rendered value (unless the kind omits it)
    /// and the detail, joined as kube-apiserver's `field.Error.ErrorBody` joins them.
    pub fn new(kind: FieldErrorKind, field: &str, value: Option<&Value>, detail: &str) -> Self {
        let mut message = kind.label().to_string();
        if let (false, Some(value)) = (kind.omits_value(), value) {
            message.push_str(": ");
            message.push_str(&render_value(value));
        }
        if !detail.is_empty() {
            message.push_str(": ");
            message.push_str(detail);
        }
        FieldError {
            kind,
            field: field.to_string(),
            message,
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A value as kube-apiserver prints it in a message: strings quoted, everything else as JSON.
pub(crate) fn render_value(value: &Value) -> String {
    value.to_string()
}
