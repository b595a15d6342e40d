//! The WebRTC media of one signaling connection's outgoing calls (opt-in `webrtc` feature).

use std::collections::HashMap;

use audio::Frame;
use tokio::sync::{mpsc, watch};

use crate::engine::{Engine, Signal};
use crate::media::outside::Outside;
use crate::sdp;
use crate::webrtc::{CallState, FrameSender, MediaServer, RtcCall};

pub struct BrowserMedia {
    server: MediaServer,
    /// Media of this browser's outgoing calls, by CallSid; a call's media ends when it is closed or every
    /// sender is dropped.
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

    /// Makes the browser the party of leg `sid` in the media core (its microphone is what the party says, what
    /// the party hears goes to its speaker) and forwards its digits to the leg.
    pub fn attach(&mut self, engine: &Engine, sid: String, call: RtcCall) {
        let RtcCall {
            audio,
            digits,
            state,
            sender,
        } = call;
        forward_digits(engine.clone(), sid.clone(), digits);
        if let Some(outside) = engine.media.attach_party(&sid) {
            carry_audio(audio, sender.clone(), state.clone(), outside);
        }
        self.calls.insert(sid, (sender, state));
    }

    /// Forgets calls whose media has closed.
    pub fn prune(&mut self) {
        self.calls
            .retain(|_, (_, state)| *state.borrow() != CallState::Closed);
    }

    /// Ends the media of the call `sid`.
    pub fn end(&mut self, sid: &str) {
        if let Some((sender, _)) = self.calls.remove(sid) {
            sender.close();
        }
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

/// Copies the browser's audio into the call and what its party hears to the browser, until the media closes.
/// The media clock paces the way out (one frame per tick); a frame in that the clock has not taken yet is dropped.
fn carry_audio(
    mut audio: mpsc::Receiver<Frame>,
    sender: FrameSender,
    mut state: watch::Receiver<CallState>,
    Outside { tx, mut rx }: Outside,
) {
    tokio::spawn(async move {
        while let Some(frame) = audio.recv().await {
            if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(frame) {
                break;
            }
        }
    });
    tokio::spawn(async move {
        loop {
            tokio::select! {
                frame = rx.recv() => match frame {
                    Some(frame) => sender.send(frame),
                    None => break,
                },
                _ = state.wait_for(|s| *s == CallState::Closed) => break,
            }
        }
    });
}
