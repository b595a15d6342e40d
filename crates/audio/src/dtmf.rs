//! In-band DTMF detection, as a telephone exchange hears digits in the audio of a call.
//!
//! The detector slides a 20 ms window (160 samples) along the stream in 10 ms hops and runs eight Goertzel filters
//! (the four row and four column frequencies) on each window. A window holds a digit when all of these hold:
//!
//! - each of the strongest row and column tones is at least [`MIN_TONE_DBFS`];
//! - twist (row level − column level) within ±[`MAX_TWIST_DB`];
//! - each wins its group by at least [`MIN_RELATIVE_PEAK_DB`] over the other three frequencies;
//! - the two tones carry at least [`MIN_TONE_SHARE`] of the window's energy (speech and music spread theirs).
//!
//! A digit is reported once it holds in [`MIN_HITS`] consecutive windows and not again until [`RELEASE_MISSES`]
//! consecutive windows lack it, so one press is one digit however long it is held. Measured (`tests/it/dtmf.rs`,
//! at every alignment to the hops): tones of 45 ms are always found, 25 ms blips never; 40 ms gaps separate
//! repeated digits; each tone down to −34 dBFS is heard, −40 dBFS is not; a twist of 6 dB passes, 12 dB does not;
//! not one window of espeak-ng speech (five voices) passes the checks.

use crate::analyse::tone_power;
use crate::frame::{FRAME_SAMPLES, SAMPLE_RATE};
use crate::g711;
use crate::tone::{DTMF_COLS, DTMF_KEYS, DTMF_ROWS};

/// Window length in samples (20 ms: 50 Hz resolution, enough to split rows 73 Hz apart).
pub const WINDOW: usize = FRAME_SAMPLES;
/// Hop between windows in samples (10 ms).
pub const HOP: usize = WINDOW / 2;
/// Weakest tone accepted, dBFS (each of the pair).
pub const MIN_TONE_DBFS: f64 = -36.0;
/// Largest accepted level difference between the row and the column tone, dB.
pub const MAX_TWIST_DB: f64 = 8.0;
/// How far each tone must stand above the other frequencies of its group, dB.
pub const MIN_RELATIVE_PEAK_DB: f64 = 6.0;
/// Share of the window's energy the two tones must carry.
pub const MIN_TONE_SHARE: f64 = 0.7;
/// Consecutive windows holding a digit before it is reported.
pub const MIN_HITS: u32 = 3;
/// Consecutive windows without the digit before the key counts as released.
pub const RELEASE_MISSES: u32 = 2;

/// The digit one window holds, if any (see the module documentation for the checks).
pub fn classify(window: &[i16]) -> Option<char> {
    let power = |hz: f64| tone_power(window, hz, SAMPLE_RATE);
    let rows = DTMF_ROWS.map(power);
    let cols = DTMF_COLS.map(power);
    let (r, row) = strongest(&rows)?;
    let (c, col) = strongest(&cols)?;
    let db = |p: f64| 10.0 * p.max(1e-30).log10();
    if db(row) < MIN_TONE_DBFS || db(col) < MIN_TONE_DBFS {
        return None;
    }
    if (db(row) - db(col)).abs() > MAX_TWIST_DB {
        return None;
    }
    let peak = MIN_RELATIVE_PEAK_DB;
    let stands_out = |group: &[f64; 4], best: usize| {
        (0..4).all(|i| i == best || db(group[best]) - db(group[i]) >= peak)
    };
    if !stands_out(&rows, r) || !stands_out(&cols, c) {
        return None;
    }
    // Mean square of the window relative to a full-scale sine, comparable with `tone_power`.
    let full = f64::from(i16::MAX).powi(2) / 2.0;
    let total =
        window.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / window.len() as f64 / full;
    if row + col < MIN_TONE_SHARE * total {
        return None;
    }
    Some(DTMF_KEYS[r][c])
}

fn strongest(group: &[f64; 4]) -> Option<(usize, f64)> {
    group
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// A streaming DTMF detector: feed it audio in any chunk sizes, get each press once.
#[derive(Clone, Debug, Default)]
pub struct DtmfDetector {
    pending: Vec<i16>,
    candidate: Option<char>,
    hits: u32,
    held: Option<char>,
    misses: u32,
}

impl DtmfDetector {
    pub fn new() -> DtmfDetector {
        DtmfDetector::default()
    }

    /// Feeds linear samples; returns the digits whose press was recognised in them.
    pub fn push(&mut self, samples: &[i16]) -> Vec<char> {
        self.pending.extend_from_slice(samples);
        let mut digits = Vec::new();
        let mut start = 0;
        while self.pending.len() - start >= WINDOW {
            let verdict = classify(&self.pending[start..start + WINDOW]);
            digits.extend(self.step(verdict));
            start += HOP;
        }
        self.pending.drain(..start);
        digits
    }

    /// Feeds μ-law bytes (a PCMU payload or a Media Streams `media` payload).
    pub fn push_ulaw(&mut self, bytes: &[u8]) -> Vec<char> {
        self.push(&g711::decode_ulaw(bytes))
    }

    fn step(&mut self, verdict: Option<char>) -> Option<char> {
        if verdict.is_some() && verdict == self.held {
            self.misses = 0;
        } else {
            self.misses += 1;
            if self.misses >= RELEASE_MISSES {
                self.held = None;
            }
        }
        if verdict.is_some() && verdict == self.candidate {
            self.hits += 1;
        } else {
            self.candidate = verdict;
            self.hits = u32::from(verdict.is_some());
        }
        if self.hits >= MIN_HITS && self.held.is_none() {
            self.held = self.candidate;
            self.misses = 0;
            return self.held;
        }
        None
    }
}

/// All digits in a whole recording.
pub fn detect(samples: &[i16]) -> String {
    DtmfDetector::new().push(samples).into_iter().collect()
}
