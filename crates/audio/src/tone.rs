//! Tones: a phase-continuous sine generator, DTMF digits with on/off timing, silence.

use std::collections::VecDeque;
use std::f64::consts::TAU;

use crate::frame::{Frame, SAMPLE_RATE};

/// Peak amplitude of a sine at `dbfs` (AES17: a full-scale sine is 0 dBFS).
pub fn amplitude(dbfs: f64) -> f64 {
    f64::from(i16::MAX) * 10f64.powf(dbfs / 20.0)
}

/// A sine that continues where it left off from one call to the next, so frames join without clicks.
#[derive(Clone, Debug)]
pub struct Sine {
    step: f64,
    phase: f64,
    amplitude: f64,
}

impl Sine {
    /// A sine of `hz` at `dbfs` (0 dBFS = full scale), sampled at 8 kHz.
    pub fn new(hz: f64, dbfs: f64) -> Sine {
        Sine::at_rate(hz, dbfs, SAMPLE_RATE)
    }

    /// A sine sampled at another rate (for WAV files at 16/44.1/48 kHz).
    pub fn at_rate(hz: f64, dbfs: f64, rate: u32) -> Sine {
        Sine {
            step: hz / f64::from(rate),
            phase: 0.0,
            amplitude: amplitude(dbfs),
        }
    }

    /// The next sample as a float (not rounded), for summing several tones.
    pub fn next_f64(&mut self) -> f64 {
        let v = self.amplitude * (TAU * self.phase).sin();
        self.phase = (self.phase + self.step).fract();
        v
    }

    /// Fills `out` with the next samples.
    pub fn fill(&mut self, out: &mut [i16]) {
        for s in out {
            *s = self.next_f64().round() as i16;
        }
    }

    /// The next `n` samples.
    pub fn take(&mut self, n: usize) -> Vec<i16> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }

    /// The next 20 ms.
    pub fn frame(&mut self) -> Frame {
        let mut f = Frame::SILENCE;
        self.fill(&mut f.0);
        f
    }
}

/// `n` samples of silence.
pub fn silence(n: usize) -> Vec<i16> {
    vec![0; n]
}

/// Samples in `ms` milliseconds at 8 kHz.
pub const fn ms_to_samples(ms: u32) -> usize {
    (ms * SAMPLE_RATE / 1000) as usize
}

/// The standard DTMF pair (row Hz, column Hz) of a key: `0`–`9`, `*`, `#`, `A`–`D` (case-insensitive).
pub fn dtmf_pair(key: char) -> Option<(f64, f64)> {
    let key = key.to_ascii_uppercase();
    DTMF_KEYS.iter().enumerate().find_map(|(r, row)| {
        let c = row.iter().position(|&k| k == key)?;
        Some((DTMF_ROWS[r], DTMF_COLS[c]))
    })
}

/// The low group (rows) of the DTMF keypad, Hz.
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// The high group (columns) of the DTMF keypad, Hz.
pub const DTMF_COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// The keys, row by row, in the order of [`DTMF_ROWS`] × [`DTMF_COLS`].
pub const DTMF_KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// How DTMF digits are sent: tone and gap lengths, and the level of each of the two tones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DtmfTiming {
    pub on_ms: u32,
    pub off_ms: u32,
    pub level_dbfs: f64,
}

impl Default for DtmfTiming {
    /// 100 ms tone, 100 ms gap, each tone at −10 dBFS (the pair peaks at −4 dBFS): twice the ~40–50 ms minimum
    /// receivers must accept, and well inside their level and twist limits.
    fn default() -> Self {
        DtmfTiming {
            on_ms: 100,
            off_ms: 100,
            level_dbfs: -10.0,
        }
    }
}

/// Sends DTMF digits as in-band audio, one frame at a time: queue digits with [`DtmfSender::push`], and take a
/// frame every 20 ms with [`DtmfSender::next_frame`] (silence when nothing is queued).
#[derive(Debug)]
pub struct DtmfSender {
    timing: DtmfTiming,
    queue: VecDeque<char>,
    current: Option<(Sine, Sine)>,
    /// Samples left of the current tone, then of its gap.
    on_left: usize,
    off_left: usize,
}

impl DtmfSender {
    pub fn new(timing: DtmfTiming) -> DtmfSender {
        DtmfSender {
            timing,
            queue: VecDeque::new(),
            current: None,
            on_left: 0,
            off_left: 0,
        }
    }

    /// Queues digits; characters that are not DTMF keys are refused (returned as `Err` with the first of them) and
    /// nothing is queued.
    pub fn push(&mut self, digits: &str) -> Result<(), char> {
        if let Some(bad) = digits.chars().find(|&c| dtmf_pair(c).is_none()) {
            return Err(bad);
        }
        self.queue.extend(digits.chars());
        Ok(())
    }

    /// True when no digit is playing or queued.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.on_left == 0 && self.off_left == 0
    }

    /// The next sample.
    pub fn next_sample(&mut self) -> i16 {
        if self.on_left == 0 && self.off_left == 0 {
            let Some((row, col)) = self.queue.pop_front().and_then(dtmf_pair) else {
                return 0;
            };
            let level = self.timing.level_dbfs;
            self.current = Some((Sine::new(row, level), Sine::new(col, level)));
            self.on_left = ms_to_samples(self.timing.on_ms);
            self.off_left = ms_to_samples(self.timing.off_ms);
        }
        if self.on_left > 0 {
            self.on_left -= 1;
            let (a, b) = self.current.as_mut().expect("a digit is playing");
            (a.next_f64() + b.next_f64()).round() as i16
        } else {
            self.off_left -= 1;
            0
        }
    }

    /// The next 20 ms: the digits being played, or silence.
    pub fn next_frame(&mut self) -> Frame {
        let mut f = Frame::SILENCE;
        for s in &mut f.0 {
            *s = self.next_sample();
        }
        f
    }
}

/// The samples of `digits` sent with `timing` (tone, gap, tone, gap…), for tests and files.
pub fn dtmf_samples(digits: &str, timing: DtmfTiming) -> Result<Vec<i16>, char> {
    let mut sender = DtmfSender::new(timing);
    sender.push(digits)?;
    let mut out = Vec::new();
    while !sender.is_idle() {
        out.push(sender.next_sample());
    }
    Ok(out)
}
