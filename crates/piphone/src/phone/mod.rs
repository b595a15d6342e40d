//! The browserless phone (`PIPHONE_KIOSK_ENGINE=stream`): the kiosk's phone held by the server process itself,
//! its call audio carried over Twilio Media Streams to this machine's sound card (`media::device`), so no
//! Chromium runs. `piphone call/answer/hangup/dtmf/status` reach it through the same relay route as the
//! Chromium kiosk page (`routes/api/kiosk/control.rs`), and answer with the same [`Outcome`]s and [`Status`].
//!
//! * **Outgoing** ([`calls`]): the same checks as a browser call (`crate::outgoing::check`), then `Calls.json`
//!   with `To`, `From` = the caller ID, `Url` = `/voice/phone/answered` (which answers `<Connect><Stream>` with a
//!   fresh `StreamTicket`: the ticket names the CallSid, which only exists once the call does) and a status
//!   callback `/voice/phone/status` (ringing, answered, busy, no-answer, failed, completed).
//! * **Incoming** ([`calls`]): a station call in `ring` mode (when the kiosk user may take calls) is answered
//!   with a ring loop (`/voice/phone/wait`: ringback, then the loop again) while the speaker rings; `answer` (or
//!   auto-answer) replaces the call's TwiML by REST with `<Connect><Stream>`, `hangup` ends it.
//! * **Audio** ([`audio`]): one task; while a call rings or talks it opens the capture and playback devices and
//!   ticks once per captured frame (capture is the clock): the stream's audio through a `media::line::Inlet` to
//!   the speaker, the microphone (or the DTMF tones `dtmf` asked for) to the stream.
//!
//! The phone's state words are the browser phone's (`idle`, `connecting`, `ringing`, `in-call`, `incoming`,
//! `ended`), and so are its sentences ("In call with …", "Call ended — you hung up"), so scripts see no difference.

mod audio;
mod calls;
mod commands;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, watch};
use url::Url;

use crate::domain::DialPolicy;
use crate::kiosk::messages::{PageReport, Status};
use crate::media::streams::StreamHub;
use crate::settings::Settings;
use crate::store::Store;

pub use audio::Devices;
pub use calls::{ANSWERED_PATH, STATUS_PATH, WAIT_PATH};

/// What the phone needs from the server.
pub struct Deps {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub policy: Arc<DialPolicy>,
    pub rest: twilio::rest::Client,
    /// Twilio reaches piphone here (webhook and stream URLs).
    pub public_url: Url,
    pub caller_id: Option<String>,
    pub streams: StreamHub,
}

/// The call the phone has (or had last).
#[derive(Debug, Clone)]
struct Call {
    /// Names the call in URLs and the dial log before its CallSid is known (outgoing: `PH…`; incoming: the
    /// CallSid).
    key: String,
    sid: Option<String>,
    /// The other party as shown (`+1 555-123-0001`).
    label: String,
    incoming: bool,
    /// `hangup` was asked here (for "you hung up").
    hung_up_here: bool,
    /// The dial-log slot is still held (outgoing calls until they end).
    dial_logged: bool,
}

struct Inner {
    state: &'static str,
    text: String,
    call: Option<Call>,
    /// Keys the far end pressed in this call (stream `dtmf` events).
    digits: String,
    since: SystemTime,
    /// When the ringing caller's ring loop last asked for more: the only sign that a station caller is still
    /// there while the phone rings (Twilio sends the number's webhooks nothing when they hang up during `<Play>`).
    ring_seen: Instant,
}

/// The phone; one per server (`AppState::phone` with the stream engine).
pub struct Phone {
    deps: Deps,
    inner: Mutex<Inner>,
    /// Bumped at every change, so commands can wait for the state they need.
    changed: watch::Sender<u64>,
    audio: mpsc::UnboundedSender<audio::Order>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// States in which the phone is busy with a call.
fn active(state: &str) -> bool {
    matches!(state, "connecting" | "ringing" | "in-call")
}

impl Phone {
    /// The phone, with its audio task running on `devices`.
    pub fn start(deps: Deps, devices: Devices) -> Arc<Phone> {
        let (tx, rx) = mpsc::unbounded_channel();
        let links = deps
            .streams
            .subscribe(crate::media::streams::OwnerKind::Phone);
        let phone = Arc::new(Phone {
            deps,
            inner: Mutex::new(Inner {
                state: "idle",
                text: "Ready".into(),
                call: None,
                digits: String::new(),
                since: SystemTime::now(),
                ring_seen: Instant::now(),
            }),
            changed: watch::Sender::new(0),
            audio: tx,
        });
        tokio::spawn(audio::run(Arc::clone(&phone), devices, links, rx));
        phone
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the state (and its sentence) and wakes whoever waits for a change.
    fn set(&self, state: &'static str, text: impl Into<String>) {
        let text = text.into();
        {
            let mut inner = self.lock();
            inner.state = state;
            inner.text.clone_from(&text);
        }
        tracing::info!(state, text, "phone");
        self.changed.send_modify(|n| *n += 1);
    }

    fn order(&self, order: audio::Order) {
        let _ = self.audio.send(order);
    }

    /// Waits up to `timeout` for `test` to hold; whether it did.
    async fn until(&self, test: impl Fn(&Inner) -> bool, timeout: Duration) -> bool {
        let mut rx = self.changed.subscribe();
        let wait = async {
            loop {
                if test(&self.lock()) {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.is_ok()
    }

    /// `piphone status`'s view: the phone is part of the server, so it is connected while the server runs.
    pub fn status(&self) -> Status {
        let inner = self.lock();
        let kiosk = &self.deps.settings.kiosk;
        Status {
            connected: true,
            since: Some(unix(inner.since)),
            identity: Some(kiosk.user.to_string()),
            auto_answer: kiosk.auto_answer,
            phone: Some(PageReport {
                state: inner.state.into(),
                text: inner.text.clone(),
                incoming_from: (inner.state == "incoming")
                    .then(|| inner.call.as_ref().map(|c| c.label.clone()))
                    .flatten(),
                microphone: Some(kiosk.phone_capture.clone()),
                speaker: Some(kiosk.phone_playback.clone()),
                far_end_digits: (!inner.digits.is_empty()).then(|| inner.digits.clone()),
                ..PageReport::default()
            }),
        }
    }
}
