//! Every error the API answers, as JSON `{"error": "<one line>"}` with the status that fits.
//! Bodies never hold a stack trace, a token or a secret; Kubernetes errors are reduced to their
//! message.

use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::controller::requests::RequestError;

/// An API error: what went wrong, as one line, and which status says so.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer token, or one we do not know: 401 with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Known caller, not allowed (a read-only token on a POST, webhooks with no secret): 403.
    #[error("{0}")]
    Forbidden(String),
    /// The request itself is malformed (body, query, name): 400.
    #[error("{0}")]
    BadRequest(String),
    /// A webhook whose signature or token does not check out: 401.
    #[error("{0}")]
    BadSignature(&'static str),
    /// No such Application (or route): 404.
    #[error("{0}")]
    NotFound(String),
    /// The request makes no sense for the Application as it is (a refused rollback): 409.
    #[error("{0}")]
    Conflict(String),
    /// The Application cannot be handled as it stands (an unknown destination): 422.
    #[error("{0}")]
    Unprocessable(String),
    /// A route that exists, asked with a method it does not serve: 405.
    #[error("{0}")]
    MethodNotAllowed(&'static str),
    /// A body over the limit: 413.
    #[error("{0}")]
    TooLarge(String),
    /// The Applications' cluster refused or could not be reached: its own 4xx status when it
    /// gave one, 502 otherwise.
    #[error("{message}")]
    Upstream {
        /// The status to answer.
        status: StatusCode,
        /// What was being done, and the API's message.
        message: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated(_) | ApiError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Upstream { status, .. } => *status,
        }
    }

    /// The Kubernetes API's failure while `step` (such as "listing applications").
    pub fn kube(step: &str, error: &kube::Error) -> Self {
        let status = match error {
            kube::Error::Api(status) if (400..500).contains(&status.code) => {
                StatusCode::from_u16(status.code).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            _ => StatusCode::BAD_GATEWAY,
        };
        ApiError::Upstream {
            status,
            message: format!("{step}: {}", kube_message(error)),
        }
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> Self {
        match &error {
            RequestError::NotFound { .. } => ApiError::NotFound(error.to_string()),
            RequestError::Refused { .. } => ApiError::Conflict(one_line(&error.to_string())),
            RequestError::Api { step, app, source } => {
                ApiError::kube(&format!("{step} {app}"), source)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = Json(json!({"error": one_line(&self.to_string())}));
        let mut response = (status, body).into_response();
        if status == StatusCode::UNAUTHORIZED && matches!(self, ApiError::Unauthenticated(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"driftless\""),
            );
        }
        response
    }
}

/// A Kubernetes client error as one line: the Status message for an API answer, the error's
/// own text otherwise.
pub fn kube_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => one_line(&status.message),
        other => one_line(&other.to_string()),
    }
}

/// `text` on one line: line breaks become spaces.
pub fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A request body that could not be read: 413 over `limit` (named in the message), 400
/// otherwise.
pub fn body_error(rejection: &BytesRejection, limit: &str) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(format!("the body is over {limit}"))
    } else {
        ApiError::BadRequest("the body could not be read".to_owned())
    }
}

/// The answer for a path no route serves: 404 JSON.
pub async fn no_route() -> ApiError {
    ApiError::NotFound("no such route".to_owned())
}

/// The answer for a route asked with a method it does not serve: 405 JSON.
pub async fn wrong_method() -> ApiError {
    ApiError::MethodNotAllowed("method not allowed on this route")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line() {
        assert_eq!(one_line("a\n  b\r\nc\n"), "a b c");
    }

    #[test]
    fn unauthenticated_answers_ask_for_a_bearer_token() {
        let response = ApiError::Unauthenticated("missing bearer token").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let response = ApiError::BadSignature("bad signature").into_response();
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
