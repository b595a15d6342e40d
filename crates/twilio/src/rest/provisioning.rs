//! The resources an account is set up with: API keys, and the fetch, delete and full voice-update
//! operations on TwiML Apps and phone numbers that an automated setup, its teardown and live
//! health checks need (listing and the plain voice-URL updates live in `resources.rs`).
//!
//! **Clearing a field.** Twilio removes a URL, or detaches a number from its TwiML App, when the
//! field is sent empty (`VoiceUrl=`, `VoiceApplicationSid=`). Twilio's OpenAPI description does
//! not admit the empty value (`format: uri`, `pattern: ^AP…`), so a validating mock refuses such
//! a request: send `Some("")` only to restore a value that was empty before.

use super::client::{Client, Form};
use super::{Application, IncomingPhoneNumber, Key, NewKey, RestError};
use crate::twiml::Method;

/// Voice webhook fields shared by TwiML Apps and phone numbers. `None` leaves a field as it is;
/// `Some("")` on a URL clears it (see the module notes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceSettings {
    /// `VoiceUrl`: requested for each call.
    pub url: Option<String>,
    /// `VoiceMethod`.
    pub method: Option<Method>,
    /// `VoiceFallbackUrl`: requested when `url` fails.
    pub fallback_url: Option<String>,
    /// `VoiceFallbackMethod`.
    pub fallback_method: Option<Method>,
    /// `StatusCallback`: call progress.
    pub status_callback: Option<String>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Option<Method>,
}

impl VoiceSettings {
    fn form(&self) -> Form {
        let fields = [
            ("VoiceUrl", self.url.clone()),
            ("VoiceMethod", self.method.map(|m| m.to_string())),
            ("VoiceFallbackUrl", self.fallback_url.clone()),
            (
                "VoiceFallbackMethod",
                self.fallback_method.map(|m| m.to_string()),
            ),
            ("StatusCallback", self.status_callback.clone()),
            (
                "StatusCallbackMethod",
                self.status_callback_method.map(|m| m.to_string()),
            ),
        ];
        fields
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name, v)))
            .collect()
    }
}

/// A phone number's voice settings to change (`POST …/IncomingPhoneNumbers/{PN}.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberVoiceUpdate {
    /// The number's own webhooks (used only while no TwiML App handles it).
    pub voice: VoiceSettings,
    /// `VoiceApplicationSid`: a TwiML App that handles calls instead (`Some("")` detaches it).
    pub application_sid: Option<String>,
}

impl Client {
    /// Creates an API key (Standard). Twilio returns its secret in this answer only. Needs the
    /// auth token: an API key cannot create keys. Not retried on 5xx/timeouts (a repeat would
    /// create a second key).
    pub async fn create_key(&self, friendly_name: &str) -> Result<NewKey, RestError> {
        let form: Form = vec![("FriendlyName", friendly_name.to_string())];
        self.post(self.url(&["Keys"]), form, false).await
    }

    /// One API key by SID (`SK…`), without its secret.
    pub async fn fetch_key(&self, key_sid: &str) -> Result<Key, RestError> {
        self.get(self.url(&["Keys", key_sid])).await
    }

    /// Every API key of the account (all pages; list key `keys`).
    pub async fn list_keys(&self) -> Result<Vec<Key>, RestError> {
        self.list(self.url(&["Keys"]), "keys").await
    }

    /// Deletes an API key: whatever used it stops authenticating.
    pub async fn delete_key(&self, key_sid: &str) -> Result<(), RestError> {
        self.delete(self.url(&["Keys", key_sid])).await
    }

    /// One TwiML App by SID (`AP…`).
    pub async fn fetch_application(&self, application_sid: &str) -> Result<Application, RestError> {
        self.get(self.url(&["Applications", application_sid])).await
    }

    /// Sets any of a TwiML App's voice fields; idempotent, so retried.
    pub async fn update_application_voice(
        &self,
        application_sid: &str,
        voice: &VoiceSettings,
    ) -> Result<Application, RestError> {
        let url = self.url(&["Applications", application_sid]);
        self.post(url, voice.form(), true).await
    }

    /// Deletes a TwiML App; numbers and tokens that named it stop working.
    pub async fn delete_application(&self, application_sid: &str) -> Result<(), RestError> {
        self.delete(self.url(&["Applications", application_sid]))
            .await
    }

    /// One phone number of the account by SID (`PN…`); 404 when it is not the account's.
    pub async fn fetch_incoming_phone_number(
        &self,
        number_sid: &str,
    ) -> Result<IncomingPhoneNumber, RestError> {
        self.get(self.url(&["IncomingPhoneNumbers", number_sid]))
            .await
    }

    /// Sets any of a number's voice fields and its TwiML App; idempotent, so retried.
    pub async fn update_number_voice(
        &self,
        number_sid: &str,
        update: &NumberVoiceUpdate,
    ) -> Result<IncomingPhoneNumber, RestError> {
        let mut form = update.voice.form();
        if let Some(app) = &update.application_sid {
            form.push(("VoiceApplicationSid", app.clone()));
        }
        let url = self.url(&["IncomingPhoneNumbers", number_sid]);
        self.post(url, form, true).await
    }
}
