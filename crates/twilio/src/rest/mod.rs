//! Typed client for the Voice resources of Twilio's REST API (api.twilio.com, 2010-04-01):
//! Queues, queue Members, Calls, Applications, IncomingPhoneNumbers and API Keys.
//!
//! Contract: Twilio's OpenAPI description `twilio_api_v2010.json` (twilio/twilio-oai); the tests
//! run every request through a Prism mock of it. Form-encoded POST bodies, JSON responses, HTTP
//! basic auth with an API key or the auth token (the account SID is always in the path).
//!
//! Retries (exponential backoff with jitter, [`ClientConfig::max_retries`]): a `429` (Twilio
//! 20429, "too many concurrent requests") is retried for every request, since Twilio refused it
//! before doing anything; `5xx`, timeouts and connection failures only for requests that are safe
//! to repeat: every GET, and the POSTs documented as idempotent on their methods (ending a call,
//! setting an application's or number's voice URL, deleting). Dequeuing a member, redirecting a call and
//! creating a queue, application or key are not retried. A `Retry-After` (whole seconds) lengthens the
//! wait before the next attempt; one longer than [`ClientConfig::max_backoff`] ends the retries, so
//! the caller hears of the error at once instead of waiting longer than this client ever waits.

mod client;
mod config;
mod error;
mod provisioning;
mod resources;
mod types;

/// HTTP method for callback URLs (the same type TwiML uses).
pub use crate::twiml::Method;
pub use client::Client;
pub use config::{Auth, ClientConfig, DEFAULT_BASE_URL};
pub use error::{RestError, TwilioError};
pub use provisioning::{NumberVoiceUpdate, VoiceSettings};
pub use resources::{CallUpdate, EndStatus, MemberRef, NewCall, VoiceUrl};
pub use types::{Application, Call, CallStatus, IncomingPhoneNumber, Key, Member, NewKey, Queue};
