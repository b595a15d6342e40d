//! The sandbox: a local stand-in for Twilio, so piphone runs and is tested with no Twilio
//! account, with the unmodified `@twilio/voice-sdk` in a real browser.
//!
//! This crate is the only code that knows it is not Twilio; it knows nothing of piphone beyond the
//! webhook paths it requests. In sandbox mode piphone either merges [`Sandbox::router`] into its own
//! router, or reaches a sandbox serving it as its own process (`piphone sandbox serve`); either way
//! it points its Twilio REST client at the sandbox, signs Access Tokens with the sandbox API key and
//! verifies webhooks with the sandbox auth token, all taken from [`Credentials`] (kept in
//! `<data_dir>/sandbox.json`).
//!
//! | Path | What |
//! |---|---|
//! | `GET /signal` | signaling gateway (WebSocket, PStream 1.6), see `gateway/` |
//! | `/2010-04-01/Accounts/{AC}/…` | REST subset: Queues, Members, Calls, Keys, Applications, IncomingPhoneNumbers, see `rest/` |
//! | `/sandbox/…` | control API for tests, the CLI and the panel, see [`control`] |
//!
//! The call engine (`engine/`) requests the Voice URL of the token's TwiML App for calls placed by a
//! browser (at first `<webhook_base>/voice`) and the station number's (at first
//! `<webhook_base>/voice/incoming`) for simulated listeners calling it, as REST configured them
//! (`account/`), signed exactly as Twilio signs for those URLs, delivered to
//! [`SandboxOptions::deliver_to`], and executes the TwiML it gets back. Durations are simulated and
//! scaled by [`SandboxOptions::speed`] (see [`Timing`]). Simulated parties speak and hear real
//! audio (`media/`: voices, Say/Play/Pause, bridges, ringback, Media Streams, in-band DTMF), and so do browsers,
//! with real WebRTC media both for calls they place and calls to them (`webrtc`: ICE-lite, DTLS-SRTP, PCMU; the
//! default feature `webrtc`). Without the feature, or when media cannot start, the browser's peer connection
//! reaches signaling state `stable` with a synthetic SDP (`sdp.rs`) and stops there.

mod account;
mod auth;
mod client;
pub mod control;
mod credentials;
mod delivery;
mod engine;
mod gateway;
mod ids;
mod media;
mod proto;
mod rest;
mod sdp;
pub mod streams;
#[cfg(feature = "webrtc")]
pub mod webrtc;

use axum::Router;
use axum::routing::get;

pub use client::ControlClient;
pub use credentials::{Credentials, FILE_NAME as CREDENTIALS_FILE};
pub use delivery::{FIRST_WEBHOOK_WAIT, FirstWebhook, PlacedCall};
pub use engine::Timing;
pub use media::Voice;

/// How the sandbox reaches piphone.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// piphone's public base URL, e.g. `https://phone.example.org`: the default Voice URLs are `<base>/voice…`,
    /// and webhook signatures cover URLs under it, as Twilio signs them.
    pub webhook_base: url::Url,
    /// Where webhooks under `webhook_base` are delivered: piphone's own listener (e.g.
    /// `https://127.0.0.1:8443`), as a proxy in front of piphone passes Twilio's requests on. The same as
    /// `webhook_base` when piphone is reached directly.
    pub deliver_to: url::Url,
    /// Accept piphone's own self-signed certificate on loopback.
    pub accept_invalid_certs: bool,
    /// Simulated time runs this many times faster than real time (settings `sandbox_speed`,
    /// env `PIPHONE_SANDBOX_SPEED`; 1.0 = real time, tests use e.g. 10).
    pub speed: f64,
}

#[derive(Clone)]
pub struct Sandbox {
    engine: engine::Engine,
    #[cfg(feature = "webrtc")]
    /// WebRTC media for browser legs (the gateway answers browsers' offers with it).
    media: webrtc::MediaServers,
}

impl Sandbox {
    /// A sandbox whose simulated time runs `opts.speed` times faster than real time.
    pub fn new(creds: Credentials, opts: SandboxOptions) -> Sandbox {
        let timing = Timing::from_env().with_speed(opts.speed);
        Sandbox::with_timing(creds, opts, timing)
    }

    pub fn with_timing(creds: Credentials, opts: SandboxOptions, timing: Timing) -> Sandbox {
        Sandbox {
            engine: engine::Engine::new(creds, opts, timing),
            #[cfg(feature = "webrtc")]
            media: webrtc::MediaServers::default(),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.engine.creds
    }

    /// Simulated listeners phone the station number: `count` calls from consecutive numbers starting at
    /// `from`. Returns their CallSids. (The page's sandbox panel uses this through the app's session-checked
    /// `/api/sandbox/call-in`; the CLI and tests use the control API.)
    pub fn call_in(&self, from: &str, count: u32) -> Vec<String> {
        self.call_in_with_voice(from, count, None)
    }

    /// [`Sandbox::call_in`] with every caller speaking with `voice` (by default each gets its own tone).
    pub fn call_in_with_voice(&self, from: &str, count: u32, voice: Option<&Voice>) -> Vec<String> {
        (0..count)
            .map(|n| self.engine.call_in(&control::nth_number(from, n), voice))
            .collect()
    }

    /// What the account's setup resources configure, for the sandbox panel: `{"applications":[{sid,
    /// friendly_name, voice_url, voice_method, voice_fallback_url, status_callback}], "numbers":[{sid,
    /// phone_number, voice_url, …, voice_application_sid}], "keys":[{sid, friendly_name}]}` (no secrets).
    pub fn setup(&self) -> serde_json::Value {
        self.engine.account.summary()
    }

    /// `/signal`, `/2010-04-01/…` and `/sandbox/…`, state applied.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/signal", get(gateway::signal))
            .merge(rest::routes())
            .merge(control::routes())
            .with_state(self.clone())
    }
}
