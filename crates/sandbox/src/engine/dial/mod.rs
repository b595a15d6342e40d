//! `<Dial>`: ring a simulated phone ([`number`]), registered browsers ([`clients`]) or the front
//! of a queue ([`queue`]), hold the bridge ([`bridge`]), then continue at the Dial's `action` with
//! `DialCallStatus`, `DialCallSid`, `DialCallDuration` (and `QueueSid`).

mod bridge;
mod clients;
mod number;
mod queue;

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedReceiver;

use super::leg::{Flow, Interrupt, Leg};
use super::sound::digits_fields;
use super::twiml::{Dial, Target};
use super::{CallRecord, Party, Signal, Source};
use crate::ids;

/// How a Dial ended.
pub(super) struct Outcome {
    pub(super) status: &'static str,
    pub(super) child: Option<String>,
    pub(super) duration: Option<u64>,
    pub(super) queue_sid: Option<String>,
    /// The calling leg itself is gone (hung up) or was redirected away.
    pub(super) caller: Option<Flow>,
}

impl Outcome {
    pub(super) fn status(status: &'static str) -> Outcome {
        Outcome {
            status,
            child: None,
            duration: None,
            queue_sid: None,
            caller: None,
        }
    }
}

pub(super) enum BridgeEnd {
    Caller(Flow),
    Callee,
    Star,
    TimeLimit,
}

pub(super) enum RingEvent {
    Elapsed,
    Caller(Option<Signal>),
    Callee(Option<Signal>),
}

impl Leg {
    pub async fn dial(&mut self, d: Dial) -> Flow {
        if !d.answer_on_bridge {
            self.ensure_answered();
        }
        let outcome = match d.target.clone() {
            Target::Number(number) => self.dial_number(&d, &number).await,
            Target::Clients(nouns) => self.dial_clients(&d, &nouns).await,
            Target::Queue { name, url } => self.dial_queue(&d, &name, url).await,
            Target::Nothing => Outcome::status("failed"),
        };
        let Some((url, method)) = d.action.clone() else {
            return outcome.caller.unwrap_or(Flow::Next);
        };
        let mut params = vec![("DialCallStatus".to_owned(), outcome.status.to_owned())];
        if let Some(child) = &outcome.child {
            params.push(("DialCallSid".to_owned(), child.clone()));
        }
        if let Some(secs) = outcome.duration {
            params.push(("DialCallDuration".to_owned(), secs.to_string()));
        }
        if let Some(q) = &outcome.queue_sid {
            params.push(("QueueSid".to_owned(), q.clone()));
        }
        match outcome.caller {
            // Twilio still requests the action of a leg that hung up; the answer goes nowhere.
            Some(Flow::Ended) => {
                let mut all = self.params();
                all.extend(params);
                let _ = self.engine.webhook(&self.sid, &url, method, &all).await;
                Flow::Ended
            }
            Some(flow) => flow,
            None => Flow::Goto(Source::Fetch {
                url,
                method,
                params,
            }),
        }
    }

    pub(super) fn caller_id(&self, d: &Dial) -> String {
        d.caller_id.clone().unwrap_or_else(|| {
            self.engine
                .state()
                .calls
                .get(&self.sid)
                .map(|c| c.from.clone())
                .unwrap_or_default()
        })
    }

    pub(super) fn child(
        &self,
        from: &str,
        to: &str,
        party: Party,
    ) -> (String, UnboundedReceiver<Signal>) {
        let sid = ids::sid("CA");
        let rx = self.engine.add_call(CallRecord::new(
            &sid,
            "outbound-dial",
            from,
            to,
            Some(&self.sid),
            party,
        ));
        (sid, rx)
    }

    pub(super) async fn ring(
        &mut self,
        dur: Duration,
        child_rx: &mut UnboundedReceiver<Signal>,
    ) -> RingEvent {
        tokio::select! {
            _ = tokio::time::sleep(dur) => RingEvent::Elapsed,
            s = self.rx.recv() => RingEvent::Caller(s),
            s = child_rx.recv() => RingEvent::Callee(s),
        }
    }

    /// A caller signal during ringing/bridging: `None` to keep going, `Some(flow)` if the caller left.
    pub(super) fn caller_signal(&mut self, s: Option<Signal>) -> Option<Flow> {
        match s {
            None => Some(self.interrupted(Interrupt::Hangup("system".into()))),
            Some(Signal::Hangup { by }) => Some(self.interrupted(Interrupt::Hangup(by))),
            Some(Signal::Redirect(s)) => Some(self.interrupted(Interrupt::Redirect(s))),
            Some(Signal::Digits { digits, inband }) => {
                self.engine
                    .event(&self.sid, "digits", digits_fields(&digits, inband));
                None
            }
            Some(_) => None,
        }
    }

    pub(super) fn bridged_outcome(
        &self,
        end: BridgeEnd,
        child: String,
        started: Instant,
        queue_sid: Option<String>,
    ) -> Outcome {
        let duration = Some(self.engine.timing.sim_secs(started.elapsed()));
        let caller = match end {
            BridgeEnd::Caller(flow) => Some(flow),
            BridgeEnd::Callee | BridgeEnd::Star | BridgeEnd::TimeLimit => None,
        };
        Outcome {
            status: "completed",
            child: Some(child),
            duration,
            queue_sid,
            caller,
        }
    }
}
