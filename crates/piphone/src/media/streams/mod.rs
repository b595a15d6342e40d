//! Twilio Media Streams, server side: the hub that routes each arriving `/voice/stream` WebSocket to its owner
//! (a hybrid line, or the stream-engine phone).
//!
//! piphone first [`StreamHub::expect`]s a call (and gets a [`StreamTicket`] with a per-call secret), then moves
//! the call by REST to the ticket's `<Connect><Stream>` TwiML. When Twilio opens the stream, the route checks the
//! upgrade's `X-Twilio-Signature` (`routes::webhooks::stream`) and hands the socket to [`StreamHub::serve`],
//! which reads up to `start` and refuses (closes) the stream unless its call was expected, with that secret and
//! owner. An accepted stream becomes a [`StreamLink`] on its owner's receiver ([`StreamHub::subscribe`]);
//! `session.rs` then pumps messages both ways with bounded queues.

mod session;

pub use session::{EVENTS_QUEUE, GARBAGE_LIMIT, MAX_MESSAGE, OUT_QUEUE, PENDING_MAX};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audio::Frame;
use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::{mpsc, oneshot};

/// How long an expected call waits for its stream.
pub const TICKET_TTL: Duration = Duration::from_secs(120);
/// Streams an owner may have arrived but not yet taken from its receiver.
pub const ARRIVALS_QUEUE: usize = 16;
/// The path Twilio opens the stream on.
pub const STREAM_PATH: &str = "/voice/stream";

/// Who a routed stream is for; the hub hands each arriving stream to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StreamOwner {
    /// A hybrid line, 1..=8.
    Line(u8),
    /// The stream-engine phone.
    Phone,
}

impl StreamOwner {
    /// The kind of owner whose receiver gets the stream.
    pub fn kind(&self) -> OwnerKind {
        match self {
            StreamOwner::Line(_) => OwnerKind::Line,
            StreamOwner::Phone => OwnerKind::Phone,
        }
    }

    /// The `owner` stream parameter: `line:2` or `phone`.
    pub fn parameter(&self) -> String {
        match self {
            StreamOwner::Line(n) => format!("line:{n}"),
            StreamOwner::Phone => "phone".to_owned(),
        }
    }
}

/// Which receiver an arriving stream goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    Line,
    Phone,
}

/// What `expect` returns: the secret the stream must present in its `secret` parameter.
pub struct StreamTicket {
    /// 32 random bytes, hex. Never logged.
    pub secret: String,
}

impl std::fmt::Debug for StreamTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamTicket { secret: <redacted> }")
    }
}

impl StreamTicket {
    /// `<Connect><Stream url="wss://<public>/voice/stream">` with the `secret` and `owner` parameters.
    pub fn connect_twiml(
        &self,
        public_base: &url::Url,
        owner: &StreamOwner,
    ) -> twilio::twiml::Connect {
        let stream = twilio::twiml::Stream::new(&stream_url(public_base))
            .parameter("secret", &self.secret)
            .parameter("owner", &owner.parameter());
        twilio::twiml::Connect::stream(stream)
    }
}

/// The stream URL for a public base URL: [`ws_url`] of [`STREAM_PATH`].
pub fn stream_url(public_base: &url::Url) -> String {
    ws_url(public_base, STREAM_PATH)
}

/// `public_base` + `path_and_query` with `https` turned into `wss` (`http`: `ws`): the URL Twilio opens, and
/// the URL its upgrade signature is computed over (as given, no parameters).
pub fn ws_url(public_base: &url::Url, path_and_query: &str) -> String {
    let base = public_base.as_str().trim_end_matches('/');
    let base = match base.split_once("://") {
        Some(("https", rest)) => format!("wss://{rest}"),
        Some(("http", rest)) => format!("ws://{rest}"),
        _ => base.to_owned(),
    };
    format!("{base}{path_and_query}")
}

/// One accepted stream, handed to its owner after `start` was checked.
#[derive(Debug)]
pub struct StreamLink {
    pub call_sid: String,
    pub stream_sid: String,
    pub owner: StreamOwner,
    /// Events from Twilio, in order: audio decoded to 20 ms frames numbered by Twilio's `chunk` (1, 2, … with
    /// no gaps from other message kinds; feed an `audio::jitter::JitterBuffer` or a [`super::line::Inlet`]),
    /// keys, marks, and the end. Bounded: when the owner falls behind, the oldest audio is dropped.
    pub events: mpsc::Receiver<StreamEvent>,
    /// What the call hears: frames are μ-law encoded and sent as `media`; also `mark` and `clear`. Holds
    /// [`OUT_QUEUE`] messages: an engine should `try_send` once per tick (a full queue means the socket is not
    /// taking audio; the stream ends as broken after 2 s). Dropping every sender closes the stream (Twilio then
    /// runs the TwiML after `</Connect>`).
    pub audio_out: mpsc::Sender<StreamOut>,
}

/// What Twilio sent on an accepted stream.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "Media is nearly every event: boxing it would allocate 50 times a second"
)]
pub enum StreamEvent {
    /// 20 ms of the call's audio; `seq` is Twilio's `chunk`.
    Media { seq: u64, frame: Frame },
    /// A key the caller pressed.
    Dtmf(char),
    /// A mark of ours, echoed once the audio before it has played.
    Mark(String),
    /// The end: `unexpected` when the socket closed without Twilio's `stop` (piphone did not close it either).
    Stop { unexpected: bool },
}

/// What the owner sends to the call.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "Frame is nearly every message: boxing it would allocate 50 times a second"
)]
pub enum StreamOut {
    Frame(Frame),
    Mark(String),
    Clear,
}

/// Routes arriving streams; one per server, cheap to clone.
#[derive(Clone, Default)]
pub struct StreamHub {
    inner: Arc<Mutex<HubInner>>,
}

#[derive(Default)]
struct HubInner {
    tickets: HashMap<String, Expected>,
    /// Live streams by call: the session ends when its sender is dropped.
    live: HashMap<String, (u64, oneshot::Sender<()>)>,
    next_id: u64,
    owners: HashMap<OwnerKind, mpsc::Sender<StreamLink>>,
}

struct Expected {
    secret: String,
    owner: StreamOwner,
    until: Instant,
}

/// Why a `start` was refused (logged; never carries the secret).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("no stream was expected for this call")]
    NotExpected,
    #[error("wrong or missing secret")]
    Secret,
    #[error("the owner parameter does not match the routed owner")]
    Owner,
    #[error("nobody takes streams for this owner")]
    NoOwner,
}

impl StreamHub {
    pub fn new() -> StreamHub {
        StreamHub::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HubInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// piphone is about to route call `call_sid` to a stream for `owner`: remember it and return the ticket.
    /// Expires after [`TICKET_TTL`] if no stream arrives; a second `expect` for the same call replaces the first.
    pub fn expect(&self, call_sid: &str, owner: StreamOwner) -> StreamTicket {
        self.expect_for(call_sid, owner, TICKET_TTL)
    }

    fn expect_for(&self, call_sid: &str, owner: StreamOwner, ttl: Duration) -> StreamTicket {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut inner = self.lock();
        let now = Instant::now();
        inner.tickets.retain(|_, t| t.until > now);
        inner.tickets.insert(
            call_sid.to_owned(),
            Expected {
                secret: secret.clone(),
                owner,
                until: now + ttl,
            },
        );
        StreamTicket { secret }
    }

    /// Forget a routed call (dropped, moved elsewhere). A live stream for it is closed.
    pub fn forget(&self, call_sid: &str) {
        let mut inner = self.lock();
        inner.tickets.remove(call_sid);
        inner.live.remove(call_sid);
    }

    /// The streams that arrive for `owner_kind` (one receiver per owner kind; a later subscribe replaces it).
    pub fn subscribe(&self, owner_kind: OwnerKind) -> mpsc::Receiver<StreamLink> {
        let (tx, rx) = mpsc::channel(ARRIVALS_QUEUE);
        self.lock().owners.insert(owner_kind, tx);
        rx
    }

    /// Serves one upgraded `/voice/stream` socket (its signature already checked) until it ends.
    pub async fn serve(&self, socket: axum::extract::ws::WebSocket) {
        session::run(self.clone(), socket).await;
    }

    /// Checks a `start` and, if it is for an expected call with the right secret and owner, uses up the ticket
    /// and registers the live stream. Returns the owner, the stream's id and the signal that ends it.
    fn admit(
        &self,
        call_sid: &str,
        secret: Option<&str>,
        owner: Option<&str>,
    ) -> Result<(StreamOwner, u64, oneshot::Receiver<()>), Refusal> {
        let mut inner = self.lock();
        let now = Instant::now();
        let expected = inner
            .tickets
            .get(call_sid)
            .filter(|t| t.until > now)
            .ok_or(Refusal::NotExpected)?;
        let secret_ok: bool = secret
            .unwrap_or("")
            .as_bytes()
            .ct_eq(expected.secret.as_bytes())
            .into();
        if !secret_ok {
            return Err(Refusal::Secret);
        }
        if owner != Some(expected.owner.parameter().as_str()) {
            return Err(Refusal::Owner);
        }
        let owner = expected.owner.clone();
        if !inner.owners.contains_key(&owner.kind()) {
            return Err(Refusal::NoOwner);
        }
        inner.tickets.remove(call_sid);
        inner.next_id += 1;
        let id = inner.next_id;
        let (end_tx, end_rx) = oneshot::channel();
        inner.live.insert(call_sid.to_owned(), (id, end_tx));
        Ok((owner, id, end_rx))
    }

    /// Hands an accepted stream to its owner; false when the owner is gone or has too many waiting.
    fn deliver(&self, link: StreamLink) -> bool {
        let tx = self.lock().owners.get(&link.owner.kind()).cloned();
        tx.is_some_and(|tx| tx.try_send(link).is_ok())
    }

    /// The stream `id` of `call_sid` ended: forget it (unless a newer stream replaced it).
    fn ended(&self, call_sid: &str, id: u64) {
        let mut inner = self.lock();
        if inner
            .live
            .get(call_sid)
            .is_some_and(|(live, _)| *live == id)
        {
            inner.live.remove(call_sid);
        }
    }
}

#[cfg(test)]
mod tests;
