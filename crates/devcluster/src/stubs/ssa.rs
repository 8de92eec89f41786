//! TEMPORARY stand-in: naive merge, no ownership.
use crate::shape::Shape;
use serde_json::Value;
#[derive(Debug, thiserror::Error)]
pub enum SsaError {
    #[error("Apply failed with {} conflicts", .0.len())]
    Conflicts(Vec<Conflict>),
    #[error("{0}")]
    InvalidConfig(String),
    #[error("{0}")]
    InvalidManagedFields(String),
}
#[derive(Debug, Clone)]
pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub field: String,
}
impl Conflict {
    pub fn message(&self) -> String {
        format!(
            "conflict with \"{}\" using {}",
            self.manager, self.api_version
        )
    }
}
pub fn apply<S: Shape>(
    _s: Option<S>,
    live: Option<&Value>,
    config: &Value,
    _m: &str,
    _sub: Option<&str>,
    _f: bool,
    _now: &str,
) -> Result<Value, SsaError> {
    let mut out = live.cloned().unwrap_or(Value::Null);
    json_patch::merge(&mut out, config);
    Ok(out)
}
pub fn track_update<S: Shape>(
    _s: Option<S>,
    _o: Option<&Value>,
    _n: &mut Value,
    _m: &str,
    _sub: Option<&str>,
    _now: &str,
) -> Result<(), SsaError> {
    Ok(())
}
