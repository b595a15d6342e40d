//! A browser's WebRTC media as its leg's party in the media core (the `webrtc` feature): what the browser's
//! microphone sends is what the party says, what the party hears goes to its speaker, and RFC 4733 digits reach
//! the leg as [`Signal::Digits`]. Used for both directions: the gateway's answer to a browser's call, and
//! [`super::ring::BrowserRing`] for calls to browsers.

use std::time::Duration;

use audio::jitter::JitterBuffer;
use audio::{FRAME_MS, Frame};
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;

use super::{Engine, Signal};
use crate::media::outside::Outside;
use crate::webrtc::{CallState, FrameSender, RtcCall};

/// Frames buffered before the browser's audio plays into the call (60 ms), and at most (200 ms).
const JITTER_TARGET: usize = 3;
const JITTER_CAPACITY: usize = 10;

impl Engine {
    /// Makes the browser of `call` the party of leg `sid`. The media lives until the leg ends (its party is
    /// put back to silence, which ends the copying tasks and so drops the last [`FrameSender`]) or the browser
    /// closes it; for a leg that is already over it is closed at once.
    pub fn attach_browser(&self, sid: &str, call: RtcCall) {
        let RtcCall {
            audio,
            digits,
            state,
            sender,
        } = call;
        let Some(outside) = self.media.attach_party(sid) else {
            return;
        };
        forward_digits(self.clone(), sid.to_owned(), digits);
        carry_audio(audio, sender, state, outside);
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

/// Copies the browser's audio into the call through a jitter buffer played out every 20 ms, and what its party
/// hears to the browser, until either side ends. The media clock paces the way out (one frame per tick).
fn carry_audio(
    mut audio: mpsc::Receiver<Frame>,
    sender: FrameSender,
    mut state: watch::Receiver<CallState>,
    Outside { tx, mut rx }: Outside,
) {
    tokio::spawn(async move {
        let mut jitter = JitterBuffer::new(JITTER_TARGET, JITTER_CAPACITY);
        let mut seq = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(FRAME_MS as u64));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = audio.recv() => match frame {
                    Some(frame) => {
                        jitter.push(seq, frame);
                        seq += 1;
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(jitter.pop()) {
                        break;
                    }
                }
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
