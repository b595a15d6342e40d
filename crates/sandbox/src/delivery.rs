//! Whether a simulated call reached piphone: the outcome of its first webhook, as `POST /sandbox/call-in`
//! with `"wait": true` reports it, so `piphone sandbox call-in` can fail loudly instead of printing a CallSid
//! for a caller piphone never saw.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::engine::Engine;

/// How long the control API waits for a new call's first webhook: just over the webhook timeout (15 s), so
/// a request that hangs is reported as what it is.
pub const FIRST_WEBHOOK_WAIT: Duration = Duration::from_secs(16);

/// A call's first webhook: the URL as signed, where it was delivered when that differs, and the HTTP status
/// piphone answered or the error that kept it from answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstWebhook {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FirstWebhook {
    /// Why piphone did not take the call, in a sentence; `None` when it answered 2xx.
    pub fn problem(&self) -> Option<String> {
        let target = match &self.delivered_to {
            Some(to) => format!("{to} (signed for {})", self.url),
            None => self.url.clone(),
        };
        match (self.status, &self.error) {
            (Some(status), _) if (200..300).contains(&status) => None,
            (Some(status), _) => Some(format!(
                "piphone refused it: its webhook {target} answered HTTP {status}"
            )),
            (None, Some(error)) => Some(format!(
                "it never reached piphone: its webhook {target} could not be delivered: {error}"
            )),
            (None, None) => Some(format!("its webhook {target} has no outcome")),
        }
    }
}

/// A call placed by `POST /sandbox/call-in`; `webhook` is there when the request asked to wait for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlacedCall {
    pub call_sid: String,
    pub from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<FirstWebhook>,
}

impl PlacedCall {
    /// Why this call did not reach piphone, naming the call; `None` when piphone answered its first webhook.
    pub fn problem(&self) -> Option<String> {
        let why = match &self.webhook {
            Some(webhook) => webhook.problem()?,
            None => format!(
                "its first webhook had no outcome within {} s",
                FIRST_WEBHOOK_WAIT.as_secs()
            ),
        };
        Some(format!("Call {} from {}: {why}.", self.call_sid, self.from))
    }
}

/// The first `webhook` event of call `sid`, once there is one (until `deadline`).
pub async fn first_webhook(engine: &Engine, sid: &str, deadline: Instant) -> Option<FirstWebhook> {
    loop {
        let event = engine
            .state()
            .calls
            .get(sid)
            .and_then(|c| c.events.iter().find(|e| e["kind"] == "webhook").cloned());
        if let Some(event) = event {
            return serde_json::from_value::<FirstWebhook>(event).ok();
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
