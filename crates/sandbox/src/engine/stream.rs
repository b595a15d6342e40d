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
//! Audio: the stream is the leg's connection (`media::Media::connect_outside`): what the party says
//! goes out as `media`, what the server sends back is what the party hears; a `<Start><Stream>`
//! fork gets a copy of what the party says (`media::Media::listen`) and sends nothing back.

use std::time::Duration;

use audio::Frame;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

use super::leg::{Flow, Interrupt, Leg};
use super::sound::digits_fields;
use super::twiml::StreamVerb;
use super::{Engine, Signal, Source};
use crate::streams::{StreamClient, StreamEnd, StreamError, StreamSession};

const FRAME: Duration = Duration::from_millis(20);

/// The leg's ends of a stream: what its party says, and (bidirectional streams) where what the
/// server sends back goes to be heard.
struct Ends {
    said: mpsc::Receiver<Frame>,
    heard: Option<mpsc::Sender<Frame>>,
}

/// One 20 ms step of a stream: the party's voice out, the server's audio in.
fn pump(ends: &mut Ends, session: &StreamSession) {
    session.send_said(ends.said.try_recv().unwrap_or(Frame::SILENCE));
    let back = session.next_heard();
    if let Some(heard) = &ends.heard {
        // A full channel means the media clock is behind: drop this frame rather than queue delay.
        let _ = heard.try_send(back);
    }
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
            let Some(outside) = self.engine.media.connect_outside(&self.sid) else {
                session.stop().await;
                report.stopped(&session, "call");
                return self.interrupted(Interrupt::Hangup("system".into()));
            };
            let mut ends = Ends {
                said: outside.rx,
                heard: Some(outside.tx),
            };
            let ran = self.run_stream(&session, &mut ends).await;
            // The stream is over: the party hears silence again until the next verb.
            drop(ends);
            match ran {
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
            Ok(Some(session)) => match self.engine.media.listen(&self.sid) {
                Some(said) => {
                    let ends = Ends { said, heard: None };
                    tokio::spawn(fork(report, session, ends));
                    Flow::Next
                }
                None => {
                    session.stop().await;
                    report.stopped(&session, "call");
                    Flow::Next
                }
            },
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
    async fn run_stream(
        &mut self,
        session: &StreamSession,
        ends: &mut Ends,
    ) -> Result<StreamEnd, Interrupt> {
        let mut tick = interval(FRAME);
        tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
        loop {
            tokio::select! {
                _ = tick.tick() => pump(ends, session),
                end = session.ended() => return Ok(end),
                signal = self.rx.recv() => match signal {
                    None => return Err(Interrupt::Hangup("system".into())),
                    Some(Signal::Hangup { by }) => return Err(Interrupt::Hangup(by)),
                    Some(Signal::Redirect(s)) => return Err(Interrupt::Redirect(s)),
                    Some(Signal::Digits { digits, inband }) => {
                        self.engine.event(&self.sid, "digits", digits_fields(&digits, inband));
                        // Twilio reports keys it detects, whether they came as RFC 4733 or in the audio.
                        digits.chars().for_each(|c| session.send_dtmf(c));
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
async fn fork(report: Report, session: StreamSession, mut ends: Ends) {
    let (engine, sid) = (&report.engine, &report.sid);
    let mut tick = interval(FRAME);
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let live = engine.state().calls.get(sid).is_some_and(|c| c.is_live());
                if !live {
                    session.stop().await;
                    report.stopped(&session, "call");
                    return;
                }
                pump(&mut ends, &session);
            }
            end = session.ended() => {
                report.stopped(&session, &end_reason(&end));
                return;
            }
        }
    }
}
