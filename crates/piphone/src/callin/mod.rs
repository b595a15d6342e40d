//! The radio call-in: listeners phone the station number, wait in a Twilio queue with hold music and their
//! place read out, and a host takes them on the air one after another from the console.
//!
//! - [`board`]: the call-in as piphone believes it is (the call-in and screened queues, who is with a screener,
//!   who is on the air, notes and history, console messages, freshness).
//! - [`hub`]: the board behind a lock, published to every `/events` stream through one `watch` channel.
//! - [`poller`]: the one shared reconcile poll of Twilio's Queues and Members API (both queues).
//! - [`numbers`]: callers' numbers by CallSid, each looked up at most once.
//! - [`twiml`]: what callers and hosts hear.
//!
//! Its settings are [`crate::settings::CallinSettings`]. The HTTP side is in `routes/webhooks/` (Twilio's webhooks:
//! `callin.rs`, `host_line.rs`, `screening.rs`) and `routes/api/` (the console page and its JSON/SSE endpoints:
//! `console.rs`, `screener.rs`). The flow is described for newcomers in `docs/callin.md`.

pub mod board;
pub mod hub;
pub mod numbers;
pub mod poller;
pub mod twiml;

pub use board::{Line, Place, Snapshot};
pub use hub::QueueHub;
