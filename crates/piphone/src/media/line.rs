//! [`Inlet`]: one stream's audio, from Twilio's numbered frames to one frame per tick of the engine's clock
//! (the sound card's capture).
//!
//! Two stages. The jitter buffer puts frames back in order and conceals the lost ones; it is read on *Twilio's*
//! clock, which the frames' own numbers give: a frame that is next in order goes on at once (Media Streams come
//! over TCP, so on a clean link this stage adds nothing), and a missing frame is waited for until
//! [`REORDER_FRAMES`] later ones have arrived (40 ms), then concealed. The stream's first frames are held until
//! that many are in, so a start out of order is put right too. What it plays goes into the drift buffer, which the
//! engine reads on *its* clock; the drift buffer steers its read speed so its fill stays near its target,
//! absorbing the two clocks' drift with a bounded delay, and its target adapts to the arrival bunching
//! (`audio::drift`, adaptive): it starts at one frame plus the interpolator's reach and a margin (≈ 24 ms), grows
//! at once to cover the deepest dip seen, and shrinks back slowly while the link is steady. Measured (`tests.rs`,
//! ±0.5 % drift for three hours in virtual time): see [`MEASURED_DELAY_MS`].

use audio::drift::DriftBuffer;
use audio::jitter::JitterBuffer;
use audio::{FRAME_MS, FRAME_SAMPLES, Frame};
use tokio::sync::mpsc;

use super::streams::StreamEvent;

/// Frames a frame may come after a later one and still be played (the reorder window).
pub const REORDER_FRAMES: u64 = 2;
/// The drift buffer's lowest target fill (samples): one frame, the rest is the buffer's own need and margin.
pub const DRIFT_MIN_TARGET: usize = FRAME_SAMPLES;
/// The highest target the drift buffer adapts to (samples, 120 ms of arrival bunching).
pub const DRIFT_MAX_TARGET: usize = 6 * FRAME_SAMPLES;
/// The drift buffer's upper bound (samples); a flood beyond it is cut back to the target.
pub const DRIFT_MAX: usize = 8 * FRAME_SAMPLES;
/// Frames the jitter buffer holds at most; a gap wider than this is jumped over.
const JITTER_CAPACITY: usize = 16;
/// Frame numbers above this are garbage (Twilio's `chunk` counts 50 a second from 1) and ignored: the jitter
/// buffer counts on from the numbers it is given.
const MAX_SEQ: u64 = u64::MAX / 4;
/// The delay range measured over a simulated three hours at ±0.5 % drift with frames arriving evenly, in ms
/// (min, max) after the first minute, as [`InletStats::delay_ms`] (held frames plus the drift buffer's fill, read
/// right after each pull; the adaptive target settled at 32 ms for +0.5 %, 36 … 44 ms for −0.5 %). The drift
/// buffer's own need (one frame, the interpolator's reach, a margin) is most of it.
pub const MEASURED_DELAY_MS: (u32, u32) = (3, 31);
/// The highest delay measured (ms) with frames arriving three at a time every 60 ms at ±0.5 % drift, ten
/// minutes (77 ms; the target grew to 52 … 69 ms).
pub const MEASURED_BURSTY_MAX_MS: u32 = 80;

/// What an [`Inlet`] has done, for meters, logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InletStats {
    /// The delay the inlet adds now: frames held for reordering plus the drift buffer's fill, in ms.
    pub delay_ms: f64,
    /// Frames that came after their turn (dropped).
    pub late: u64,
    /// Turns with no frame (concealed, then silence).
    pub lost: u64,
    /// Frames pushed twice.
    pub duplicates: u64,
    /// The drift buffer's read speed: above 1 when Twilio's clock runs fast against the engine's.
    pub drift_ratio: f64,
    /// Samples of silence played because the drift buffer ran dry.
    pub starved: u64,
    /// Samples dropped because the drift buffer overflowed.
    pub dropped: u64,
    /// The drift buffer's adaptive target now, in ms.
    pub target_ms: f64,
}

/// What a stream said besides audio since the last [`Inlet::drain`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drained {
    /// Keys the caller pressed, in order.
    pub keys: Vec<char>,
    /// Marks of ours echoed back, in order.
    pub marks: Vec<String>,
    /// The stream ended: `Some(unexpected)` (a channel closed without a `Stop` counts as unexpected).
    pub stop: Option<bool>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct Inlet {
    jitter: JitterBuffer,
    drift: DriftBuffer,
}

impl Default for Inlet {
    fn default() -> Self {
        Inlet::new()
    }
}

impl Inlet {
    /// A 40 ms reorder window and a drift buffer adapting from ≈ 24 ms.
    pub fn new() -> Inlet {
        Inlet {
            jitter: JitterBuffer::new(REORDER_FRAMES as usize, JITTER_CAPACITY),
            drift: DriftBuffer::adaptive(DRIFT_MIN_TARGET, DRIFT_MAX_TARGET, DRIFT_MAX),
        }
    }

    /// A frame from the stream, numbered by its `chunk`.
    pub fn push(&mut self, seq: u64, frame: Frame) {
        if seq > MAX_SEQ {
            return;
        }
        self.jitter.push(seq, frame);
        // In-order frames go on at once; a missing one is given up (concealed) once the reorder window has
        // passed it. A jump wider than the jitter buffer (a restarted count, a long outage) is the jitter
        // buffer's to skip.
        while self.jitter.next_ready() || self.jitter.len() >= REORDER_FRAMES as usize {
            let out = self.jitter.pop();
            self.drift.push(&out.0);
        }
    }

    /// Takes every event waiting on a link's `events` without waiting: audio into the inlet, the rest returned.
    /// Call once per engine tick, before [`Inlet::pull`].
    pub fn drain(&mut self, events: &mut mpsc::Receiver<StreamEvent>) -> Drained {
        let mut drained = Drained::default();
        loop {
            match events.try_recv() {
                Ok(StreamEvent::Media { seq, frame }) => self.push(seq, frame),
                Ok(StreamEvent::Dtmf(key)) => drained.keys.push(key),
                Ok(StreamEvent::Mark(name)) => drained.marks.push(name),
                Ok(StreamEvent::Stop { unexpected }) => drained.stop = Some(unexpected),
                Err(mpsc::error::TryRecvError::Empty) => return drained,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    drained.stop.get_or_insert(true);
                    return drained;
                }
            }
        }
    }

    /// The frame for this tick of the engine's clock; silence (or a fading repeat) when nothing is there.
    pub fn pull(&mut self) -> Frame {
        self.drift.pull_frame()
    }

    /// What the inlet has done so far.
    pub fn stats(&self) -> InletStats {
        let jitter = self.jitter.stats();
        let drift = self.drift.stats();
        let held = self.jitter.len() as f64 * f64::from(FRAME_MS);
        InletStats {
            delay_ms: held + self.drift.fill() / FRAME_SAMPLES as f64 * f64::from(FRAME_MS),
            late: jitter.late,
            lost: jitter.lost,
            duplicates: jitter.duplicates,
            drift_ratio: self.drift.ratio(),
            starved: drift.starved,
            dropped: drift.dropped,
            target_ms: self.drift.target() as f64 / FRAME_SAMPLES as f64 * f64::from(FRAME_MS),
        }
    }
}

#[cfg(test)]
mod tests;
