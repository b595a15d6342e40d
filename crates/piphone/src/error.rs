//! The one error type at the HTTP edge. Each kind maps to one status; 5xx bodies say nothing internal while
//! the log gets the whole cause chain.

use axum::Json;
use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("login required")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    /// The request clashes with the current state (another screener took the caller first).
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {0} seconds")]
    TooManyAttempts(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Twilio's REST API failed; the body says only that, the log says why.
    #[error("Twilio request failed")]
    Upstream(#[source] twilio::rest::RestError),
    #[error("internal error: {0}")]
    Internal(String),
    /// A request body the extractor refused (not JSON, not the expected shape, too large), with its status.
    #[error("{1}")]
    Body(StatusCode, String),
}

/// A JSON request body (like `axum::Json`) whose refusals answer like every other API error, `{"error": "…"}`,
/// with axum's status: 400 for broken JSON, 422 for the wrong shape, 415 without a JSON content type, 413 when
/// too large.
#[derive(Debug, FromRequest)]
#[from_request(via(Json), rejection(AppError))]
pub struct JsonBody<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        AppError::Body(rejection.status(), rejection.body_text())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Upstream(_) => StatusCode::BAD_GATEWAY,
            AppError::Body(status, _) => *status,
            AppError::Store(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %CauseChain(&self), "request failed");
            match self {
                AppError::Upstream(_) => "Twilio could not be reached; try again".to_owned(),
                _ => "internal error".to_owned(),
            }
        } else {
            self.to_string()
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// An error and all its sources, `outer: inner: innermost`, for the log.
pub struct CauseChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for CauseChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
