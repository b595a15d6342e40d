//! The stream phone's calls over Twilio's REST API and webhooks: placing one, following its status callbacks,
//! ringing for an incoming one, answering it by replacing its TwiML, ending either.

use std::sync::Arc;
use std::time::{Duration, Instant};

use twilio::rest::{CallUpdate, EndStatus, NewCall};
use twilio::twiml::{Play, Redirect, Say, VoiceResponse};

use super::audio::Order;
use super::{Call, Phone, active};
use crate::call_log;
use crate::media::streams::StreamOwner;
use crate::outgoing::{self, Dialling, Verdict};
use crate::store::{CallKind, NewCall as LogCall};

/// The webhooks of the stream phone (`routes::webhooks::phone`); `?call=<key>` names the call.
pub const ANSWERED_PATH: &str = "/voice/phone/answered";
pub const STATUS_PATH: &str = "/voice/phone/status";
pub const WAIT_PATH: &str = "/voice/phone/wait";

/// How long an incoming call rings before it counts as missed.
const RING_FOR: Duration = Duration::from_secs(30);

/// A ringing caller whose ring loop (two ringbacks of at most 2.5 s, then a redirect to [`WAIT_PATH`]) has not
/// asked for more for this long has hung up: the phone stops ringing ("Missed call", as the page says on `cancel`).
const CALLER_GONE_AFTER: Duration = Duration::from_secs(10);

/// "the far end" as the browser phone words why a call ended (`web/static/phone.js`).
fn ended_because(status: &str, label: &str) -> String {
    match status {
        "busy" => "Call ended — busy".into(),
        "no-answer" => "Call ended — no answer".into(),
        "failed" => "Call failed".into(),
        "canceled" => "Call ended — the call was cancelled".into(),
        _ => format!("Call ended — {label} hung up"),
    }
}

impl Phone {
    fn url(&self, path: &str, key: &str) -> String {
        let base = self.deps.public_url.as_str().trim_end_matches('/');
        format!("{base}{path}?call={key}")
    }

    /// Checks and places an outgoing call to `number`; `Err` with the sentence when it was not placed.
    pub(super) async fn place(
        &self,
        number: &str,
        timeout: std::time::Duration,
    ) -> Result<(), String> {
        let d = &self.deps;
        let name = d.settings.kiosk.user.to_string();
        let user = match d.store.user_by_name(&name).await {
            Ok(Some(user)) if !user.disabled => user,
            _ => return Err("This phone is not allowed to make calls.".into()),
        };
        let key = format!("PH{}", uuid::Uuid::new_v4().simple());
        let dialling = Dialling {
            store: &d.store,
            policy: &d.policy,
            settings: &d.settings,
            caller_id: d.caller_id.as_deref(),
        };
        let (number, caller_id) = match outgoing::check(&dialling, &user, number, &key).await {
            Verdict::Dial { number, caller_id } => (number, caller_id),
            Verdict::Refused(sentence) => {
                self.set("ended", "Call failed");
                return Err(sentence);
            }
        };
        let label = number.formatted();
        {
            let mut inner = self.lock();
            inner.digits.clear();
            inner.call = Some(Call {
                key: key.clone(),
                sid: None,
                label: label.clone(),
                incoming: false,
                hung_up_here: false,
                dial_logged: true,
            });
        }
        self.set("connecting", format!("Connecting to {label}…"));
        let request = NewCall {
            to: number.e164().to_owned(),
            from: caller_id,
            url: self.url(ANSWERED_PATH, &key),
            status_callback: Some((
                self.url(STATUS_PATH, &key),
                vec!["initiated", "ringing", "answered", "completed"],
            )),
            timeout_secs: Some(timeout.as_secs().clamp(5, 600) as u32),
        };
        match d.rest.create_call(&request).await {
            Ok(call) => {
                tracing::info!(user = %name, to = %number, call_sid = %call.sid, "phone dialling");
                let log = LogCall::now(&call.sid, CallKind::Outgoing, number.e164(), "dialling");
                call_log::started(&d.store, log.username(&name)).await;
                if let Some(c) = self.lock().call.as_mut().filter(|c| c.key == key) {
                    c.sid.get_or_insert(call.sid);
                }
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "phone: placing the call failed");
                self.release(&key).await;
                self.set("ended", "Call failed");
                Err(format!("the call was not placed: {e}"))
            }
        }
    }

    /// The other party of the current call, as shown.
    fn label(&self) -> String {
        let inner = self.lock();
        inner
            .call
            .as_ref()
            .map(|c| c.label.clone())
            .unwrap_or_default()
    }

    /// Frees the dial-log slot of call `key` once.
    async fn release(&self, key: &str) {
        let held = {
            let mut inner = self.lock();
            match inner.call.as_mut().filter(|c| c.key == key) {
                Some(c) => std::mem::replace(&mut c.dial_logged, false),
                None => false,
            }
        };
        if held && let Err(e) = self.deps.store.log_ended(key).await {
            tracing::error!(error = %e, "could not record the end of a call");
        }
    }

    /// Whether `key` is the phone's current call (and remembers its CallSid).
    fn is_current(&self, key: &str, call_sid: &str) -> bool {
        let mut inner = self.lock();
        match inner.call.as_mut() {
            Some(c) if c.key == key => {
                c.sid.get_or_insert_with(|| call_sid.to_owned());
                c.sid.as_deref() == Some(call_sid)
            }
            _ => false,
        }
    }

    /// `/voice/phone/answered?call=…`: the far end answered; the call streams to this phone.
    pub fn answered_twiml(&self, key: &str, call_sid: &str) -> VoiceResponse {
        if !self.is_current(key, call_sid) || !active(self.lock().state) {
            tracing::warn!(
                call_sid,
                "phone: an answered call it no longer wants; hanging up"
            );
            return VoiceResponse::new().hangup();
        }
        self.connect_twiml(call_sid)
    }

    fn connect_twiml(&self, call_sid: &str) -> VoiceResponse {
        let ticket = self.deps.streams.expect(call_sid, StreamOwner::Phone);
        VoiceResponse::new()
            .connect(ticket.connect_twiml(&self.deps.public_url, &StreamOwner::Phone))
    }

    /// `/voice/phone/status?call=…`: Twilio's progress of an outgoing call.
    pub async fn progress(&self, key: &str, call_sid: &str, status: &str) {
        if !self.is_current(key, call_sid) {
            // An older call's late callback: only its dial-log slot matters.
            if matches!(
                status,
                "completed" | "busy" | "no-answer" | "failed" | "canceled"
            ) && let Err(e) = self.deps.store.log_ended(key).await
            {
                tracing::error!(error = %e, "could not record the end of a call");
            }
            return;
        }
        let label = self.label();
        match status {
            "ringing" if self.lock().state == "connecting" => {
                self.set("ringing", format!("Ringing {label}…"));
            }
            "in-progress" | "answered" if active(self.lock().state) => {
                self.set("in-call", format!("In call with {label}"));
            }
            "completed" | "busy" | "no-answer" | "failed" | "canceled" => {
                self.release(key).await;
                call_log::ended(&self.deps.store, call_sid, status, Some(status)).await;
                self.call_over(status);
            }
            _ => {}
        }
    }

    /// The call ended (`status` as Twilio says): the sentence, and the audio stops.
    fn call_over(&self, status: &str) {
        let (was, call) = {
            let inner = self.lock();
            (inner.state, inner.call.clone())
        };
        if !active(was) && was != "incoming" {
            return;
        }
        let Some(call) = call else { return };
        if let Some(sid) = &call.sid {
            self.deps.streams.forget(sid);
        }
        self.order(Order::Hangup);
        let text = if call.hung_up_here {
            "Call ended — you hung up".to_owned()
        } else {
            ended_because(status, &call.label)
        };
        self.set("ended", text);
    }

    /// Ends the current call by REST (cancels it while it rings).
    pub(super) async fn end_call(&self) {
        let (sid, state) = {
            let mut inner = self.lock();
            let state = inner.state;
            let Some(call) = inner.call.as_mut() else {
                return;
            };
            call.hung_up_here = true;
            (call.sid.clone(), state)
        };
        let Some(sid) = sid else {
            self.set("ended", "Call ended — cancelled before it connected");
            return;
        };
        let how = if state == "in-call" {
            EndStatus::Completed
        } else {
            EndStatus::Canceled
        };
        if let Err(e) = self
            .deps
            .rest
            .update_call(&sid, &CallUpdate::End(how))
            .await
        {
            tracing::warn!(call_sid = %sid, error = %e, "phone: ending the call failed");
        }
        // An incoming call has no status callback of ours: its end is the stream's.
        if self.lock().call.as_ref().is_some_and(|c| c.incoming) {
            self.call_over("completed");
        }
    }

    /// A station call for the phone: it rings (unless busy: `None`, ring someone else) and the caller hears
    /// ringback until `answer`, `hangup`, or [`RING_FOR`].
    pub fn offer(self: &Arc<Self>, call_sid: &str, label: &str) -> Option<VoiceResponse> {
        {
            let mut inner = self.lock();
            if active(inner.state) || inner.state == "incoming" {
                return None;
            }
            inner.digits.clear();
            inner.ring_seen = Instant::now();
            inner.call = Some(Call {
                key: call_sid.to_owned(),
                sid: Some(call_sid.to_owned()),
                label: label.to_owned(),
                incoming: true,
                hung_up_here: false,
                dial_logged: false,
            });
        }
        self.set("incoming", format!("Incoming call from {label}"));
        self.order(Order::Ring(true));
        let phone = Arc::clone(self);
        let sid = call_sid.to_owned();
        tokio::spawn(async move {
            if phone.deps.settings.kiosk.auto_answer {
                phone.pick_up().await;
                return;
            }
            let rang = Instant::now();
            loop {
                if phone
                    .until(|i| i.state != "incoming", Duration::from_secs(1))
                    .await
                    || !phone.is_current(&sid, &sid)
                {
                    return;
                }
                let quiet = phone.lock().ring_seen.elapsed();
                let over = rang.elapsed() >= RING_FOR || quiet >= CALLER_GONE_AFTER;
                if over && phone.lock().state == "incoming" {
                    phone.missed(&sid).await;
                    return;
                }
            }
        });
        Some(self.ring_twiml(call_sid))
    }

    fn ring_twiml(&self, call_sid: &str) -> VoiceResponse {
        let ringback = self
            .deps
            .public_url
            .join("/static/sounds/outgoing.wav")
            .expect("a fixed path");
        VoiceResponse::new()
            .play(Play::new(ringback.as_str()).loop_count(2))
            .redirect(Redirect::new(self.url(WAIT_PATH, call_sid)))
    }

    /// `/voice/phone/wait?call=…`: the ring loop goes on while the phone rings for this call.
    pub fn ring_wait(&self, call_sid: &str) -> VoiceResponse {
        let ringing = self.lock().state == "incoming" && self.is_current(call_sid, call_sid);
        if ringing {
            self.lock().ring_seen = Instant::now();
            self.ring_twiml(call_sid)
        } else {
            VoiceResponse::new()
                .say(Say::new(
                    "Nobody is available to take your call right now. Goodbye.",
                ))
                .hangup()
        }
    }

    async fn missed(&self, call_sid: &str) {
        let label = self.label();
        self.order(Order::Ring(false));
        self.set("ended", format!("Missed call from {label}"));
        call_log::ended(&self.deps.store, call_sid, "missed", Some("no-answer")).await;
    }

    /// Answers the ringing incoming call: its TwiML becomes `<Connect><Stream>` to this phone.
    pub(super) async fn pick_up(&self) {
        let Some(call) = self.lock().call.clone().filter(|c| c.incoming) else {
            return;
        };
        // The speaker rings on until the stream arrives (one session: no gap in the speaker's audio).
        self.set("connecting", format!("Connecting to {}…", call.label));
        let twiml = self.connect_twiml(&call.key).to_xml();
        match self
            .deps
            .rest
            .update_call(&call.key, &CallUpdate::Twiml(twiml))
            .await
        {
            Ok(_) => call_log::ended(&self.deps.store, &call.key, "answered", None).await,
            Err(e) => {
                tracing::warn!(call_sid = %call.key, error = %e, "phone: answering failed");
                self.order(Order::Ring(false));
                self.deps.streams.forget(&call.key);
                self.set("ended", format!("Call ended — {} hung up", call.label));
            }
        }
    }

    /// Rejects the ringing incoming call.
    pub(super) async fn reject(&self) {
        let Some(call) = self.lock().call.clone().filter(|c| c.incoming) else {
            return;
        };
        self.order(Order::Ring(false));
        self.set("ended", "Rejected the incoming call");
        let end = CallUpdate::End(EndStatus::Completed);
        if let Err(e) = self.deps.rest.update_call(&call.key, &end).await {
            tracing::warn!(call_sid = %call.key, error = %e, "phone: rejecting failed");
        }
        call_log::ended(&self.deps.store, &call.key, "missed", Some("rejected")).await;
    }

    /// The audio task asks whether a stream that arrived is the current call's.
    pub(super) fn wants_stream(&self, call_sid: &str) -> bool {
        let inner = self.lock();
        matches!(inner.state, "connecting" | "ringing" | "in-call")
            && inner.call.as_ref().and_then(|c| c.sid.as_deref()) == Some(call_sid)
    }

    /// The call's stream is playing.
    pub(super) fn stream_started(&self) {
        let label = self.label();
        if self.lock().state != "in-call" {
            self.set("in-call", format!("In call with {label}"));
        }
    }

    /// The far end pressed `digit`.
    pub(super) fn far_digit(&self, digit: char) {
        self.lock().digits.push(digit);
        self.changed.send_modify(|n| *n += 1);
    }

    /// The call's stream ended: the call is over (Twilio's `completed` callback may follow for outgoing calls).
    pub(super) fn stream_stopped(&self) {
        self.call_over("completed");
    }
}
