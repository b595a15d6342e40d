//! Media Streams in a leg's TwiML (the client itself is `crate::streams`).
//!
//! `<Connect><Stream>` blocks: the leg pumps the stream every 20 ms until the server closes it
//! (or it fails), then requests `<Connect action>` if given, else continues after `</Connect>`;
//! a hang-up or a REST redirect sends `stop` first. Digits the party presses go to the stream as
//! `dtmf`. `<Start><Stream>` forks a listen-only stream that runs beside the TwiML until the
//! stream or the call ends. Each leg records `stream` events: `status` `started` (stream_sid, url,
//! name), `stopped` (stream_sid, by: `server`, `caller`/…, `error`), `error` (code, message, url).
//!
//! Seam for the media core: [`party_voice`] is what the stream hears from the leg's party and
//! [`party_hears`] takes what the server sends back; today a party is silent and hears nothing.

use std::time::Duration;

use audio::Frame;
use serde_json::json;
use tokio::time::{MissedTickBehavior, interval};

use super::leg::{Flow, Interrupt, Leg};
use super::twiml::StreamVerb;
use super::{Engine, Signal, Source};
use crate::streams::{StreamClient, StreamEnd, StreamSession};

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

impl Leg {
    /// `<Connect><Stream>`: runs the stream to its end, then the Connect's `action` or the next verb.
    pub async fn connect_stream(&mut self, verb: StreamVerb) -> Flow {
        self.ensure_answered();
        let session = match self.open_stream(&verb).await {
            Ok(session) => session,
            Err(i) => return self.interrupted(i),
        };
        if let Some(session) = session
            && let Some(interrupt) = self.run_stream(&session).await
        {
            session.stop().await;
            self.stream_stopped(&session, "call");
            return self.interrupted(interrupt);
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
        match self.open_stream(&verb).await {
            Ok(Some(session)) => {
                tokio::spawn(fork(self.engine.clone(), self.sid.clone(), session));
                Flow::Next
            }
            Ok(None) => Flow::Next,
            Err(i) => self.interrupted(i),
        }
    }

    /// Connects (a hang-up meanwhile interrupts); a refused stream is an `error` event and `None`.
    async fn open_stream(&mut self, verb: &StreamVerb) -> Result<Option<StreamSession>, Interrupt> {
        let client = StreamClient::new(
            &self.engine.creds.auth_token,
            self.engine.opts.accept_invalid_certs,
        );
        let (target, call_sid) = (verb.target.clone(), self.sid.clone());
        let account_sid = self.engine.creds.account_sid.clone();
        let connecting =
            async move { StreamSession::connect(&target, &call_sid, &account_sid, &client).await };
        let url = verb.target.url.as_str();
        match self.race(connecting).await? {
            Ok(session) => {
                let fields = json!({ "status": "started", "stream_sid": session.stream_sid(),
                                     "url": url, "name": verb.name });
                self.engine.event(&self.sid, "stream", fields);
                Ok(Some(session))
            }
            Err(e) => {
                tracing::info!(call_sid = %self.sid, %url, error = %e, "sandbox: stream refused");
                let fields = json!({ "status": "error", "code": e.code(),
                                     "message": e.to_string(), "url": url });
                self.engine.event(&self.sid, "stream", fields);
                Ok(None)
            }
        }
    }

    /// Pumps a bidirectional stream until it ends (`None`) or a signal interrupts the leg.
    async fn run_stream(&mut self, session: &StreamSession) -> Option<Interrupt> {
        let mut tick = interval(FRAME);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => pump(&self.engine, &self.sid, session),
                end = session.ended() => {
                    self.stream_stopped(session, &end_reason(&end));
                    return None;
                }
                signal = self.rx.recv() => match signal {
                    None => return Some(Interrupt::Hangup("system".into())),
                    Some(Signal::Hangup { by }) => return Some(Interrupt::Hangup(by)),
                    Some(Signal::Redirect(s)) => return Some(Interrupt::Redirect(s)),
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

    fn stream_stopped(&self, session: &StreamSession, by: &str) {
        stopped(&self.engine, &self.sid, session, by);
    }
}

fn stopped(engine: &Engine, sid: &str, session: &StreamSession, by: &str) {
    let fields = json!({ "status": "stopped", "stream_sid": session.stream_sid(), "by": by });
    engine.event(sid, "stream", fields);
}

/// A `<Start><Stream>` fork: pumps until the stream ends or the call does (then `stop`).
async fn fork(engine: Engine, sid: String, session: StreamSession) {
    let mut tick = interval(FRAME);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let live = engine.state().calls.get(&sid).is_some_and(|c| c.is_live());
                if !live {
                    session.stop().await;
                    stopped(&engine, &sid, &session, "call");
                    return;
                }
                pump(&engine, &sid, &session);
            }
            end = session.ended() => {
                stopped(&engine, &sid, &session, &end_reason(&end));
                return;
            }
        }
    }
}
