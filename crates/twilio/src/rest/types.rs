//! Response types. Field names are Twilio's (snake_case JSON); unknown fields are ignored,
//! nullable fields are `Option`, dates are RFC 2822 (`Tue, 04 Aug 2015 18:39:09 +0000`).

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// Deserialises an optional RFC 2822 date; `null` and `""` are `None`.
fn rfc2822<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => OffsetDateTime::parse(s, &Rfc2822)
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("bad RFC 2822 date {s:?}: {e}"))),
    }
}

/// A call queue (`…/Queues/{QU}.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Queue {
    /// `QU…`.
    pub sid: String,
    /// The queue's name, as used in `<Enqueue>` and `<Queue>`.
    pub friendly_name: Option<String>,
    /// Calls waiting now.
    #[serde(default)]
    pub current_size: u32,
    /// Average wait of calls currently in the queue, seconds.
    #[serde(default)]
    pub average_wait_time: u32,
    /// Capacity (default 1000, at most 5000).
    #[serde(default)]
    pub max_size: u32,
    /// Owning account.
    pub account_sid: Option<String>,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
    /// Last updated.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_updated: Option<OffsetDateTime>,
}

/// A caller waiting in a queue (`…/Queues/{QU}/Members/{CA}.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Member {
    /// The waiting call, `CA…`.
    pub call_sid: String,
    /// The queue, `QU…`.
    pub queue_sid: Option<String>,
    /// 1-based position.
    #[serde(default)]
    pub position: u32,
    /// Seconds waited so far.
    #[serde(default)]
    pub wait_time: u32,
    /// When the call joined the queue.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_enqueued: Option<OffsetDateTime>,
}

/// Call status; statuses newer than this crate parse as [`CallStatus::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    /// Waiting to be placed.
    Queued,
    /// Ringing.
    Ringing,
    /// Answered.
    InProgress,
    /// Ended normally.
    Completed,
    /// Busy signal.
    Busy,
    /// Could not be placed.
    Failed,
    /// Not answered.
    NoAnswer,
    /// Cancelled before answer.
    Canceled,
    /// A status this crate does not know.
    #[serde(other)]
    Other,
}

/// A call (`…/Calls/{CA}.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Call {
    /// `CA…`.
    pub sid: String,
    /// Parent call for a `<Dial>` leg.
    pub parent_call_sid: Option<String>,
    /// Owning account.
    pub account_sid: Option<String>,
    /// Caller (E.164, `client:<identity>`, …).
    pub from: Option<String>,
    /// Called party.
    pub to: Option<String>,
    /// Current status.
    pub status: Option<CallStatus>,
    /// `inbound`, `outbound-api` or `outbound-dial`.
    pub direction: Option<String>,
    /// Seconds, as a string, once ended.
    pub duration: Option<String>,
    /// Caller name (CNAM), when looked up.
    pub caller_name: Option<String>,
    /// `human`/`machine…` with answering machine detection.
    pub answered_by: Option<String>,
    /// Answered at.
    #[serde(default, deserialize_with = "rfc2822")]
    pub start_time: Option<OffsetDateTime>,
    /// Ended at.
    #[serde(default, deserialize_with = "rfc2822")]
    pub end_time: Option<OffsetDateTime>,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
    /// Last updated.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_updated: Option<OffsetDateTime>,
}

/// A TwiML App (`…/Applications/{AP}.json`); its Voice URL serves Voice SDK calls.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Application {
    /// `AP…`.
    pub sid: String,
    /// Name.
    pub friendly_name: Option<String>,
    /// Webhook for calls.
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_method: Option<String>,
    /// Fallback webhook.
    pub voice_fallback_url: Option<String>,
    /// Its method.
    pub voice_fallback_method: Option<String>,
    /// Call status callback.
    pub status_callback: Option<String>,
    /// Its method.
    pub status_callback_method: Option<String>,
    /// Owning account.
    pub account_sid: Option<String>,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
    /// Last updated.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_updated: Option<OffsetDateTime>,
}

/// A phone number on the account (`…/IncomingPhoneNumbers/{PN}.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncomingPhoneNumber {
    /// `PN…`.
    pub sid: String,
    /// E.164.
    pub phone_number: Option<String>,
    /// Name.
    pub friendly_name: Option<String>,
    /// Webhook for incoming calls (ignored when `voice_application_sid` is set).
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_method: Option<String>,
    /// Requested when `voice_url` fails or answers an error.
    pub voice_fallback_url: Option<String>,
    /// Its method.
    pub voice_fallback_method: Option<String>,
    /// Call status callback.
    pub status_callback: Option<String>,
    /// Its method.
    pub status_callback_method: Option<String>,
    /// TwiML App handling calls instead of `voice_url` (`""` or `null` when none).
    pub voice_application_sid: Option<String>,
    /// Owning account.
    pub account_sid: Option<String>,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
    /// Last updated.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_updated: Option<OffsetDateTime>,
}

/// An API key (`…/Keys/{SK}.json`). Its secret is only ever returned at creation ([`NewKey`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Key {
    /// `SK…`.
    pub sid: String,
    /// Name.
    pub friendly_name: Option<String>,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
    /// Last updated.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_updated: Option<OffsetDateTime>,
}

/// A key just created (`POST …/Keys.json`, 201): the only answer that carries the secret.
/// `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct NewKey {
    /// `SK…`.
    pub sid: String,
    /// Name.
    pub friendly_name: Option<String>,
    /// The key's secret: keep it now, Twilio never shows it again.
    pub secret: String,
    /// Created.
    #[serde(default, deserialize_with = "rfc2822")]
    pub date_created: Option<OffsetDateTime>,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("sid", &self.sid)
            .field("friendly_name", &self.friendly_name)
            .field("secret", &"<redacted>")
            .field("date_created", &self.date_created)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_nulls_and_unknown_fields() {
        let q: Queue = serde_json::from_str(
            r#"{"sid":"QU1","friendly_name":null,"current_size":2,"max_size":100,"average_wait_time":5,
                "date_created":"Tue, 04 Aug 2015 18:39:09 +0000","date_updated":null,"new_field":[1]}"#,
        )
        .unwrap();
        assert_eq!(q.date_created.unwrap().unix_timestamp(), 1_438_713_549);
        assert_eq!(q.date_updated, None);
        let c: Call = serde_json::from_str(r#"{"sid":"CA1","status":"in-progress"}"#).unwrap();
        assert_eq!(c.status, Some(CallStatus::InProgress));
        let c: Call = serde_json::from_str(r#"{"sid":"CA1","status":"teleported"}"#).unwrap();
        assert_eq!(c.status, Some(CallStatus::Other));
        assert!(
            serde_json::from_str::<Member>(r#"{"call_sid":"CA","date_enqueued":"yesterday"}"#)
                .is_err()
        );
        let key: NewKey =
            serde_json::from_str(r#"{"sid":"SK1","friendly_name":"p","secret":"hunter2"}"#)
                .unwrap();
        assert_eq!(key.secret, "hunter2");
        assert!(
            !format!("{key:?}").contains("hunter2"),
            "Debug hides the secret"
        );
    }
}
