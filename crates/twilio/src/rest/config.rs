//! Client configuration and credentials.

use std::fmt;
use std::time::Duration;

/// Twilio's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Credentials for HTTP basic auth. `Debug` does not print secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// An API key (`SK…` SID and its secret), Twilio's recommended credential.
    ApiKey {
        /// API key SID, `SK…`.
        sid: String,
        /// API key secret.
        secret: String,
    },
    /// The account's auth token (user name is the account SID).
    AuthToken(String),
}

impl Auth {
    /// API key credentials.
    pub fn api_key(sid: impl Into<String>, secret: impl Into<String>) -> Self {
        Auth::ApiKey {
            sid: sid.into(),
            secret: secret.into(),
        }
    }

    /// Auth-token credentials.
    pub fn auth_token(token: impl Into<String>) -> Self {
        Auth::AuthToken(token.into())
    }

    /// `(user, password)` for basic auth.
    pub(crate) fn basic<'a>(&'a self, account_sid: &'a str) -> (&'a str, &'a str) {
        match self {
            Auth::ApiKey { sid, secret } => (sid, secret),
            Auth::AuthToken(token) => (account_sid, token),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::ApiKey { sid, .. } => write!(f, "ApiKey {{ sid: {sid:?}, secret: <redacted> }}"),
            Auth::AuthToken(_) => f.write_str("AuthToken(<redacted>)"),
        }
    }
}

/// Transport settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Scheme, host and optional path prefix; `/2010-04-01/…` is appended.
    pub base_url: String,
    /// Whole-request timeout (per attempt).
    pub timeout: Duration,
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: usize,
    /// First backoff delay; doubles per retry, with jitter.
    pub min_backoff: Duration,
    /// Longest backoff delay.
    pub max_backoff: Duration,
    /// `PageSize` for list requests (Twilio allows at most 1000).
    pub page_size: u32,
    /// Accept any TLS certificate. **Only** for piphone's local sandbox on loopback, which
    /// serves piphone's self-signed certificate; never for api.twilio.com.
    pub accept_invalid_certs: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_string(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_retries: 3,
            min_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            page_size: 1000,
            accept_invalid_certs: false,
        }
    }
}
