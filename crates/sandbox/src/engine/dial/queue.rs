//! `<Dial><Queue>`: take the front caller, play it the `<Queue url>` TwiML, bridge.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{BridgeEnd, Outcome};
use crate::engine::leg::{Leg, perform};
use crate::engine::twiml::{self, Dial, Verb};
use crate::engine::{Method, Signal, queue};

impl Leg {
    pub(super) async fn dial_queue(
        &mut self,
        d: &Dial,
        name: &str,
        url: Option<(url::Url, Method)>,
    ) -> Outcome {
        let caller_id = self.caller_id(d);
        self.engine.event(
            &self.sid,
            "dial",
            json!({ "caller_id": caller_id, "queue": name }),
        );
        let deadline = Instant::now() + self.engine.timing.scaled(d.timeout_s * 1000);
        let (member, queue_sid, queue_time) = loop {
            if let Some(found) = queue::take_front(&self.engine, name, &self.sid) {
                let dequeued = Signal::Dequeued {
                    by: self.sid.clone(),
                };
                // A caller who hung up a moment ago cannot be bridged: take the next one.
                if self.engine.signal(&found.0, dequeued) {
                    break found;
                }
                continue;
            }
            if Instant::now() >= deadline {
                return Outcome::status("no-answer");
            }
            let s = tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(50)) => continue,
                s = self.rx.recv() => s,
            };
            if let Some(flow) = self.caller_signal(s) {
                return Outcome {
                    caller: Some(flow),
                    ..Outcome::status("canceled")
                };
            }
        };
        if let Some((url, method)) = url {
            let mut params = self
                .engine
                .state()
                .calls
                .get(&member)
                .map(|c| c.base.clone())
                .unwrap_or_default();
            params.retain(|(k, _)| k != "CallStatus");
            params.push(("CallStatus".into(), "in-progress".into()));
            params.extend([
                ("QueueSid".to_owned(), queue_sid.clone()),
                ("QueueTime".to_owned(), queue_time.to_string()),
                ("DequeingCallSid".to_owned(), self.sid.clone()),
            ]);
            let (engine, member_sid) = (self.engine.clone(), member.clone());
            let announce = async move {
                let Ok(body) = engine.webhook(&member_sid, &url, method, &params).await else {
                    return;
                };
                for verb in twiml::parse(&body, &url).unwrap_or_default() {
                    if matches!(
                        verb,
                        Verb::Say { .. } | Verb::Play { .. } | Verb::Pause { .. }
                    ) {
                        perform(engine.clone(), member_sid.clone(), verb).await;
                    }
                }
            };
            if let Err(i) = self.race(announce).await {
                self.engine.signal(&member, Signal::Unbridged);
                let flow = self.interrupted(i);
                return Outcome {
                    caller: Some(flow),
                    child: Some(member),
                    queue_sid: Some(queue_sid),
                    ..Outcome::status("canceled")
                };
            }
        }
        let started = Instant::now();
        let end = self.bridge(d, &member, None).await;
        if !matches!(end, BridgeEnd::Callee) {
            self.engine.signal(&member, Signal::Unbridged);
        }
        self.bridged_outcome(end, member, started, Some(queue_sid))
    }
}
