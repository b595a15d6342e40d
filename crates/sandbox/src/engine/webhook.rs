//! Webhooks exactly as Twilio sends them: form fields in a fixed order, `X-Twilio-Signature`
//! (HMAC-SHA1 with the auth token over the exact URL requested plus the sorted fields), 15 s timeout.

use serde_json::json;
use twilio::signature::{Algorithm, compute_signature};
use url::Url;

use super::{Engine, Method};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("request to {0} failed: {1}")]
    Transport(String, reqwest::Error),
    #[error("{0} answered HTTP {1}")]
    Status(String, u16),
}

impl Engine {
    /// Requests `url` for leg `sid`, records a `webhook` event, returns the body of a 2xx answer.
    pub async fn webhook(
        &self,
        sid: &str,
        url: &Url,
        method: Method,
        params: &[(String, String)],
    ) -> Result<String, WebhookError> {
        let (request, signed_url) = match method {
            Method::Post => {
                let signature = compute_signature(
                    &self.creds.auth_token,
                    url.as_str(),
                    params,
                    Algorithm::HmacSha1,
                );
                let body = serde_urlencoded::to_string(params).unwrap_or_default();
                let req = self
                    .http
                    .post(url.clone())
                    .header("X-Twilio-Signature", signature)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body);
                (req, url.clone())
            }
            Method::Get => {
                let mut full = url.clone();
                full.query_pairs_mut().extend_pairs(params);
                let signature = compute_signature(
                    &self.creds.auth_token,
                    full.as_str(),
                    &[],
                    Algorithm::HmacSha1,
                );
                (
                    self.http
                        .get(full.clone())
                        .header("X-Twilio-Signature", signature),
                    full,
                )
            }
        };
        let result = request.send().await;
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                self.event(
                    sid,
                    "webhook",
                    json!({ "url": signed_url.as_str(), "error": e.to_string() }),
                );
                return Err(WebhookError::Transport(signed_url.to_string(), e));
            }
        };
        let status = response.status().as_u16();
        self.event(
            sid,
            "webhook",
            json!({ "url": signed_url.as_str(), "status": status }),
        );
        if !response.status().is_success() {
            return Err(WebhookError::Status(signed_url.to_string(), status));
        }
        response
            .text()
            .await
            .map_err(|e| WebhookError::Transport(signed_url.to_string(), e))
    }

    /// [`Engine::webhook`] with owned arguments, for futures that must not borrow.
    pub async fn webhook_owned(
        self,
        sid: String,
        url: Url,
        method: Method,
        params: Vec<(String, String)>,
    ) -> Result<String, WebhookError> {
        self.webhook(&sid, &url, method, &params).await
    }
}
