//! The signed-webhook extractor: nothing from a webhook is trusted before its `X-Twilio-Signature` is checked.
//!
//! The signed URL is rebuilt from the configured public base URL plus the request's path and query, never from
//! the Host header (which a proxy or tunnel changes and an attacker controls). The raw body is parsed by the
//! protocol crate, which keeps repeated fields (a map-based extractor would silently drop them).

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use twilio::signature::{
    RequestValidator, SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, parse_form,
};

use crate::state::AppState;

/// Largest webhook body accepted. Twilio's voice webhooks are a few kilobytes.
pub const MAX_BODY: usize = 64 * 1024;

/// A verified Twilio webhook's form fields, in wire order (names may repeat), and the fields every handler
/// reads, each read here once.
#[derive(Debug, Clone)]
pub struct TwilioForm {
    pub params: Vec<(String, String)>,
}

impl TwilioForm {
    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The call's `CallSid`, empty when Twilio sent none.
    pub fn call_sid(&self) -> &str {
        self.get("CallSid").unwrap_or("")
    }

    /// `From` as Twilio sent it (a phone number, `client:<identity>`, or empty).
    pub fn from(&self) -> &str {
        self.get("From").unwrap_or("")
    }

    /// The caller's `From` if it is a phone number (not `client:…`, not empty).
    pub fn phone_from(&self) -> Option<&str> {
        Some(self.from()).filter(|f| !f.is_empty() && !f.starts_with("client:"))
    }

    /// The identity of a browser phone's call (`From=client:<identity>`).
    pub fn client_identity(&self) -> Option<&str> {
        self.from().strip_prefix("client:")
    }

    /// A number field Twilio sends as text (`QueuePosition`, `QueueTime`).
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// Twilio's `DialCallStatus` (completed, busy, no-answer, failed, canceled), `completed` when absent.
    pub fn dial_status(&self) -> &str {
        self.get("DialCallStatus")
            .filter(|s| !s.is_empty())
            .unwrap_or("completed")
    }
}

/// Why a webhook was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookRejection {
    #[error("webhooks must be application/x-www-form-urlencoded")]
    ContentType,
    #[error("webhook body too large")]
    TooLarge,
    #[error("webhook body is not a valid form")]
    BadForm,
    #[error("invalid or missing Twilio signature")]
    Signature,
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let status = match self {
            WebhookRejection::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            WebhookRejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookRejection::BadForm => StatusCode::BAD_REQUEST,
            WebhookRejection::Signature => StatusCode::FORBIDDEN,
        };
        tracing::warn!(%status, reason = %self, "webhook refused");
        (status, self.to_string()).into_response()
    }
}

impl FromRequest<AppState> for TwilioForm {
    type Rejection = WebhookRejection;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/x-www-form-urlencoded")
            })
            .unwrap_or(false);
        if !is_form {
            return Err(WebhookRejection::ContentType);
        }
        let uri = req
            .extensions()
            .get::<OriginalUri>()
            .map(|o| o.0.clone())
            .unwrap_or_else(|| req.uri().clone());
        let signature = req
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let settings = req
            .headers()
            .get(SIGNATURE_SETTINGS_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|_| WebhookRejection::TooLarge)?;
        verify(
            state,
            &uri,
            &body,
            signature.as_deref(),
            settings.as_deref(),
        )
    }
}

fn verify(
    state: &AppState,
    uri: &http::Uri,
    body: &Bytes,
    signature: Option<&str>,
    settings: Option<&str>,
) -> Result<TwilioForm, WebhookRejection> {
    let signature = signature.ok_or(WebhookRejection::Signature)?;
    let params = parse_form(body).map_err(|_| WebhookRejection::BadForm)?;
    // The URL Twilio signed: public base + path + query as received.
    let url = state.webhook_url(uri.path_and_query().map_or("/", |pq| pq.as_str()));
    let validator = RequestValidator::new(state.twilio.auth_token.expose());
    if validator.validate(&url, &params, signature, settings) {
        Ok(TwilioForm { params })
    } else {
        Err(WebhookRejection::Signature)
    }
}
