//! Ringing browsers (`<Dial><Client>`, a REST call to `client:NAME`): one `invite` per registered browser, each
//! with its own SDP offer, `cancel` for the ones that did not answer, and the media of the one that did.
//!
//! With the `webrtc` feature an offer is real (str0m: PCMU + telephone-event, the host candidate of the
//! browser's media server, ICE-lite) and the browser's `answer` SDP completes it: its audio becomes the leg's
//! party in the media core (`rtc.rs`). The synthetic offer of `sdp.rs` (no media) is sent instead without the
//! feature, or when the media socket cannot be bound; a browser whose answer SDP does not fit its offer stays
//! connected without audio.

#[cfg(feature = "webrtc")]
use std::collections::HashMap;

use serde_json::{Value, json};

use super::{ClientConn, Engine};
use crate::proto::frame;
#[cfg(feature = "webrtc")]
use crate::webrtc::PendingCall;

/// The browsers leg `sid` is ringing.
pub struct BrowserRing {
    sid: String,
    conns: Vec<ClientConn>,
    /// Our offers waiting for each browser's answer, by connection.
    #[cfg(feature = "webrtc")]
    pending: HashMap<u64, PendingCall>,
}

impl BrowserRing {
    /// Sends every browser in `targets` an `invite` for leg `sid` with the `parameters` given for it
    /// (`CallSid`, `From`, `To`, `AccountSid`, `Params`).
    pub async fn invite(sid: &str, targets: Vec<(ClientConn, Value)>) -> Self {
        let mut ring = BrowserRing {
            sid: sid.to_owned(),
            conns: Vec::with_capacity(targets.len()),
            #[cfg(feature = "webrtc")]
            pending: HashMap::new(),
        };
        for (conn, parameters) in targets {
            let sdp = ring.offer(&conn).await;
            let invite = json!({ "callsid": sid, "sdp": sdp, "parameters": parameters });
            let _ = conn.tx.send(frame("invite", invite));
            ring.conns.push(conn);
        }
        ring
    }

    /// Real media when it can start, the synthetic offer otherwise.
    #[cfg(feature = "webrtc")]
    async fn offer(&mut self, conn: &ClientConn) -> String {
        match conn.media.offer().await {
            Ok((sdp, pending)) => {
                self.pending.insert(conn.conn_id, pending);
                sdp
            }
            Err(e) => {
                tracing::warn!(error = %e, call_sid = %self.sid, "sandbox: no WebRTC media for this browser");
                crate::sdp::offer()
            }
        }
    }

    #[cfg(not(feature = "webrtc"))]
    async fn offer(&mut self, _conn: &ClientConn) -> String {
        crate::sdp::offer()
    }

    /// The browser on connection `conn_id`, if this leg rang it.
    pub fn conn(&self, conn_id: u64) -> Option<&ClientConn> {
        self.conns.iter().find(|c| c.conn_id == conn_id)
    }

    /// Tells every browser rung but `except` that the call is gone.
    pub fn cancel(&self, except: Option<u64>) {
        for c in self.conns.iter().filter(|c| Some(c.conn_id) != except) {
            let _ = c.tx.send(frame("cancel", json!({ "callsid": self.sid })));
        }
    }

    /// The browser on `conn_id` answered with `sdp`: the others are cancelled, and its media (if it has any)
    /// becomes the party of leg `sid`.
    pub fn answered(&mut self, engine: &Engine, conn_id: u64, sdp: Option<&str>) {
        self.cancel(Some(conn_id));
        #[cfg(feature = "webrtc")]
        if let Some(pending) = self.pending.remove(&conn_id) {
            match pending.accept_answer(sdp.unwrap_or_default()) {
                Ok(call) => engine.attach_browser(&self.sid, call),
                Err(e) => {
                    tracing::warn!(error = %e, call_sid = %self.sid, "sandbox: browser's answer unusable, no audio")
                }
            }
        }
        #[cfg(not(feature = "webrtc"))]
        let _ = (engine, sdp);
    }
}
