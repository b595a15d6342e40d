//! Calls created by REST (`POST …/Calls.json`): an `outbound-api` leg rings its `To` (a simulated
//! phone, or the browsers registered as `client:NAME`), then executes the request's TwiML for the
//! party that answered. Status callbacks go out as Twilio sends them: signed like webhooks, fields
//! `CallSid, AccountSid, From, To, CallStatus, ApiVersion, Direction, Timestamp` (RFC 2822),
//! `CallbackSource=call-progress-events`, `SequenceNumber` from 0 (and `CallDuration` on the
//! terminal one), for the `StatusCallbackEvent`s asked (`initiated`, `ringing`, `answered`,
//! `completed`; default `completed`). `busy`, `no-answer`, `failed` and `canceled` are terminal
//! statuses reported under `completed`.

use std::time::Instant;

use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;
use tokio::sync::mpsc::UnboundedReceiver;
use url::Url;

use super::leg::{Leg, end_leg};
use super::ring::BrowserRing;
use super::{Behaviour, CallRecord, ClientConn, Engine, Method, Party, Signal, Source};
use crate::ids;

/// Where status callbacks go and which are wanted.
#[derive(Debug, Clone)]
pub struct StatusCallback {
    pub url: Url,
    pub method: Method,
    /// Lower-case event names: `initiated`, `ringing`, `answered`, `completed`.
    pub events: Vec<String>,
}

/// A call to place, as `POST Calls.json` asked.
#[derive(Debug, Clone)]
pub struct Outbound {
    pub to: String,
    pub from: String,
    /// The TwiML to run once answered (`Url`+`Method` or `Twiml`).
    pub source: Source,
    /// `Timeout`: seconds to let it ring.
    pub timeout_s: u64,
    pub status_callback: Option<StatusCallback>,
}

/// The leg's progress reporter: numbers callbacks and sends the ones asked for.
struct Progress {
    engine: Engine,
    sid: String,
    call: Outbound,
    sequence: u32,
}

impl Progress {
    /// Sends the callback for `event` (if asked) with `CallStatus=status`.
    fn report(&mut self, event: &str, status: &str) {
        let Some(cb) = &self.call.status_callback else {
            return;
        };
        if !cb.events.iter().any(|e| e == event) {
            return;
        }
        let mut params = vec![
            ("CallSid".to_owned(), self.sid.clone()),
            (
                "AccountSid".to_owned(),
                self.engine.creds.account_sid.clone(),
            ),
            ("From".to_owned(), self.call.from.clone()),
            ("To".to_owned(), self.call.to.clone()),
            ("CallStatus".to_owned(), status.to_owned()),
            ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
            ("Direction".to_owned(), "outbound-api".to_owned()),
            (
                "Timestamp".to_owned(),
                OffsetDateTime::now_utc()
                    .format(&Rfc2822)
                    .unwrap_or_default(),
            ),
            (
                "CallbackSource".to_owned(),
                "call-progress-events".to_owned(),
            ),
            ("SequenceNumber".to_owned(), self.sequence.to_string()),
        ];
        self.sequence += 1;
        if event == "completed" {
            let secs = self
                .engine
                .update(&self.sid, |c| c.duration_secs())
                .unwrap_or(0);
            params.push(("CallDuration".to_owned(), secs.to_string()));
        }
        let (url, method) = (cb.url.clone(), cb.method);
        let hook = self
            .engine
            .clone()
            .webhook_owned(self.sid.clone(), url, method, params);
        tokio::spawn(hook);
    }

    /// Ends the leg with a terminal status and reports it.
    fn end(&mut self, status: &'static str, by: &str) {
        end_leg(&self.engine, &self.sid, status, by);
        self.report("completed", status);
    }
}

/// What ringing came to.
enum Rung {
    Answered(Party),
    Ended(&'static str, String),
}

impl Engine {
    /// Creates the leg (status `queued`) and starts ringing; returns the CallSid.
    pub fn call_out(&self, call: Outbound) -> String {
        let sid = ids::sid("CA");
        let mut rec = CallRecord::new(
            &sid,
            "outbound-api",
            &call.from,
            &call.to,
            None,
            Party::Phone,
        );
        rec.status = "queued";
        let rx = self.add_call(rec);
        let progress = Progress {
            engine: self.clone(),
            sid: sid.clone(),
            call,
            sequence: 0,
        };
        tokio::spawn(run(progress, rx));
        sid
    }
}

async fn run(mut p: Progress, mut rx: UnboundedReceiver<Signal>) {
    let (engine, sid) = (p.engine.clone(), p.sid.clone());
    p.report("initiated", "initiated");
    engine.update(&sid, |c| c.set_status("ringing"));
    engine.event(&sid, "ringing", json!({}));
    p.report("ringing", "ringing");
    let party = match ring(&engine, &sid, &p.call, &mut rx).await {
        Rung::Answered(party) => party,
        Rung::Ended(status, by) => return p.end(status, &by),
    };
    engine.update(&sid, |c| {
        c.party = party;
        c.set_status("in-progress");
    });
    engine.event(&sid, "answered", json!({}));
    p.report("answered", "in-progress");
    let base = vec![
        ("AccountSid".to_owned(), engine.creds.account_sid.clone()),
        ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
        ("CallSid".to_owned(), sid.clone()),
        ("CallStatus".to_owned(), "in-progress".to_owned()),
        ("Called".to_owned(), p.call.to.clone()),
        ("Caller".to_owned(), p.call.from.clone()),
        ("Direction".to_owned(), "outbound-api".to_owned()),
        ("From".to_owned(), p.call.from.clone()),
        ("To".to_owned(), p.call.to.clone()),
    ];
    engine.update(&sid, |c| c.base = base);
    let leg = Leg {
        engine: engine.clone(),
        sid: sid.clone(),
        rx,
        answered: true,
    };
    leg.run(p.call.source.clone()).await;
    let status = engine.update(&sid, |c| c.status).unwrap_or("completed");
    p.report("completed", status);
}

/// Rings `call.to` until it answers, refuses, times out, or the call is ended through REST.
async fn ring(
    engine: &Engine,
    sid: &str,
    call: &Outbound,
    rx: &mut UnboundedReceiver<Signal>,
) -> Rung {
    let timeout_ms = call.timeout_s * 1000;
    let browsers: Vec<ClientConn> = match call.to.strip_prefix("client:") {
        Some(identity) => engine
            .state()
            .clients
            .get(identity)
            .cloned()
            .unwrap_or_default(),
        None => vec![],
    };
    // A phone's fate is known from its behaviour; browsers decide by signaling.
    let (ring_ms, fate) = if call.to.starts_with("client:") {
        if browsers.is_empty() {
            return Rung::Ended("no-answer", "callee".into());
        }
        (timeout_ms, Rung::Ended("no-answer", "timeout".into()))
    } else {
        let phone = engine.phone(&call.to);
        if let Some(voice) = &phone.voice {
            engine.media.set_mouth(sid, engine.media.mouth(voice));
        }
        match phone.behaviour {
            Behaviour::Answer if phone.ring_ms <= timeout_ms => {
                (phone.ring_ms, Rung::Answered(Party::Phone))
            }
            Behaviour::Answer | Behaviour::NoAnswer => {
                (timeout_ms, Rung::Ended("no-answer", "timeout".into()))
            }
            Behaviour::Busy => (phone.ring_ms.min(300), Rung::Ended("busy", "callee".into())),
            Behaviour::Failed => (
                phone.ring_ms.min(300),
                Rung::Ended("failed", "callee".into()),
            ),
        }
    };
    let parameters = json!({
        "CallSid": sid,
        "From": call.from,
        "To": call.to,
        "AccountSid": engine.creds.account_sid,
        "Params": "",
    });
    let invites = browsers.into_iter().map(|b| (b, parameters.clone()));
    // Empty for a phone.
    let mut browsers = BrowserRing::invite(sid, invites.collect()).await;
    let deadline = Instant::now() + engine.timing.scaled(ring_ms);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let signal = tokio::select! {
            _ = tokio::time::sleep(left) => {
                if matches!(fate, Rung::Ended(..)) {
                    browsers.cancel(None);
                }
                return fate;
            }
            s = rx.recv() => s,
        };
        match signal {
            Some(Signal::Answer { conn_id, sdp }) => {
                browsers.answered(engine, conn_id, sdp.as_deref());
                let b = browsers.conn(conn_id);
                return Rung::Answered(b.map_or(Party::Phone, |b| Party::Browser {
                    conn_id,
                    tx: b.tx.clone(),
                    answer_sdp: None,
                }));
            }
            Some(Signal::Reject { conn_id }) => {
                browsers.cancel(Some(conn_id));
                return Rung::Ended("busy", "client".into());
            }
            Some(Signal::Hangup { by }) => {
                browsers.cancel(None);
                return Rung::Ended("canceled", by);
            }
            None => return Rung::Ended("canceled", "system".into()),
            Some(_) => {}
        }
    }
}
