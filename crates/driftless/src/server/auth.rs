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

/// The caller that the `Authorization` header proves, or 401.
fn authenticate(state: &ServerState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = bearer_token(headers).ok_or(ApiError::Unauthenticated("missing bearer token"))?;
    let role = state
        .tokens
        .role_of(token)
        .ok_or(ApiError::Unauthenticated("unknown bearer token"))?;
    Ok(Caller { role })
}

/// 403 unless `caller` may use `method`.
fn authorize(caller: Caller, method: &Method) -> Result<(), ApiError> {
    let reads = method == Method::GET || method == Method::HEAD;
    if reads || caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "a {} token may only read; {method} needs an admin token",
            caller.role.as_str()
        )))
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
            Err(ApiError::Forbidden(_))
        ));
        assert!(authorize(admin, &Method::POST).is_ok());
    }
}
