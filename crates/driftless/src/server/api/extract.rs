//! Extractors whose rejections are JSON errors like every other answer of the API: the
//! Application's `{namespace}/{name}` (checked as DNS-1123 names) and a query string.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::params::check_name;
use crate::server::error::ApiError;

/// The `{namespace}/{name}` of an Application route, both valid DNS-1123 names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPath {
    /// The namespace.
    pub namespace: String,
    /// The name.
    pub name: String,
}

impl<S: Send + Sync> FromRequestParts<S> for AppPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path((namespace, name)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("bad path: {}", e.body_text())))?;
        check_name("namespace", &namespace)?;
        check_name("name", &name)?;
        Ok(AppPath { namespace, name })
    }
}

/// A query string read into `T`; 400 JSON when it does not fit.
#[derive(Debug, Clone)]
pub struct QueryOf<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryOf<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(format!("bad query: {}", e.body_text())))?;
        Ok(QueryOf(value))
    }
}
