//! Holding a bridge between the dialling leg and the leg it reached until one side leaves.

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;

use super::BridgeEnd;
use crate::engine::Signal;
use crate::engine::leg::Leg;
use crate::engine::sound::digits_fields;
use crate::engine::twiml::Dial;

impl Leg {
    /// Holds the bridge between this leg and `peer` until one side leaves.
    pub(super) async fn bridge(
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
        self.engine.media.bridge(&self.sid, peer);
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
                Ev::Mine(Some(Signal::Digits { digits, inband })) => {
                    self.engine
                        .event(&self.sid, "digits", digits_fields(&digits, inband));
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
                Ev::Peer(Some(Signal::Digits { digits, inband })) => {
                    self.engine
                        .event(peer, "digits", digits_fields(&digits, inband))
                }
                Ev::Peer(Some(_)) => {}
            }
        };
        self.engine.media.unbridge(&self.sid, peer);
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
