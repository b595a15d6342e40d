//! `<Dial><Client>…`: `invite` every registered browser of every listed identity; the first to
//! answer wins (its media becomes the dialled leg's party) and the others get `cancel` (`engine/ring.rs`).

use std::time::Instant;

use serde_json::json;

use super::{BridgeEnd, Outcome, RingEvent};
use crate::engine::leg::{Leg, end_leg};
use crate::engine::ring::BrowserRing;
use crate::engine::twiml::{ClientNoun, Dial};
use crate::engine::{ClientConn, Party, Signal};
use crate::media::Ringback;

impl Leg {
    pub(super) async fn dial_clients(&mut self, d: &Dial, nouns: &[ClientNoun]) -> Outcome {
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
        let invites = targets
            .iter()
            .map(|(conn, noun)| {
                let parameters = json!({
                    "CallSid": child,
                    "From": caller_id,
                    "To": format!("client:{}", noun.identity),
                    "AccountSid": self.engine.creds.account_sid,
                    "Params": serde_urlencoded::to_string(&noun.params).unwrap_or_default(),
                });
                (conn.clone(), parameters)
            })
            .collect();
        let mut browsers = BrowserRing::invite(&child, invites).await;
        let deadline = Instant::now() + self.engine.timing.scaled(d.timeout_s * 1000);
        let ringback = self.engine.media.hear(&self.sid, Box::new(Ringback::new()));
        let answered_by = loop {
            match self
                .ring(
                    deadline.saturating_duration_since(Instant::now()),
                    &mut child_rx,
                )
                .await
            {
                RingEvent::Elapsed => {
                    browsers.cancel(None);
                    self.engine.update(&child, |c| c.party = Party::Phone);
                    end_leg(&self.engine, &child, "no-answer", "timeout");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("no-answer")
                    };
                }
                RingEvent::Caller(s) => {
                    if let Some(flow) = self.caller_signal(s) {
                        browsers.cancel(None);
                        self.engine.update(&child, |c| c.party = Party::Phone);
                        end_leg(&self.engine, &child, "canceled", "caller");
                        return Outcome {
                            caller: Some(flow),
                            ..Outcome::status("canceled")
                        };
                    }
                }
                RingEvent::Callee(Some(Signal::Answer { conn_id, sdp })) => {
                    browsers.answered(&self.engine, conn_id, sdp.as_deref());
                    break conn_id;
                }
                RingEvent::Callee(Some(Signal::Reject { conn_id })) => {
                    browsers.cancel(Some(conn_id));
                    end_leg(&self.engine, &child, "busy", "client");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("busy")
                    };
                }
                RingEvent::Callee(Some(Signal::Hangup { .. }) | None) => {
                    browsers.cancel(None);
                    end_leg(&self.engine, &child, "busy", "client");
                    return Outcome {
                        child: Some(child),
                        ..Outcome::status("busy")
                    };
                }
                RingEvent::Callee(_) => {}
            }
        };
        drop(ringback);
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
}
