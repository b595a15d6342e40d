//! A jitter buffer for 20 ms frames arriving over a network (RTP, Twilio Media Streams) and played out by a clock.
//!
//! Frames carry a sequence number (extend a wrapping 16-bit RTP counter to `u64` before pushing; Media Streams'
//! `sequenceNumber` already grows). Out-of-order frames are put back in order, duplicates and frames that arrive
//! after their turn are dropped, and the buffer never holds more than its capacity (the oldest frame goes).
//! [`JitterBuffer::pop`] is called once per 20 ms tick and always returns a frame:
//!
//! - at the start, and after running dry, it waits until `target` frames are buffered (playing silence), so the
//!   delay it adds is `target` frames, at most `capacity`;
//! - a missing frame with later ones waiting is lost: it is concealed by repeating the last frame, fading out over
//!   [`CONCEAL_FRAMES`] frames, then silence;
//! - running dry is concealed the same way.

use std::collections::BTreeMap;

use crate::frame::{FRAME_SAMPLES, Frame};

/// Frames over which a repeated frame fades to silence (60 ms).
pub const CONCEAL_FRAMES: u32 = 3;

/// What the buffer has done, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitterStats {
    /// Frames pushed (including those then dropped).
    pub received: u64,
    /// Real frames played.
    pub played: u64,
    /// Frames pushed twice.
    pub duplicates: u64,
    /// Frames pushed after their turn had passed.
    pub late: u64,
    /// Frames dropped because the buffer was full.
    pub overflow: u64,
    /// Turns of missing frames (concealed or silent) while playing.
    pub lost: u64,
    /// Times the buffer ran dry while playing and had to refill.
    pub underruns: u64,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct JitterBuffer {
    frames: BTreeMap<u64, Frame>,
    target: usize,
    capacity: usize,
    /// The sequence number to play next; `None` until the first frame is played.
    next: Option<u64>,
    buffering: bool,
    last: Frame,
    concealed: u32,
    stats: JitterStats,
}

impl JitterBuffer {
    /// A buffer that starts playing once `target` frames are in and holds at most `capacity` (≥ `target`, ≥ 1).
    pub fn new(target: usize, capacity: usize) -> JitterBuffer {
        let target = target.max(1);
        JitterBuffer {
            frames: BTreeMap::new(),
            target,
            capacity: capacity.max(target),
            next: None,
            buffering: true,
            last: Frame::SILENCE,
            concealed: CONCEAL_FRAMES,
            stats: JitterStats::default(),
        }
    }

    /// Adds a frame that arrived from the network.
    pub fn push(&mut self, seq: u64, frame: Frame) {
        self.stats.received += 1;
        if self.next.is_some_and(|next| seq < next) {
            self.stats.late += 1;
            return;
        }
        if self.frames.insert(seq, frame).is_some() {
            self.stats.duplicates += 1;
            return;
        }
        if self.frames.len() > self.capacity {
            self.frames.pop_first();
            self.stats.overflow += 1;
            // Play on from the oldest frame kept: dropping is how a full buffer sheds delay.
            if let (Some(next), Some((&first, _))) = (self.next, self.frames.first_key_value()) {
                self.next = Some(next.max(first));
            }
        }
    }

    /// The frame for this 20 ms tick.
    pub fn pop(&mut self) -> Frame {
        if self.buffering {
            if self.frames.len() < self.target {
                return self.conceal();
            }
            self.buffering = false;
            self.next = self.frames.keys().next().copied();
        }
        let next = self.next.expect("set when playing starts");
        match self.frames.first_key_value().map(|(&seq, _)| seq) {
            None => {
                self.stats.underruns += 1;
                self.stats.lost += 1;
                self.buffering = true;
                self.conceal()
            }
            Some(seq) if seq == next => {
                let frame = self.frames.remove(&seq).expect("present");
                self.next = Some(next + 1);
                self.stats.played += 1;
                self.last = frame;
                self.concealed = 0;
                frame
            }
            Some(seq) => {
                // `next` is missing but later frames are here: it is lost. A gap wider than the buffer (the sender
                // restarted its count, or a long outage) is jumped over at once.
                self.stats.lost += 1;
                let skip = seq - next;
                self.next = Some(if skip as usize > self.capacity {
                    seq
                } else {
                    next + 1
                });
                self.conceal()
            }
        }
    }

    /// The last frame again, fading out over [`CONCEAL_FRAMES`] turns, then silence.
    fn conceal(&mut self) -> Frame {
        if self.concealed >= CONCEAL_FRAMES {
            return Frame::SILENCE;
        }
        let start = 1.0 - self.concealed as f32 / CONCEAL_FRAMES as f32;
        let step = 1.0 / (CONCEAL_FRAMES as f32 * FRAME_SAMPLES as f32);
        self.concealed += 1;
        let mut out = self.last;
        for (i, s) in out.0.iter_mut().enumerate() {
            *s = (f32::from(*s) * (start - step * i as f32)).round() as i16;
        }
        out
    }

    /// True when [`JitterBuffer::pop`] would play a frame that arrived (the next in order, or the first once
    /// `target` frames are in), rather than conceal a missing one: a reader on the sender's clock pops while this
    /// holds and adds no delay on an in-order link.
    pub fn next_ready(&self) -> bool {
        if self.buffering {
            return self.frames.len() >= self.target;
        }
        self.next
            .zip(self.frames.first_key_value())
            .is_some_and(|(next, (&seq, _))| seq == next)
    }

    /// Frames waiting to be played.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True when no frame is waiting.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// What the buffer has done so far.
    pub fn stats(&self) -> JitterStats {
        self.stats
    }
}
