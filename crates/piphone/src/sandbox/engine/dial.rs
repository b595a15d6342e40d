//! `<Dial>`: ring a simulated phone, a registered browser or the front of a queue, bridge, and
//! continue at the Dial's `action` with `DialCallStatus`, `DialCallSid`, `DialCallDuration`.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

use super::leg::{Flow, Leg, end_leg, perform};
use super::twiml::{self, ClientNoun, Dial, Target, Verb};
use super::{Behaviour, CallRecord, ClientConn, Method, Party, Signal, Source, queue};
use crate::sandbox::gateway::frame;
use crate::sandbox::{ids, sdp};

/// How a Dial ended.
struct Outcome {
    status: &'static str,
    child: Option<String>,
    duration: Option<u64>,
    queue_sid: Option<String>,
    /// The calling leg itself is gone (hung up) or was redirected away.
    caller: Option<Flow>,
}

impl Outcome {
    fn status(status: &'static str) -> Outcome {
        Outcome {
            status,
            child: None,
            duration: None,
            queue_sid: None,
            caller: None,
        }
    }
}

enum BridgeEnd {
    Caller(Flow),
    Callee,
    Star,
    TimeLimit,
}

enum RingEvent {
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

    fn caller_id(&self, d: &Dial) -> String {
        d.caller_id.clone().unwrap_or_else(|| {
            self.engine
                .state()
                .calls
                .get(&self.sid)
                .map(|c| c.from.clone())
                .unwrap_or_default()
        })
    }

    fn child(&self, from: &str, to: &str, party: Party) -> (String, UnboundedReceiver<Signal>) {
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

    async fn ring(&mut self, dur: Duration, child_rx: &mut UnboundedReceiver<Signal>) -> RingEvent {
        tokio::select! {
            _ = tokio::time::sleep(dur) => RingEvent::Elapsed,
            s = self.rx.recv() => RingEvent::Caller(s),
            s = child_rx.recv() => RingEvent::Callee(s),
        }
    }

    /// A caller signal during ringing/bridging: `None` to keep going, `Some(flow)` if the caller left.
    fn caller_signal(&mut self, s: Option<Signal>) -> Option<Flow> {
        match s {
            None => Some(self.interrupted(super::leg::Interrupt::Hangup("system".into()))),
            Some(Signal::Hangup { by }) => {
                Some(self.interrupted(super::leg::Interrupt::Hangup(by)))
            }
            Some(Signal::Redirect(s)) => Some(self.interrupted(super::leg::Interrupt::Redirect(s))),
            Some(Signal::Digits(d)) => {
                self.engine
                    .event(&self.sid, "digits", json!({ "digits": d }));
                None
            }
            Some(_) => None,
        }
    }

    async fn dial_number(&mut self, d: &Dial, number: &str) -> Outcome {
        let caller_id = self.caller_id(d);
        let (child, mut child_rx) = self.child(&caller_id, number, Party::Phone);
        self.engine.event(
            &self.sid,
            "dial",
            json!({ "caller_id": caller_id, "number": number, "call_sid": child }),
        );
        self.engine.event(&child, "ringing", json!({}));
        let phone = self.engine.phone(number);
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

    async fn dial_clients(&mut self, d: &Dial, nouns: &[ClientNoun]) -> Outcome {
        let caller_id = self.caller_id(d);
        let names: Vec<&str> = nouns.iter().map(|n| n.identity.as_str()).collect();
        self.engine.event(
            &self.sid,
            "dial",
            json!({ "caller_id": caller_id, "client": names.join(",") }),
        );
        // Every registered browser of every identity, with the noun that reaches it.
        let targets: Vec<(ClientConn, &ClientNoun)> = {
            let st = self.engine.state();
            nouns
                .iter()
                .flat_map(|n| {
                    st.clients
                        .get(&n.identity)
                        .into_iter()
                        .flatten()
                        .map(move |c| (c.clone(), n))
                })
                .collect()
        };
        let Some((first, first_noun)) = targets.first().cloned() else {
            return Outcome::status("no-answer");
        };
        let party = Party::Browser {
            conn_id: first.conn_id,
            tx: first.tx.clone(),
            answer_sdp: None,
        };
        let to = format!("client:{}", first_noun.identity);
        let (child, mut child_rx) = self.child(&caller_id, &to, party);
        self.engine.event(&child, "ringing", json!({}));
        let offer = sdp::offer();
        for (conn, noun) in &targets {
            let invite = frame(
                "invite",
                json!({
                    "callsid": child,
                    "sdp": offer,
                    "parameters": {
                        "CallSid": child,
                        "From": caller_id,
                        "To": format!("client:{}", noun.identity),
                        "AccountSid": self.engine.creds.account_sid,
                        "Params": serde_urlencoded::to_string(&noun.params).unwrap_or_default(),
                    },
                }),
            );
            let _ = conn.tx.send(invite);
        }
        let cancel_all = |except: Option<u64>| {
            for (c, _) in targets.iter().filter(|(c, _)| Some(c.conn_id) != except) {
                let _ = c.tx.send(frame("cancel", json!({ "callsid": child })));
            }
        };
        let deadline = Instant::now() + self.engine.timing.scaled(d.timeout_s * 1000);
        let answered_by = loop {
            match self
                .ring(
                    deadline.saturating_duration_since(Instant::now()),
                    &mut child_rx,
                )
                .await
            {
                RingEvent::Elapsed => {
                    cancel_all(None);
                    self.engine.update(&child, |c| c.party = Party::Phone);
                    end_leg(&self.engine, &child, "no-answer", "timeout");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("no-answer")
                    };
                }
                RingEvent::Caller(s) => {
                    if let Some(flow) = self.caller_signal(s) {
                        cancel_all(None);
                        self.engine.update(&child, |c| c.party = Party::Phone);
                        end_leg(&self.engine, &child, "canceled", "caller");
                        return Outcome {
                            caller: Some(flow),
                            ..Outcome::status("canceled")
                        };
                    }
                }
                RingEvent::Callee(Some(Signal::Answer { conn_id })) => break conn_id,
                RingEvent::Callee(Some(Signal::Reject { conn_id })) => {
                    cancel_all(Some(conn_id));
                    end_leg(&self.engine, &child, "busy", "client");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("busy")
                    };
                }
                RingEvent::Callee(Some(Signal::Hangup { .. }) | None) => {
                    cancel_all(None);
                    end_leg(&self.engine, &child, "busy", "client");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("busy")
                    };
                }
                RingEvent::Callee(_) => {}
            }
        };
        cancel_all(Some(answered_by));
        if let Some((c, noun)) = targets.iter().find(|(c, _)| c.conn_id == answered_by) {
            let (tx, to) = (c.tx.clone(), format!("client:{}", noun.identity));
            self.engine.update(&child, |rec| {
                rec.to = to;
                rec.party = Party::Browser {
                    conn_id: answered_by,
                    tx,
                    answer_sdp: None,
                }
            });
        }
        self.engine.update(&child, |c| c.set_status("in-progress"));
        self.engine.event(&child, "answered", json!({}));
        let started = Instant::now();
        let end = self.bridge(d, &child, Some(&mut child_rx)).await;
        let by = if matches!(end, BridgeEnd::Callee) {
            "client"
        } else {
            "bridge"
        };
        end_leg(&self.engine, &child, "completed", by);
        self.bridged_outcome(end, child, started, None)
    }

    async fn dial_queue(
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
                break found;
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
        self.engine.signal(
            &member,
            Signal::Dequeued {
                by: self.sid.clone(),
            },
        );
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
                self.engine.signal(
                    &member,
                    Signal::Unbridged {
                        by: self.sid.clone(),
                    },
                );
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
            self.engine.signal(
                &member,
                Signal::Unbridged {
                    by: self.sid.clone(),
                },
            );
        }
        self.bridged_outcome(end, member, started, Some(queue_sid))
    }

    fn bridged_outcome(
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

    /// Holds the bridge between this leg and `peer` until one side leaves.
    async fn bridge(
        &mut self,
        d: &Dial,
        peer: &str,
        mut child_rx: Option<&mut UnboundedReceiver<Signal>>,
    ) -> BridgeEnd {
        if d.answer_on_bridge {
            self.ensure_answered();
        }
        self.engine
            .update(&self.sid, |c| c.bridged_with = Some(peer.to_owned()));
        self.engine
            .update(peer, |c| c.bridged_with = Some(self.sid.clone()));
        self.engine
            .event(&self.sid, "bridged", json!({ "with": peer }));
        self.engine
            .event(peer, "bridged", json!({ "with": self.sid }));
        let limit = d.time_limit_s.map_or(Duration::from_secs(86_400), |s| {
            self.engine.timing.scaled(s * 1000)
        });
        let sleep = tokio::time::sleep(limit);
        tokio::pin!(sleep);
        let end = loop {
            enum Ev {
                Mine(Option<Signal>),
                Peer(Option<Signal>),
                Limit,
            }
            let ev = tokio::select! {
                s = self.rx.recv() => Ev::Mine(s),
                s = recv_opt(&mut child_rx) => Ev::Peer(s),
                _ = &mut sleep => Ev::Limit,
            };
            match ev {
                Ev::Limit => break BridgeEnd::TimeLimit,
                Ev::Mine(Some(Signal::PeerHangup { sid })) if sid == peer => {
                    break BridgeEnd::Callee;
                }
                Ev::Mine(Some(Signal::Digits(digits))) => {
                    self.engine
                        .event(&self.sid, "digits", json!({ "digits": digits }));
                    if d.hangup_on_star && digits.contains('*') {
                        break BridgeEnd::Star;
                    }
                }
                Ev::Mine(s) => {
                    if let Some(flow) = self.caller_signal(s) {
                        break BridgeEnd::Caller(flow);
                    }
                }
                Ev::Peer(None | Some(Signal::Hangup { .. })) => break BridgeEnd::Callee,
                Ev::Peer(Some(Signal::Digits(digits))) => {
                    self.engine
                        .event(peer, "digits", json!({ "digits": digits }))
                }
                Ev::Peer(Some(_)) => {}
            }
        };
        self.engine.update(&self.sid, |c| c.bridged_with = None);
        self.engine.update(peer, |c| c.bridged_with = None);
        self.engine
            .event(&self.sid, "unbridged", json!({ "with": peer }));
        self.engine
            .event(peer, "unbridged", json!({ "with": self.sid }));
        end
    }
}

async fn recv_opt(rx: &mut Option<&mut UnboundedReceiver<Signal>>) -> Option<Signal> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
