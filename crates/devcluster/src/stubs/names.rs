//! TEMPORARY stand-in.
pub fn validate_name(_g: &str, _k: &str, name: &str, _p: bool) -> Result<(), String> {
    if name.is_empty() || name.contains('/') {
        Err(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"
                .into(),
        )
    } else {
        Ok(())
    }
}
pub fn validate_metadata(_m: &serde_json::Value) -> Vec<crate::schema::FieldError> {
    vec![]
}
