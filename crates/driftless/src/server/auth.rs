//! Bearer-token authentication of the `/api/v1` routes (the webhook receiver excepted, which
//! checks its own signatures): no or unknown token is 401, a read-only token may only read
//! (GET, HEAD), anything else needs an admin token (403 otherwise).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::config::Role;
use super::error::ApiError;
use super::ServerState;

/// Why a request to `/api/v1` was turned away. Never holds the token presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header (401).
    #[error("missing bearer token")]
    Missing,
    /// A bearer token that is none of ours (401).
    #[error("unknown bearer token")]
    Unknown,
    /// A read-only token on a method that changes something (403).
    #[error("a read-only token may only read; {0} needs an admin token")]
    ReadOnly(&'static str),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing => ApiError::Unauthenticated("missing bearer token"),
            AuthError::Unknown => ApiError::Unauthenticated("unknown bearer token"),
            AuthError::ReadOnly(_) => ApiError::Forbidden(error.to_string()),
        }
    }
}

/// Who made an authenticated request; handlers find it in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The token's role.
    pub role: Role,
}

impl Caller {
    /// The name written as `operation.initiatedBy.username` for requests made through the API.
    pub fn username(&self) -> &'static str {
        "api"
    }
}

/// Middleware: lets the request through only with a known bearer token whose role allows the
/// method, and attaches its [`Caller`].
pub async fn require_token(
    State(state): State<ServerState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, request.headers())?;
    authorize(caller, request.method())?;
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

/// The caller that the `Authorization` header proves.
fn authenticate(state: &ServerState, headers: &HeaderMap) -> Result<Caller, AuthError> {
    let token = bearer_token(headers).ok_or(AuthError::Missing)?;
    let role = state.tokens.role_of(token).ok_or(AuthError::Unknown)?;
    Ok(Caller { role })
}

/// Whether `caller` may use `method`: anyone reads, only admins write.
fn authorize(caller: Caller, method: &Method) -> Result<(), AuthError> {
    let reads = method == Method::GET || method == Method::HEAD;
    if reads || caller.role == Role::Admin {
        Ok(())
    } else {
        Err(AuthError::ReadOnly(method_name(method)))
    }
}

/// The method's name for a message (only the common ones; others are "this method").
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "this method",
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic abc")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn read_only_tokens_may_only_read() {
        let reader = Caller {
            role: Role::ReadOnly,
        };
        let admin = Caller { role: Role::Admin };
        assert!(authorize(reader, &Method::GET).is_ok());
        assert!(matches!(
            authorize(reader, &Method::POST),
            Err(AuthError::ReadOnly("POST"))
        ));
        assert!(authorize(admin, &Method::POST).is_ok());
    }
}
