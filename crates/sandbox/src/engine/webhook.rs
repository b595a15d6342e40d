//! Webhooks exactly as Twilio sends them: form fields in a fixed order, `X-Twilio-Signature`
//! (HMAC-SHA1 with the auth token over the exact URL requested plus the sorted fields), 15 s timeout.
//! A URL under piphone's public address is signed as it is and delivered to piphone's own listener
//! ([`Engine::delivery_url`]), as Twilio's request would reach piphone through a proxy.

use serde_json::json;
use twilio::signature::{Algorithm, compute_signature};
use url::Url;

use super::{Engine, Method};

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("request to {url} failed: {reason}", url = .0, reason = chain(.1))]
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
                let delivered = self.delivery_url(url);
                let signature = compute_signature(
                    &self.creds.auth_token,
                    url.as_str(),
                    params,
                    Algorithm::HmacSha1,
                );
                let body = serde_urlencoded::to_string(params).unwrap_or_default();
                let req = self
                    .http
                    .post(delivered)
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
                        .get(self.delivery_url(&full))
                        .header("X-Twilio-Signature", signature),
                    full,
                )
            }
        };
        // The event names the URL as signed, and where it went when that differs.
        let delivered = self.delivery_url(&signed_url);
        let mut record = json!({ "url": signed_url.as_str() });
        if delivered != signed_url {
            record["delivered_to"] = json!(delivered.as_str());
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                record["error"] = json!(chain(&e));
                self.event(sid, "webhook", record);
                return Err(WebhookError::Transport(delivered.to_string(), e));
            }
        };
        let status = response.status().as_u16();
        record["status"] = json!(status);
        self.event(sid, "webhook", record);
        if !response.status().is_success() {
            return Err(WebhookError::Status(delivered.to_string(), status));
        }
        response
            .text()
            .await
            .map_err(|e| WebhookError::Transport(delivered.to_string(), e))
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

/// An error and its causes, `: `-separated (reqwest's own message alone says only "error sending request").
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}
