//! The one cloneable state every handler gets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use url::Url;

use crate::auth::LoginLimiter;
use crate::callin::QueueHub;
use crate::domain::DialPolicy;
use crate::settings::{Settings, TwilioSettings};
use crate::store::Store;

/// Shared state: one reference-counted handle, so the clone that every handler, layer and extractor makes per
/// request is one atomic increment (it was a dozen, plus three `String`s, when the fields lived here directly).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> AppState {
        AppState(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct AppStateInner {
    pub settings: Arc<Settings>,
    pub store: Store,
    /// The Twilio account in use: the real one, or the sandbox's own credentials.
    pub twilio: Arc<TwilioSettings>,
    /// The base URL Twilio reaches; webhook signatures are checked against it plus the request's path and query.
    pub public_url: Url,
    /// Whether the listener speaks TLS (cookies get `Secure`, responses get HSTS).
    pub tls: bool,
    pub caller_id: Option<String>,
    pub default_number: Option<String>,
    pub policy: Arc<DialPolicy>,
    pub limiter: Arc<LoginLimiter>,
    pub presence: Arc<Presence>,
    /// Twilio's REST API (in sandbox mode: the sandbox's copy of it, on piphone's own URL).
    pub rest: twilio::rest::Client,
    /// The call-in queue as piphone sees it, and its live updates.
    pub callin: Arc<QueueHub>,
    /// The studio hybrid's lines, with `PIPHONE_ONAIR=hybrid`.
    pub hybrid: Option<Arc<crate::hybrid::Hybrid>>,
    /// The relay between the command line and the kiosk page.
    pub kiosk: Arc<crate::kiosk::KioskHub>,
    /// Media Streams arriving at `/voice/stream`, routed to the hybrid's lines or the stream-engine phone.
    pub streams: crate::media::streams::StreamHub,
    /// The sandbox, in sandbox mode only.
    pub sandbox: Option<SandboxLink>,
}

impl AppStateInner {
    pub fn sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The absolute URL Twilio should request for piphone's `path_and_query` (REST `Url` parameters must be
    /// absolute); built like the URL webhook signatures are checked against.
    pub fn webhook_url(&self, path_and_query: &str) -> String {
        webhook_url(&self.public_url, path_and_query)
    }
}

/// The absolute URL Twilio should request for piphone's `path_and_query`, under the public base URL (its path
/// kept: piphone may sit under a prefix behind a proxy).
pub fn webhook_url(public_url: &Url, path_and_query: &str) -> String {
    format!(
        "{}{path_and_query}",
        public_url.as_str().trim_end_matches('/')
    )
}

/// How piphone reaches the sandbox in sandbox mode.
#[derive(Clone)]
pub enum SandboxLink {
    /// Inside this process, its routes merged into piphone's router.
    InProcess(sandbox::Sandbox),
    /// Its own process (`piphone sandbox serve`) at `PIPHONE_SANDBOX_URL`, reached through its control API.
    Process(sandbox::ControlClient),
}

impl SandboxLink {
    /// Simulated listeners phone the station: `count` calls from consecutive numbers starting at `from`.
    pub async fn call_in(&self, from: &str, count: u32) -> anyhow::Result<Vec<String>> {
        match self {
            SandboxLink::InProcess(sandbox) => Ok(sandbox.call_in(from, count)),
            SandboxLink::Process(control) => control.call_in(from, count).await,
        }
    }

    /// What the sandbox's setup resources configure (TwiML Apps, the station number, API key SIDs and names).
    pub async fn setup(&self) -> anyhow::Result<serde_json::Value> {
        match self {
            SandboxLink::InProcess(sandbox) => Ok(sandbox.setup()),
            SandboxLink::Process(control) => control.setup().await,
        }
    }

    /// The sandbox process's base URL (REST, signaling, control); `None`: piphone's own.
    pub fn url(&self) -> Option<&Url> {
        match self {
            SandboxLink::InProcess(_) => None,
            SandboxLink::Process(control) => Some(control.base()),
        }
    }

    /// `host:port` of the signaling gateway for the page's `chunderw` option; `None`: piphone's own host.
    pub fn signal_host(&self) -> Option<String> {
        let url = self.url()?;
        let port = url.port_or_known_default()?;
        Some(format!("{}:{port}", url.host_str()?))
    }
}

/// Which identities have a live browser phone: those that fetched an Access Token within its lifetime.
/// Used to decide whose browsers ring for a call to the station.
#[derive(Debug, Default)]
pub struct Presence {
    seen: Mutex<HashMap<String, Instant>>,
}

impl Presence {
    pub fn touch(&self, identity: &str, ttl: Duration) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        seen.retain(|_, until| *until > now);
        match seen.get_mut(identity) {
            Some(until) => *until = now + ttl,
            None => {
                seen.insert(identity.to_owned(), now + ttl);
            }
        }
    }

    pub fn forget(&self, identity: &str) {
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(identity);
    }

    /// Identities online now, sorted.
    pub fn online(&self) -> Vec<String> {
        let now = Instant::now();
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut ids: Vec<String> = seen
            .iter()
            .filter(|(_, u)| **u > now)
            .map(|(k, _)| k.clone())
            .collect();
        ids.sort();
        ids
    }
}
