//! Sandbox integration tests: the sandbox router and a stub webhook app on one port-0 listener,
//! driven as Twilio's SDK, PSTN callers and REST clients would drive the real thing.

mod audio;
mod calls_create;
mod delivery;
mod engine;
mod gateway;
mod helpers;
#[cfg(feature = "webrtc")]
mod peer;
mod rest;
mod setup;
mod setup_errors;
mod signatures;
mod streams;
#[cfg(feature = "webrtc")]
mod webrtc;
