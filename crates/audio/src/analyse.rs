//! Listening to audio: level (RMS, dBFS), the power at one frequency (Goertzel), the dominant frequency (FFT), and
//! a rolling one-second [`Meter`] — what the sandbox reports as "what each party heard" and the hybrid shows as a
//! line's level.
//!
//! All levels are dBFS per AES17 (a full-scale sine is 0 dBFS), floored at [`FLOOR_DBFS`] so digital silence is a
//! number JSON can carry.

use std::f64::consts::{SQRT_2, TAU};

use crate::frame::SAMPLE_RATE;

/// The level reported for digital silence (and the lowest level ever reported).
pub const FLOOR_DBFS: f64 = -120.0;
/// Below this level a window has no dominant frequency.
pub const DOMINANT_MIN_DBFS: f64 = -60.0;

const FULL_SCALE: f64 = i16::MAX as f64;

fn to_dbfs(power_rel: f64) -> f64 {
    if power_rel > 0.0 {
        (10.0 * power_rel.log10()).max(FLOOR_DBFS)
    } else {
        FLOOR_DBFS
    }
}

/// RMS level of `samples` in dBFS ([`FLOOR_DBFS`] for silence or an empty slice).
pub fn level_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return FLOOR_DBFS;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    let rms = (sum / samples.len() as f64).sqrt();
    to_dbfs((rms * SQRT_2 / FULL_SCALE).powi(2))
}

/// Goertzel: |X(f)|² of `samples` at `hz` (any frequency, not only a bin centre), unnormalised.
pub fn goertzel(samples: &[i16], hz: f64, rate: u32) -> f64 {
    let coeff = 2.0 * (TAU * hz / f64::from(rate)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2).max(0.0)
}

/// Power of the component at `hz` relative to a full-scale sine (1.0 = a full-scale sine at exactly `hz`).
pub fn tone_power(samples: &[i16], hz: f64, rate: u32) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let amplitude = 2.0 * goertzel(samples, hz, rate).sqrt() / samples.len() as f64;
    (amplitude / FULL_SCALE).powi(2)
}

/// Level of the component at `hz` in dBFS (8 kHz samples).
pub fn tone_dbfs(samples: &[i16], hz: f64) -> f64 {
    to_dbfs(tone_power(samples, hz, SAMPLE_RATE))
}

/// In-place iterative radix-2 FFT; `re.len()` must be a power of two.
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let angle = -TAU / len as f64;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi) = ((angle * k as f64).cos(), (angle * k as f64).sin());
                let (a, b) = (start + k, start + k + len / 2);
                let tr = re[b] * wr - im[b] * wi;
                let ti = re[b] * wi + im[b] * wr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len *= 2;
    }
}

/// The strongest frequency in `samples` (the latest power-of-two window of them, up to 8192 samples), found by a
/// Hann-windowed FFT and refined by parabolic interpolation between bins: a pure tone is reported within a fraction
/// of a hertz. `None` when the window is shorter than 256 samples or quieter than [`DOMINANT_MIN_DBFS`].
pub fn dominant_hz(samples: &[i16], rate: u32) -> Option<f64> {
    if samples.len() < 256 {
        return None;
    }
    let n = (1usize << (usize::BITS - 1 - samples.len().leading_zeros())).min(8192);
    let window = &samples[samples.len() - n..];
    if level_dbfs(window) < DOMINANT_MIN_DBFS {
        return None;
    }
    let mut re: Vec<f64> = window
        .iter()
        .enumerate()
        .map(|(i, &s)| f64::from(s) * (0.5 - 0.5 * (TAU * i as f64 / n as f64).cos()))
        .collect();
    let mut im = vec![0.0; n];
    fft(&mut re, &mut im);
    let mag = |k: usize| (re[k] * re[k] + im[k] * im[k]).sqrt().max(1e-9).ln();
    // Skip DC and its Hann leakage (the first two bins).
    let k = (2..n / 2).max_by(|&a, &b| mag(a).total_cmp(&mag(b)))?;
    let (a, b, c) = (mag(k - 1), mag(k), mag(k + 1));
    let denom = a - 2.0 * b + c;
    let delta = if denom.abs() > 1e-12 {
        0.5 * (a - c) / denom
    } else {
        0.0
    };
    Some((k as f64 + delta) * f64::from(rate) / n as f64)
}

/// A rolling meter of 8 kHz audio: level and dominant frequency over the last second, how many frames it has
/// seen, and a history of the last seconds (the sandbox's "last 30 s as a WAV").
#[derive(Clone, Debug)]
pub struct Meter {
    ring: Vec<i16>,
    pos: usize,
    filled: usize,
    frames: u64,
}

impl Default for Meter {
    /// One second of history.
    fn default() -> Self {
        Meter::with_history(1)
    }
}

impl Meter {
    /// A meter keeping the last `seconds` (at least one) of audio.
    pub fn with_history(seconds: u32) -> Meter {
        Meter {
            ring: vec![0; (seconds.max(1) * SAMPLE_RATE) as usize],
            pos: 0,
            filled: 0,
            frames: 0,
        }
    }

    /// Adds one frame (or any run of samples; each call counts as one frame/packet).
    pub fn push(&mut self, samples: &[i16]) {
        self.frames += 1;
        for &s in samples {
            self.ring[self.pos] = s;
            self.pos = (self.pos + 1) % self.ring.len();
        }
        self.filled = (self.filled + samples.len()).min(self.ring.len());
    }

    /// The latest `n` samples kept (fewer if fewer were pushed), oldest first.
    pub fn last(&self, n: usize) -> Vec<i16> {
        let n = n.min(self.filled);
        let start = (self.pos + self.ring.len() - n) % self.ring.len();
        (0..n)
            .map(|i| self.ring[(start + i) % self.ring.len()])
            .collect()
    }

    /// The whole history kept, oldest first.
    pub fn history(&self) -> Vec<i16> {
        self.last(self.filled)
    }

    /// Frames (calls to [`Meter::push`]) seen since the meter was made.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// RMS level of the last second in dBFS.
    pub fn level_dbfs(&self) -> f64 {
        level_dbfs(&self.last(SAMPLE_RATE as usize))
    }

    /// Dominant frequency of the last second, if it is loud enough.
    pub fn dominant_hz(&self) -> Option<f64> {
        dominant_hz(&self.last(SAMPLE_RATE as usize), SAMPLE_RATE)
    }
}
