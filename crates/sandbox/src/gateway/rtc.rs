//! The WebRTC media of one signaling connection's outgoing calls (opt-in `webrtc` feature).

use std::collections::HashMap;

use tokio::sync::{mpsc, watch};

use crate::engine::{Engine, Signal};
use crate::sdp;
use crate::webrtc::{CallState, FrameSender, MediaServer, RtcCall};

pub struct BrowserMedia {
    server: MediaServer,
    /// Media of this browser's outgoing calls, by CallSid; a call's media ends when its sender is dropped.
    // TODO(issue 13, media core): attach each to its leg's party (`media::Media::attach_party`: `audio` → the
    // outside's `tx`, its `rx` → `sender`); until then the browser's peer connection carries only DTMF.
    calls: HashMap<String, (FrameSender, watch::Receiver<CallState>)>,
}

impl BrowserMedia {
    pub fn new(server: MediaServer) -> BrowserMedia {
        BrowserMedia {
            server,
            calls: HashMap::new(),
        }
    }

    /// The SDP answer to a browser's offer: real media, or the synthetic answer should that fail.
    pub async fn answer(&self, offer: &str) -> (String, Option<RtcCall>) {
        match self.server.answer(offer).await {
            Ok((answer, call)) => (answer, Some(call)),
            Err(e) => {
                tracing::warn!(error = %e, "sandbox: no WebRTC media for this call, answering without");
                (sdp::answer(offer), None)
            }
        }
    }

    /// Keeps the call's media alive for the leg `sid` and forwards its digits to the leg.
    pub fn attach(&mut self, engine: &Engine, sid: String, call: RtcCall) {
        let RtcCall {
            digits,
            state,
            sender,
            ..
        } = call;
        forward_digits(engine.clone(), sid.clone(), digits);
        self.calls.insert(sid, (sender, state));
    }

    /// Forgets calls whose media has closed.
    pub fn prune(&mut self) {
        self.calls
            .retain(|_, (_, state)| *state.borrow() != CallState::Closed);
    }

    /// Ends the media of the call `sid`.
    pub fn end(&mut self, sid: &str) {
        self.calls.remove(sid);
    }
}

/// Hands the browser's RFC 4733 digits to its leg one by one (the SDK sends `sendDigits` this way once
/// telephone-event is negotiated; the signaling `dtmf` frame is its fallback). Ends with the call's media.
fn forward_digits(engine: Engine, sid: String, mut digits: mpsc::UnboundedReceiver<char>) {
    tokio::spawn(async move {
        while let Some(digit) = digits.recv().await {
            engine.signal(
                &sid,
                Signal::Digits {
                    digits: digit.to_string(),
                    inband: false,
                },
            );
        }
    });
}
