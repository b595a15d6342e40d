//! REST errors, including Twilio's JSON error body.

use serde::Deserialize;

/// Twilio's error body: `{"code","message","more_info","status"}` (e.g. code 20404 not found,
/// 20429 too many requests; reference at <https://www.twilio.com/docs/api/errors>).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioError {
    /// Twilio error code, e.g. `20404`.
    #[serde(default)]
    pub code: Option<u32>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Documentation link.
    #[serde(default)]
    pub more_info: Option<String>,
    /// HTTP status as Twilio reports it.
    #[serde(default)]
    pub status: Option<u16>,
}

/// Why a REST call failed.
#[derive(Debug, thiserror::Error)]
pub enum RestError {
    /// Twilio answered with an error status. When the body was not Twilio's JSON error shape,
    /// `error.code` is `None` and `error.message` holds the start of the body.
    #[error("Twilio API error {status} (code {code:?}): {message}", code = error.code, message = error.message)]
    Api {
        /// HTTP status.
        status: u16,
        /// The parsed error body.
        error: TwilioError,
        /// The `Retry-After` header, in whole seconds (an HTTP date is not used by Twilio and is ignored).
        retry_after: Option<std::time::Duration>,
    },
    /// No answer within [`super::ClientConfig::timeout`].
    #[error("request to Twilio timed out")]
    Timeout(#[source] reqwest::Error),
    /// Connection, TLS or protocol failure.
    #[error("cannot reach Twilio: {0}")]
    Transport(#[source] reqwest::Error),
    /// A success status whose body is not the expected JSON.
    #[error("unexpected response body (HTTP {status}): {message}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// The JSON error.
        message: String,
    },
    /// A bad base URL, or a `next_page_uri` pointing somewhere else.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The HTTP client could not be built (e.g. no rustls crypto provider installed).
    #[error("cannot build HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

impl RestError {
    /// Twilio's error code, when there is one.
    pub fn code(&self) -> Option<u32> {
        match self {
            RestError::Api { error, .. } => error.code,
            _ => None,
        }
    }

    /// HTTP status, when Twilio answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            RestError::Api { status, .. } | RestError::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long Twilio asked us to wait before trying again (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            RestError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether retrying may help: 429/20429 always; 5xx, timeouts and connection failures
    /// only when `idempotent`.
    pub(crate) fn retryable(&self, idempotent: bool) -> bool {
        match self {
            RestError::Api { status, error, .. } => {
                *status == 429 || error.code == Some(20429) || (idempotent && *status >= 500)
            }
            RestError::Timeout(_) => idempotent,
            RestError::Transport(e) => e.is_connect() || idempotent,
            _ => false,
        }
    }
}
