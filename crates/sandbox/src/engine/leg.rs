//! The task that executes TwiML for one call leg, verb after verb, until the leg ends.

use std::future::Future;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

use super::sound::{clip, digits_fields};
use super::twiml::{self, Verb};
use super::{Engine, Party, Signal, Source};
use crate::proto::frame;

/// What the next step of a leg is once a document (or a verb) is done.
pub enum Flow {
    /// Carry on with the next verb (or hang up at the end of the document).
    Next,
    /// Continue with another document.
    Goto(Source),
    /// The leg is over.
    Ended,
}

/// Why a verb stopped early.
pub enum Interrupt {
    Hangup(String),
    Redirect(Source),
}

/// Documents in a row that end in a redirect without taking any time before the call is ended.
const MAX_QUICK_HOPS: u32 = 50;

pub struct Leg {
    pub engine: Engine,
    pub sid: String,
    pub rx: UnboundedReceiver<Signal>,
    pub answered: bool,
}

pub fn spawn(
    engine: Engine,
    sid: String,
    rx: UnboundedReceiver<Signal>,
    base: Vec<(String, String)>,
    first: Source,
) {
    engine.update(&sid, |c| c.base = base);
    let leg = Leg {
        engine,
        sid,
        rx,
        answered: false,
    };
    tokio::spawn(leg.run(first));
}

impl Leg {
    /// Executes TwiML from `first` until the leg ends.
    pub async fn run(mut self, first: Source) {
        let mut next = Some(first);
        let mut quick_hops = 0;
        while let Some(source) = next.take() {
            let document = match source {
                Source::Document { url, body } => Ok((url, body)),
                Source::Fetch {
                    url,
                    method,
                    params,
                } => {
                    let mut all = self.params();
                    all.extend(params);
                    let (engine, sid) = (self.engine.clone(), self.sid.clone());
                    match self
                        .race(async move {
                            engine
                                .webhook(&sid, &url, method, &all)
                                .await
                                .map(|b| (url, b))
                        })
                        .await
                    {
                        Ok(r) => r.map_err(|e| e.to_string()),
                        Err(i) => match self.interrupted(i) {
                            Flow::Goto(s) => {
                                next = Some(s);
                                continue;
                            }
                            _ => return,
                        },
                    }
                }
            };
            let verbs = document
                .and_then(|(url, body)| twiml::parse(&body, &url).map_err(|e| e.to_string()));
            match verbs {
                Ok(verbs) => {
                    let started = std::time::Instant::now();
                    match self.exec(verbs).await {
                        Flow::Next => break,
                        Flow::Goto(s) => next = Some(s),
                        Flow::Ended => return,
                    }
                    // A document that redirects at once, again and again, would spin: end the call.
                    quick_hops = if started.elapsed() < Duration::from_millis(2) {
                        quick_hops + 1
                    } else {
                        0
                    };
                    if quick_hops > MAX_QUICK_HOPS {
                        self.engine.event(
                            &self.sid,
                            "error",
                            json!({ "message": "redirect loop" }),
                        );
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(call_sid = %self.sid, %error, "sandbox: no TwiML for the call");
                    self.engine
                        .event(&self.sid, "error", json!({ "message": error }));
                    break;
                }
            }
        }
        self.end("twiml");
    }

    async fn exec(&mut self, verbs: Vec<Verb>) -> Flow {
        for verb in verbs {
            let flow = match verb {
                v @ (Verb::Say { .. } | Verb::Play { .. } | Verb::Pause { .. }) => {
                    self.ensure_answered();
                    let (engine, sid) = (self.engine.clone(), self.sid.clone());
                    match self.race(perform(engine, sid, v)).await {
                        Ok(()) => Flow::Next,
                        Err(i) => self.interrupted(i),
                    }
                }
                Verb::Redirect { url, method } => {
                    self.engine
                        .event(&self.sid, "redirect", json!({ "url": url.as_str() }));
                    Flow::Goto(Source::Fetch {
                        url,
                        method,
                        params: vec![],
                    })
                }
                Verb::Hangup => {
                    self.end("twiml");
                    Flow::Ended
                }
                Verb::Reject { reason } => {
                    if self.answered {
                        self.end("twiml");
                    } else {
                        self.engine
                            .event(&self.sid, "reject", json!({ "reason": reason }));
                        self.finish(if reason == "busy" { "busy" } else { "canceled" }, "reject");
                    }
                    Flow::Ended
                }
                Verb::Dial(d) => self.dial(d).await,
                Verb::Enqueue(e) => self.enqueue(e).await,
                Verb::Leave => Flow::Next,
                // Media Streams (engine/stream.rs).
                Verb::Connect(s) => self.connect_stream(s).await,
                Verb::StartStream(s) => self.start_stream(s).await,
                Verb::Other(name) => {
                    self.engine
                        .event(&self.sid, "unsupported", json!({ "verb": name }));
                    Flow::Next
                }
            };
            if !matches!(flow, Flow::Next) {
                return flow;
            }
        }
        Flow::Next
    }

    /// The leg's standard webhook fields with its current `CallStatus`.
    pub fn params(&self) -> Vec<(String, String)> {
        let st = self.engine.state();
        let Some(call) = st.calls.get(&self.sid) else {
            return vec![];
        };
        call.base
            .iter()
            .map(|(k, v)| {
                if k == "CallStatus" {
                    (k.clone(), call.status.to_owned())
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect()
    }

    /// Runs `fut` until it finishes or a signal interrupts it; digits are recorded on the way.
    pub async fn race<F: Future>(&mut self, fut: F) -> Result<F::Output, Interrupt> {
        tokio::pin!(fut);
        loop {
            let signal = tokio::select! {
                out = &mut fut => return Ok(out),
                s = self.rx.recv() => s,
            };
            match signal {
                None => return Err(Interrupt::Hangup("system".into())),
                Some(Signal::Hangup { by }) => return Err(Interrupt::Hangup(by)),
                Some(Signal::Redirect(s)) => return Err(Interrupt::Redirect(s)),
                Some(Signal::Digits { digits, inband }) => {
                    self.engine
                        .event(&self.sid, "digits", digits_fields(&digits, inband))
                }
                Some(other) => {
                    tracing::debug!(call_sid = %self.sid, ?other, "sandbox: signal ignored")
                }
            }
        }
    }

    pub fn interrupted(&mut self, i: Interrupt) -> Flow {
        match i {
            Interrupt::Hangup(by) => {
                self.end(&by);
                Flow::Ended
            }
            Interrupt::Redirect(s) => {
                self.engine
                    .event(&self.sid, "redirect", json!({ "url": source_url(&s) }));
                Flow::Goto(s)
            }
        }
    }

    /// Answers the leg the first time a verb needs it (browser legs get the `answer` frame).
    pub fn ensure_answered(&mut self) {
        if self.answered {
            return;
        }
        self.answered = true;
        let party = self.engine.update(&self.sid, |c| {
            c.set_status("in-progress");
            c.party.clone()
        });
        self.engine.event(&self.sid, "answered", json!({}));
        if let Some(Party::Browser {
            tx,
            answer_sdp: Some(sdp),
            ..
        }) = party
        {
            let _ = tx.send(frame("answer", json!({ "callsid": self.sid, "sdp": sdp })));
        }
    }

    /// Ends a live leg as `completed`, telling a browser party.
    pub fn end(&mut self, by: &str) {
        self.finish("completed", by);
    }

    pub fn finish(&mut self, status: &'static str, by: &str) {
        end_leg(&self.engine, &self.sid, status, by);
    }
}

/// Ends leg `sid` if still live: status, `hangup` event, out of any queue, browser told.
pub fn end_leg(engine: &Engine, sid: &str, status: &'static str, by: &str) {
    let party = {
        let mut st = engine.state();
        let Some(call) = st.calls.get_mut(sid) else {
            return;
        };
        if !call.is_live() {
            return;
        }
        call.set_status(status);
        call.signal = None;
        engine.media.end_leg(sid);
        let party = call.party.clone();
        for q in &mut st.queues {
            q.members.retain(|m| m.call_sid != sid);
        }
        party
    };
    engine.event(sid, "hangup", json!({ "by": by }));
    if let Party::Browser { tx, .. } = party
        && by != "client"
        && by != "transport"
    {
        let _ = tx.send(frame("hangup", json!({ "callsid": sid })));
    }
}

/// Say, Play and Pause: recorded on leg `sid`, timed (scaled by the speed factor) and heard by its party
/// (speech or beeps, the WAV file or a stand-in tone, silence), each loop from the start.
pub async fn perform(engine: Engine, sid: String, verb: Verb) {
    let (kind, fields, each, loops, sound): (_, _, Duration, u32, _) = match &verb {
        Verb::Say { text, loops } => (
            "say",
            json!({ "text": text }),
            engine.timing.say(text),
            *loops,
            Some(engine.say_sound(text)),
        ),
        Verb::Play { url, loops } => (
            "play",
            json!({ "url": url }),
            engine.timing.play(),
            *loops,
            Some(engine.play_sound(&sid, url)),
        ),
        Verb::Pause { secs } => (
            "pause",
            json!({ "secs": secs }),
            engine.timing.scaled(secs * 1000),
            1,
            None,
        ),
        _ => return,
    };
    // loop="0" means "until the call ends"; a long finite bound keeps it simple.
    let loops = if loops == 0 { 1000 } else { loops };
    for _ in 0..loops {
        engine.event(&sid, kind, fields.clone());
        let _hearing = sound.as_ref().map(|s| engine.media.hear(&sid, clip(s)));
        tokio::time::sleep(each).await;
    }
}

pub fn source_url(s: &Source) -> String {
    match s {
        Source::Fetch { url, .. } | Source::Document { url, .. } => url.to_string(),
    }
}
