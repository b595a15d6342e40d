//! Media Streams in a leg's TwiML (the client itself is `crate::streams`).
//!
//! `<Connect><Stream>` blocks: the leg pumps the stream every 20 ms until the server closes it
//! (or it fails), then requests `<Connect action>` if given, else continues after `</Connect>`;
//! a hang-up or a REST redirect sends `stop` first. Digits the party presses go to the stream as
//! `dtmf`. `<Start><Stream>` forks a listen-only stream that runs beside the TwiML until the
//! stream or the call ends. Each leg records `stream` events: `status` `started` (stream_sid, url,
//! name), `stopped` (stream_sid, by: `server`, `call`, `error: …`), `error` (code, message, url);
//! with `<Stream statusCallback>` each also POSTs `AccountSid, CallSid, StreamSid, StreamName`
//! (the name, else the SID), `StreamEvent` (`stream-started|stream-stopped|stream-error`),
//! `StreamError` and `Timestamp` (ISO 8601), signed like every webhook.
//!
//! Seam for the media core: [`party_voice`] is what the stream hears from the leg's party and
//! [`party_hears`] takes what the server sends back; today a party is silent and hears nothing.

use std::time::Duration;

use audio::Frame;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::time::{MissedTickBehavior, interval};

use super::leg::{Flow, Interrupt, Leg};
use super::twiml::StreamVerb;
use super::{Engine, Signal, Source};
use crate::streams::{StreamClient, StreamEnd, StreamError, StreamSession};

const FRAME: Duration = Duration::from_millis(20);

/// SEAM: the next 20 ms the leg's party says (silence until parties have voices).
fn party_voice(_engine: &Engine, _sid: &str) -> Frame {
    Frame::SILENCE
}

/// SEAM: 20 ms the leg's party hears from the stream (dropped until parties have ears).
fn party_hears(_engine: &Engine, _sid: &str, _frame: Frame) {}

/// One 20 ms step of a stream: the party's voice out, the server's audio in.
fn pump(engine: &Engine, sid: &str, session: &StreamSession) {
    session.send_said(party_voice(engine, sid));
    party_hears(engine, sid, session.next_heard());
}

fn end_reason(end: &StreamEnd) -> String {
    match end {
        StreamEnd::Stopped => "stopped".into(),
        StreamEnd::ServerClosed => "server".into(),
        StreamEnd::Failed(e) => format!("error: {e}"),
    }
}

/// Records a stream's `stream` events on its leg and sends its status callbacks.
#[derive(Clone)]
struct Report {
    engine: Engine,
    sid: String,
    verb: StreamVerb,
}

impl Report {
    fn started(&self, session: &StreamSession) {
        let fields = json!({ "status": "started", "stream_sid": session.stream_sid(),
                             "url": self.verb.target.url, "name": self.verb.name });
        self.record(fields, Some(session.stream_sid()), "stream-started", None);
    }

    fn stopped(&self, session: &StreamSession, by: &str) {
        let fields = json!({ "status": "stopped", "stream_sid": session.stream_sid(), "by": by });
        self.record(fields, Some(session.stream_sid()), "stream-stopped", None);
    }

    fn error(&self, e: &StreamError) {
        let message = e.to_string();
        let fields = json!({ "status": "error", "code": e.code(), "message": message,
                             "url": self.verb.target.url });
        self.record(fields, None, "stream-error", Some(&message));
    }

    fn record(&self, fields: Value, stream_sid: Option<&str>, event: &str, error: Option<&str>) {
        self.engine.event(&self.sid, "stream", fields);
        let Some((url, method)) = self.verb.status_callback.clone() else {
            return;
        };
        let name = self.verb.name.as_deref().or(stream_sid).unwrap_or_default();
        let mut params = vec![
            (
                "AccountSid".to_owned(),
                self.engine.creds.account_sid.clone(),
            ),
            ("CallSid".to_owned(), self.sid.clone()),
        ];
        params.extend(stream_sid.map(|s| ("StreamSid".to_owned(), s.to_owned())));
        params.push(("StreamName".to_owned(), name.to_owned()));
        params.push(("StreamEvent".to_owned(), event.to_owned()));
        params.extend(error.map(|e| ("StreamError".to_owned(), e.to_owned())));
        let now = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        params.push(("Timestamp".to_owned(), now));
        let hook = self
            .engine
            .clone()
            .webhook_owned(self.sid.clone(), url, method, params);
        tokio::spawn(hook);
    }
}

impl Leg {
    /// `<Connect><Stream>`: runs the stream to its end, then the Connect's `action` or the next verb.
    pub async fn connect_stream(&mut self, verb: StreamVerb) -> Flow {
        self.ensure_answered();
        let report = self.report(&verb);
        let session = match self.open_stream(&report).await {
            Ok(session) => session,
            Err(i) => return self.interrupted(i),
        };
        if let Some(session) = session {
            match self.run_stream(&session).await {
                Ok(end) => report.stopped(&session, &end_reason(&end)),
                Err(interrupt) => {
                    session.stop().await;
                    report.stopped(&session, "call");
                    return self.interrupted(interrupt);
                }
            }
        }
        match verb.action {
            Some((url, method)) => Flow::Goto(Source::Fetch {
                url,
                method,
                params: vec![],
            }),
            None => Flow::Next,
        }
    }

    /// `<Start><Stream>`: forks a listen-only stream and carries on at once.
    pub async fn start_stream(&mut self, verb: StreamVerb) -> Flow {
        self.ensure_answered();
        let report = self.report(&verb);
        match self.open_stream(&report).await {
            Ok(Some(session)) => {
                tokio::spawn(fork(report, session));
                Flow::Next
            }
            Ok(None) => Flow::Next,
            Err(i) => self.interrupted(i),
        }
    }

    fn report(&self, verb: &StreamVerb) -> Report {
        Report {
            engine: self.engine.clone(),
            sid: self.sid.clone(),
            verb: verb.clone(),
        }
    }

    /// Connects (a hang-up meanwhile interrupts); a refused stream is reported and `None`.
    async fn open_stream(&mut self, report: &Report) -> Result<Option<StreamSession>, Interrupt> {
        let client = StreamClient::new(
            &self.engine.creds.auth_token,
            self.engine.opts.accept_invalid_certs,
        );
        let (target, call_sid) = (report.verb.target.clone(), self.sid.clone());
        let account_sid = self.engine.creds.account_sid.clone();
        let connecting =
            async move { StreamSession::connect(&target, &call_sid, &account_sid, &client).await };
        match self.race(connecting).await? {
            Ok(session) => {
                report.started(&session);
                Ok(Some(session))
            }
            Err(e) => {
                let url = &report.verb.target.url;
                tracing::info!(call_sid = %self.sid, %url, error = %e, "sandbox: stream refused");
                report.error(&e);
                Ok(None)
            }
        }
    }

    /// Pumps a bidirectional stream until it ends, or a signal interrupts the leg.
    async fn run_stream(&mut self, session: &StreamSession) -> Result<StreamEnd, Interrupt> {
        let mut tick = interval(FRAME);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => pump(&self.engine, &self.sid, session),
                end = session.ended() => return Ok(end),
                signal = self.rx.recv() => match signal {
                    None => return Err(Interrupt::Hangup("system".into())),
                    Some(Signal::Hangup { by }) => return Err(Interrupt::Hangup(by)),
                    Some(Signal::Redirect(s)) => return Err(Interrupt::Redirect(s)),
                    Some(Signal::Digits(d)) => {
                        self.engine.event(&self.sid, "digits", json!({ "digits": d }));
                        d.chars().for_each(|c| session.send_dtmf(c));
                    }
                    Some(other) => {
                        tracing::debug!(call_sid = %self.sid, ?other, "sandbox: signal ignored")
                    }
                },
            }
        }
    }
}

/// A `<Start><Stream>` fork: pumps until the stream ends or the call does (then `stop`).
async fn fork(report: Report, session: StreamSession) {
    let (engine, sid) = (&report.engine, &report.sid);
    let mut tick = interval(FRAME);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let live = engine.state().calls.get(sid).is_some_and(|c| c.is_live());
                if !live {
                    session.stop().await;
                    report.stopped(&session, "call");
                    return;
                }
                pump(engine, sid, &session);
            }
            end = session.ended() => {
                report.stopped(&session, &end_reason(&end));
                return;
            }
        }
    }
}
