//! What a request to the Application routes carries, checked before anything reaches the
//! cluster: namespace and name (DNS-1123, so that they cannot reshape the Kubernetes URL they
//! go into) and the JSON bodies of sync and rollback. Errors name the offending field.

use serde_json::{Map, Value};

use crate::server::error::ApiError;

/// The body of `POST .../sync`: all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncBody {
    /// The revision to sync; empty means the target revision.
    pub revision: String,
    /// Overrides the sync policy's prune.
    pub prune: Option<bool>,
}

/// The body of `POST .../rollback`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackBody {
    /// The history entry to go back to.
    pub id: i64,
    /// Roll back even when automated sync is on.
    pub force: bool,
}

/// 400 unless `value` (the `what` of the path) is a DNS-1123 name of at most 253 characters.
pub fn check_name(what: &str, value: &str) -> Result<(), ApiError> {
    let valid = !value.is_empty()
        && value.len() <= 253
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && value.starts_with(|c: char| c.is_ascii_alphanumeric())
        && value.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "{what} must be a lower-case DNS-1123 name"
        )))
    }
}

/// The sync body; an empty body is the default request.
pub fn sync_body(bytes: &[u8]) -> Result<SyncBody, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(SyncBody::default());
    }
    let fields = object(bytes, &["revision", "prune"])?;
    Ok(SyncBody {
        revision: optional_string(&fields, "revision")?.unwrap_or_default(),
        prune: optional_bool(&fields, "prune")?,
    })
}

/// The rollback body: `id` required, `force` optional (false).
pub fn rollback_body(bytes: &[u8]) -> Result<RollbackBody, ApiError> {
    let fields = object(bytes, &["id", "force"])?;
    let id = match fields.get("id") {
        None | Some(Value::Null) => return Err(field_error("id", "is required")),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| field_error("id", "must be an integer"))?,
    };
    Ok(RollbackBody {
        id,
        force: optional_bool(&fields, "force")?.unwrap_or(false),
    })
}

/// The body as a JSON object with no field outside `known`.
fn object(bytes: &[u8], known: &[&str]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object".to_owned(),
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "unknown field `{}` (expected {})",
            truncated(unknown),
            known.join(", ")
        )));
    }
    Ok(fields)
}

fn optional_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(field_error(name, "must be a string")),
    }
}

fn optional_bool(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(field_error(name, "must be true or false")),
    }
}

fn field_error(name: &str, problem: &str) -> ApiError {
    ApiError::BadRequest(format!("field `{name}` {problem}"))
}

/// At most 64 characters of a user-supplied key, for an error message.
fn truncated(key: &str) -> String {
    key.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: ApiError) -> String {
        assert!(matches!(error, ApiError::BadRequest(_)));
        error.to_string()
    }

    #[test]
    fn names_must_be_dns_1123() {
        assert!(check_name("name", "shop-1.web").is_ok());
        for bad in [
            "",
            "Shop",
            "-a",
            "a-",
            "..",
            "a/b",
            "a%2Fb",
            &"a".repeat(254),
        ] {
            assert!(check_name("name", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sync_bodies_are_optional_and_checked_field_by_field() {
        assert_eq!(sync_body(b"").unwrap(), SyncBody::default());
        assert_eq!(
            sync_body(br#"{"revision":"v2","prune":false}"#).unwrap(),
            SyncBody {
                revision: "v2".to_owned(),
                prune: Some(false)
            }
        );
        assert!(message(sync_body(br#"{"prune":"yes"}"#).unwrap_err()).contains("`prune`"));
        assert!(message(sync_body(br#"{"revison":"x"}"#).unwrap_err()).contains("`revison`"));
        assert!(message(sync_body(b"[1]").unwrap_err()).contains("object"));
        assert!(message(sync_body(b"{").unwrap_err()).contains("not JSON"));
    }

    #[test]
    fn rollback_bodies_need_an_integer_id() {
        assert_eq!(
            rollback_body(br#"{"id":3}"#).unwrap(),
            RollbackBody {
                id: 3,
                force: false
            }
        );
        assert!(rollback_body(br#"{"id":3,"force":true}"#).unwrap().force);
        assert!(message(rollback_body(b"{}").unwrap_err()).contains("`id` is required"));
        assert!(message(rollback_body(br#"{"id":"3"}"#).unwrap_err()).contains("`id` must be"));
        assert!(message(rollback_body(br#"{"id":1,"force":1}"#).unwrap_err()).contains("`force`"));
        assert!(message(rollback_body(b"").unwrap_err()).contains("not JSON"));
    }
}
