//! `<Dial><Number>`: a simulated phone that rings, then answers, is busy, fails or never answers.

use std::time::Instant;

use serde_json::json;

use super::{BridgeEnd, Outcome, RingEvent};
use crate::engine::leg::{Leg, end_leg};
use crate::engine::twiml::Dial;
use crate::engine::{Behaviour, Party, Signal};
use crate::media::Ringback;

impl Leg {
    pub(super) async fn dial_number(&mut self, d: &Dial, number: &str) -> Outcome {
        let caller_id = self.caller_id(d);
        let (child, mut child_rx) = self.child(&caller_id, number, Party::Phone);
        self.engine.event(
            &self.sid,
            "dial",
            json!({ "caller_id": caller_id, "number": number, "call_sid": child }),
        );
        self.engine.event(&child, "ringing", json!({}));
        self.engine.phone_voice(&child, number);
        let phone = self.engine.phone(number);
        let ringback = self.engine.media.hear(&self.sid, Box::new(Ringback::new()));
        let timeout_ms = d.timeout_s * 1000;
        let (ring_ms, result) = match phone.behaviour {
            Behaviour::Answer if phone.ring_ms <= timeout_ms => (phone.ring_ms, "in-progress"),
            Behaviour::Answer | Behaviour::NoAnswer => (timeout_ms, "no-answer"),
            Behaviour::Busy => (phone.ring_ms.min(300), "busy"),
            Behaviour::Failed => (phone.ring_ms.min(300), "failed"),
        };
        let deadline = Instant::now() + self.engine.timing.scaled(ring_ms);
        loop {
            match self
                .ring(
                    deadline.saturating_duration_since(Instant::now()),
                    &mut child_rx,
                )
                .await
            {
                RingEvent::Elapsed => break,
                RingEvent::Caller(s) => {
                    if let Some(flow) = self.caller_signal(s) {
                        end_leg(&self.engine, &child, "canceled", "caller");
                        return Outcome {
                            caller: Some(flow),
                            ..Outcome::status("canceled")
                        };
                    }
                }
                RingEvent::Callee(Some(Signal::Hangup { .. }) | None) => {
                    end_leg(&self.engine, &child, "no-answer", "callee");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("no-answer")
                    };
                }
                RingEvent::Callee(_) => {}
            }
        }
        drop(ringback);
        if result != "in-progress" {
            end_leg(&self.engine, &child, result, "callee");
            return Outcome {
                child: Some(child),
                ..Outcome::status(result)
            };
        }
        self.engine.update(&child, |c| c.set_status("in-progress"));
        self.engine.event(&child, "answered", json!({}));
        let started = Instant::now();
        let end = self.bridge(d, &child, Some(&mut child_rx)).await;
        let by = if matches!(end, BridgeEnd::Callee) {
            "callee"
        } else {
            "bridge"
        };
        end_leg(&self.engine, &child, "completed", by);
        self.bridged_outcome(end, child, started, None)
    }
}
