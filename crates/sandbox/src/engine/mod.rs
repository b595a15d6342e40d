//! The call engine: every call leg, queue, simulated phone and registered browser lives here.
//!
//! One tokio task drives each leg that executes TwiML ([`leg`]); legs it dials (`<Dial>`) are
//! driven by that same task ([`dial`]). Everyone else (the signaling gateway, the control API,
//! the REST API) talks to a leg by sending it a [`Signal`]. The shared [`State`] sits behind a
//! `std::sync::Mutex` that is never held across an `.await`.

mod calls;
mod dial;
mod enqueue;
mod leg;
mod outbound;
pub mod queue;
mod ring;
#[cfg(feature = "webrtc")]
mod rtc;
mod sound;
mod stream;
mod timing;
mod twiml;
mod webhook;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::sync::mpsc;
use url::Url;

pub use calls::{CallRecord, Party};
pub use outbound::{Outbound, StatusCallback};
pub use queue::Queue;
pub use timing::{DEFAULT_RING_MS, Timing};

use super::account::Directory;
use super::{Credentials, SandboxOptions, ids};
use crate::media::{Media, Voice};

/// What another part of the sandbox can tell a call leg.
#[derive(Debug)]
pub enum Signal {
    /// The leg's party hung up (or the leg was ended through REST).
    Hangup { by: String },
    /// DTMF from the leg's party: pressed (signaling, RFC 4733) or found in-band in what it says.
    Digits { digits: String, inband: bool },
    /// Leave whatever TwiML is running and continue with this document (REST redirect, dequeue).
    Redirect(Source),
    /// A browser (signaling connection `conn_id`) answered this (dialled) leg, with its SDP answer to our offer.
    Answer { conn_id: u64, sdp: Option<String> },
    /// A browser (signaling connection `conn_id`) rejected this (dialled) leg.
    Reject { conn_id: u64 },
    /// A `<Dial><Queue>` on leg `by` took this queued leg out of its queue.
    Dequeued { by: String },
    /// The other side ended the bridge this leg was in.
    Unbridged,
    /// The leg bridged with this one hung up.
    PeerHangup { sid: String },
}

/// Where a leg's next TwiML comes from.
#[derive(Debug, Clone)]
pub enum Source {
    Fetch {
        url: Url,
        method: Method,
        params: Vec<(String, String)>,
    },
    Document {
        url: Url,
        body: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn parse(s: Option<&str>) -> Method {
        match s {
            Some(m) if m.eq_ignore_ascii_case("GET") => Method::Get,
            _ => Method::Post,
        }
    }
}

/// How a simulated phone number behaves when dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    Answer,
    Busy,
    NoAnswer,
    Failed,
}

#[derive(Debug, Clone)]
pub struct Phone {
    pub behaviour: Behaviour,
    pub ring_ms: u64,
    /// How the far end sounds once it answers (a default voice when `None`).
    pub voice: Option<Voice>,
}

/// A registered browser: frames for it go through `tx`.
#[derive(Clone)]
pub struct ClientConn {
    pub conn_id: u64,
    pub tx: mpsc::UnboundedSender<String>,
    /// The media server that offers it calls (on the local IP its signaling connection reached).
    #[cfg(feature = "webrtc")]
    pub media: crate::webrtc::MediaServer,
}

#[derive(Default)]
pub struct State {
    pub calls: HashMap<String, CallRecord>,
    /// Call SIDs in creation order.
    pub order: Vec<String>,
    pub queues: Vec<Queue>,
    pub phones: HashMap<String, Phone>,
    pub clients: HashMap<String, Vec<ClientConn>>,
    /// The SDK's temporary `TJS…` id of an outgoing call → its CallSid.
    pub aliases: HashMap<String, String>,
}

pub struct Inner {
    pub creds: Credentials,
    pub opts: SandboxOptions,
    pub timing: Timing,
    pub http: reqwest::Client,
    pub media: Media,
    /// Keys, TwiML Apps and the station number, as REST configured them.
    pub account: Directory,
    state: Mutex<State>,
    next_conn: AtomicU64,
}

#[derive(Clone)]
pub struct Engine(Arc<Inner>);

impl std::ops::Deref for Engine {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Engine {
    pub fn new(creds: Credentials, opts: SandboxOptions, timing: Timing) -> Engine {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .danger_accept_invalid_certs(opts.accept_invalid_certs)
            .timeout(std::time::Duration::from_secs(15))
            .user_agent("TwilioProxy/1.1")
            .build()
            .expect("reqwest client with the ring provider");
        let account = Directory::new(
            &creds,
            join_base(&opts.webhook_base, "/voice"),
            join_base(&opts.webhook_base, "/voice/incoming"),
        );
        Engine(Arc::new(Inner {
            creds,
            opts,
            timing,
            http,
            media: Media::default(),
            account,
            state: Mutex::new(State::default()),
            next_conn: AtomicU64::new(1),
        }))
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `<webhook_base>` joined with `path` (e.g. `/voice`), see [`join_base`].
    pub fn webhook_url(&self, path: &str) -> Url {
        join_base(&self.opts.webhook_base, path)
    }

    /// Where a webhook to `url` is sent: a URL under `webhook_base` (the address piphone is known by, which
    /// signatures cover) goes to the same path under `deliver_to` (piphone's own listener), as a proxy in
    /// front of piphone would pass Twilio's requests on; any other URL as it is.
    pub fn delivery_url(&self, url: &Url) -> Url {
        let base = &self.opts.webhook_base;
        let prefix = base.path().trim_end_matches('/');
        let rest = (url.origin() == base.origin())
            .then(|| url.path().strip_prefix(prefix))
            .flatten()
            .filter(|rest| rest.is_empty() || rest.starts_with('/'));
        match rest {
            Some(rest) => {
                let mut delivered = join_base(&self.opts.deliver_to, rest);
                delivered.set_query(url.query());
                delivered
            }
            None => url.clone(),
        }
    }

    /// Adds a leg and returns its signal receiver (whoever drives the leg keeps it).
    pub fn add_call(&self, mut rec: CallRecord) -> mpsc::UnboundedReceiver<Signal> {
        let (tx, rx) = mpsc::unbounded_channel();
        rec.signal = Some(tx);
        self.add_media(&rec.sid, &rec.party);
        let mut st = self.state();
        st.order.push(rec.sid.clone());
        st.calls.insert(rec.sid.clone(), rec);
        rx
    }

    /// Appends `{at_ms, kind, ..fields}` to the leg's event log.
    pub fn event(&self, sid: &str, kind: &str, fields: Value) {
        let mut st = self.state();
        if let Some(call) = st.calls.get_mut(sid) {
            let mut ev =
                json!({ "at_ms": call.started.elapsed().as_millis() as u64, "kind": kind });
            if let (Some(ev), Value::Object(fields)) = (ev.as_object_mut(), fields) {
                ev.extend(fields);
            }
            tracing::debug!(call_sid = sid, event = %ev, "sandbox call event");
            call.events.push(ev);
        }
    }

    pub fn update<R>(&self, sid: &str, f: impl FnOnce(&mut CallRecord) -> R) -> Option<R> {
        self.state().calls.get_mut(sid).map(f)
    }

    /// Sends `signal` to leg `sid`; false if the leg is unknown or nobody drives it any more.
    pub fn signal(&self, sid: &str, signal: Signal) -> bool {
        let tx = self.state().calls.get(sid).and_then(|c| c.signal.clone());
        tx.is_some_and(|tx| tx.send(signal).is_ok())
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn resolve_alias(&self, id: &str) -> String {
        self.state()
            .aliases
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_owned())
    }

    pub fn phone(&self, number: &str) -> Phone {
        self.state().phones.get(number).cloned().unwrap_or(Phone {
            behaviour: Behaviour::Answer,
            ring_ms: timing::DEFAULT_RING_MS,
            voice: None,
        })
    }

    /// Starts an inbound PSTN call from a simulated listener (speaking with `voice`, or a default one) to the
    /// station number.
    pub fn call_in(&self, from: &str, voice: Option<&Voice>) -> String {
        let sid = ids::sid("CA");
        let to = self.creds.station_number.clone();
        let rx = self.add_call(CallRecord::new(
            &sid,
            "inbound",
            from,
            &to,
            None,
            Party::Simulated,
        ));
        if let Some(voice) = voice {
            self.media.set_mouth(&sid, self.media.mouth(voice));
        }
        let params = vec![
            ("AccountSid".to_owned(), self.creds.account_sid.clone()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
            ("CallSid".to_owned(), sid.clone()),
            ("CallStatus".to_owned(), "ringing".to_owned()),
            ("Called".to_owned(), to.clone()),
            ("Caller".to_owned(), from.to_owned()),
            ("Direction".to_owned(), "inbound".to_owned()),
            ("From".to_owned(), from.to_owned()),
            ("To".to_owned(), to),
        ];
        self.event(&sid, "ringing", json!({}));
        let first = match self.account.incoming_voice() {
            Some((url, method)) => Source::Fetch {
                url,
                method: Method::parse(method.as_deref()),
                params: vec![],
            },
            None => {
                self.event(
                    &sid,
                    "error",
                    json!({ "message": "the station number has no voice URL" }),
                );
                Source::Document {
                    url: self.webhook_url("/"),
                    body: "<Response><Reject/></Response>".into(),
                }
            }
        };
        leg::spawn(self.clone(), sid.clone(), rx, params, first);
        sid
    }

    /// Starts the leg of a call placed by a browser (`invite` on the signaling gateway) with TwiML App
    /// `app_sid` (the token's outgoing grant), whose Voice URL it requests first; `None` when the account has
    /// no such app (or it has no Voice URL). `before_start` runs with the new CallSid before the leg's first
    /// webhook (the gateway's `ringing`).
    pub fn call_from_client(
        &self,
        identity: &str,
        to: &str,
        app_sid: &str,
        custom: Vec<(String, String)>,
        party: Party,
        before_start: impl FnOnce(&str),
    ) -> Option<String> {
        let (url, method) = self.account.app_voice(app_sid)?;
        let sid = ids::sid("CA");
        let from = format!("client:{identity}");
        let rx = self.add_call(CallRecord::new(&sid, "inbound", &from, to, None, party));
        let mut params = vec![
            ("AccountSid".to_owned(), self.creds.account_sid.clone()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
            ("ApplicationSid".to_owned(), app_sid.to_owned()),
            ("CallSid".to_owned(), sid.clone()),
            ("CallStatus".to_owned(), "ringing".to_owned()),
            ("Direction".to_owned(), "inbound".to_owned()),
            ("From".to_owned(), from.clone()),
            ("Caller".to_owned(), from),
            ("To".to_owned(), to.to_owned()),
        ];
        params.extend(custom.into_iter().filter(|(k, _)| k != "To"));
        self.event(&sid, "ringing", json!({}));
        before_start(&sid);
        let first = Source::Fetch {
            url,
            method: Method::parse(method.as_deref()),
            params: vec![],
        };
        leg::spawn(self.clone(), sid.clone(), rx, params, first);
        Some(sid)
    }
}

/// `base` joined with `path`, keeping a path prefix of the base (`https://host/piphone` + `/voice` →
/// `https://host/piphone/voice`).
fn join_base(base: &Url, path: &str) -> Url {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let with_slash = format!("{}/", base.path());
        base.set_path(&with_slash);
    }
    base.join(path.trim_start_matches('/')).unwrap_or(base)
}

#[cfg(test)]
mod tests;
