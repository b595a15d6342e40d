//! The phone's sounds, synthesised at start-up as 16-bit mono PCM WAV (no audio files in git).
//!
//! The Voice SDK fetches its sounds from sdk.twilio.com unless the `sounds` option points elsewhere; the page points
//! it at `/static/sounds/<name>.wav`, served by [`crate::assets::static_routes`]. Names follow the SDK's sound keys
//! (`incoming`, `outgoing`, `disconnect`, `dtmf0`–`dtmf9`, `dtmfs` for `*`, `dtmfh` for `#`) plus `hold`, a gentle
//! ~10 s loop for callers waiting in the call-in queue.

use std::collections::HashMap;
use std::f64::consts::TAU;

/// Samples per second: telephone quality is all a phone line carries.
pub const SAMPLE_RATE: u32 = 8_000;

/// Every sound this module can make, by the name it is served under (without `.wav`).
pub const NAMES: &[&str] = &[
    "incoming",
    "outgoing",
    "disconnect",
    "dtmf0",
    "dtmf1",
    "dtmf2",
    "dtmf3",
    "dtmf4",
    "dtmf5",
    "dtmf6",
    "dtmf7",
    "dtmf8",
    "dtmf9",
    "dtmfs",
    "dtmfh",
    "hold",
];

/// All sounds, encoded once: name (without `.wav`) → WAV bytes.
pub fn all() -> HashMap<&'static str, Vec<u8>> {
    NAMES
        .iter()
        .filter_map(|&name| wav(name).map(|bytes| (name, bytes)))
        .collect()
}

/// The WAV file for one sound name, or `None` for a name this module does not know.
pub fn wav(name: &str) -> Option<Vec<u8>> {
    samples(name).map(|s| encode_wav(&s, SAMPLE_RATE))
}

fn samples(name: &str) -> Option<Vec<f64>> {
    let mut out = Vec::new();
    match name {
        // North American ring cadence: 440 + 480 Hz, 2 s on, 4 s off (the SDK loops it).
        "incoming" => {
            tone(&mut out, &[440.0, 480.0], 2.0, 0.35);
            silence(&mut out, 4.0);
        }
        // Ringback while the far end rings: a 1 s burst of the ringing tone, then a pause.
        "outgoing" => {
            tone(&mut out, &[440.0, 480.0], 1.0, 0.25);
            silence(&mut out, 0.5);
        }
        // Three falling notes.
        "disconnect" => {
            for f in [660.0, 550.0, 440.0] {
                tone(&mut out, &[f], 0.15, 0.3);
                silence(&mut out, 0.03);
            }
        }
        "hold" => hold_music(&mut out),
        _ => {
            let key = name.strip_prefix("dtmf")?;
            let (low, high) = dtmf_pair(key)?;
            tone(&mut out, &[low, high], 0.15, 0.3);
        }
    }
    Some(out)
}

/// The DTMF row and column frequencies for a key (`0`–`9`, `s` = `*`, `h` = `#`).
fn dtmf_pair(key: &str) -> Option<(f64, f64)> {
    const ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f64; 3] = [1209.0, 1336.0, 1477.0];
    let (row, col) = match key {
        "1" => (0, 0),
        "2" => (0, 1),
        "3" => (0, 2),
        "4" => (1, 0),
        "5" => (1, 1),
        "6" => (1, 2),
        "7" => (2, 0),
        "8" => (2, 1),
        "9" => (2, 2),
        "s" => (3, 0),
        "0" => (3, 1),
        "h" => (3, 2),
        _ => return None,
    };
    Some((ROWS[row], COLS[col]))
}

/// Four chords (C, Am, F, G), each arpeggiated for 2.5 s: 10 s that loop without a seam.
fn hold_music(out: &mut Vec<f64>) {
    const CHORDS: [[f64; 3]; 4] = [
        [261.63, 329.63, 392.00], // C
        [220.00, 261.63, 329.63], // Am
        [174.61, 220.00, 261.63], // F
        [196.00, 246.94, 293.66], // G
    ];
    for chord in CHORDS {
        for step in 0..8 {
            let note = chord[[0, 1, 2, 1][step % 4]] * if step >= 4 { 2.0 } else { 1.0 };
            pluck(out, note, 0.3125, 0.22);
        }
    }
}

/// A soft, decaying note (a "pluck") lasting exactly `secs`.
fn pluck(out: &mut Vec<f64>, freq: f64, secs: f64, amp: f64) {
    let n = sample_count(secs);
    let rate = f64::from(SAMPLE_RATE);
    for i in 0..n {
        let t = i as f64 / rate;
        let env = (-t * 6.0).exp() * edge_fade(i, n);
        let v = (TAU * freq * t).sin() + 0.3 * (TAU * 2.0 * freq * t).sin();
        out.push(amp * env * v / 1.3);
    }
}

/// A steady sum of sines with short fades at both ends (no clicks).
fn tone(out: &mut Vec<f64>, freqs: &[f64], secs: f64, amp: f64) {
    let n = sample_count(secs);
    let rate = f64::from(SAMPLE_RATE);
    let scale = amp / freqs.len() as f64;
    for i in 0..n {
        let t = i as f64 / rate;
        let v: f64 = freqs.iter().map(|f| (TAU * f * t).sin()).sum();
        out.push(scale * v * edge_fade(i, n));
    }
}

fn silence(out: &mut Vec<f64>, secs: f64) {
    out.extend(std::iter::repeat_n(0.0, sample_count(secs)));
}

/// Linear 5 ms fade-in and fade-out factor for sample `i` of `n`.
fn edge_fade(i: usize, n: usize) -> f64 {
    let ramp = sample_count(0.005).max(1) as f64;
    let from_edge = i.min(n.saturating_sub(i + 1)) as f64;
    (from_edge / ramp).min(1.0)
}

fn sample_count(secs: f64) -> usize {
    (secs * f64::from(SAMPLE_RATE)).round() as usize
}

/// Encode samples in `-1.0..=1.0` as a canonical 44-byte-header RIFF/WAVE file, 16-bit mono PCM.
pub fn encode_wav(samples: &[f64], sample_rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).expect("sound shorter than 4 GiB");
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        let v = (s.clamp(-1.0, 1.0) * f64::from(i16::MAX)).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }
    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }
    fn duration_secs(b: &[u8]) -> f64 {
        f64::from(u32_at(b, 40)) / 2.0 / f64::from(SAMPLE_RATE)
    }

    #[test]
    fn every_sound_is_a_well_formed_pcm_wav() {
        for &name in NAMES {
            let b = wav(name).unwrap_or_else(|| panic!("{name}: no sound"));
            assert_eq!(&b[0..4], b"RIFF", "{name}");
            assert_eq!(u32_at(&b, 4) as usize, b.len() - 8, "{name}: RIFF size");
            assert_eq!(&b[8..16], b"WAVEfmt ", "{name}");
            assert_eq!(u32_at(&b, 16), 16, "{name}: fmt size");
            assert_eq!(u16_at(&b, 20), 1, "{name}: PCM");
            assert_eq!(u16_at(&b, 22), 1, "{name}: mono");
            assert_eq!(u32_at(&b, 24), SAMPLE_RATE, "{name}: rate");
            assert_eq!(u16_at(&b, 34), 16, "{name}: bits");
            assert_eq!(&b[36..40], b"data", "{name}");
            assert_eq!(u32_at(&b, 40) as usize, b.len() - 44, "{name}: data size");
            assert!(b.len() > 44 + 100, "{name}: has audio");
        }
    }

    #[test]
    fn sounds_have_the_expected_lengths() {
        let cases = [
            ("incoming", 5.5, 6.5),
            ("outgoing", 1.0, 2.5),
            ("disconnect", 0.3, 1.0),
            ("dtmf5", 0.1, 0.3),
            ("dtmfh", 0.1, 0.3),
            ("hold", 9.5, 10.5),
        ];
        for (name, min, max) in cases {
            let secs = duration_secs(&wav(name).unwrap());
            assert!(
                (min..=max).contains(&secs),
                "{name}: {secs} s not in {min}..={max}"
            );
        }
    }

    #[test]
    fn unknown_names_have_no_sound() {
        for name in ["", "dtmf", "dtmfx", "dtmf10", "ring", "../hold"] {
            assert!(wav(name).is_none(), "{name:?} should not exist");
        }
    }

    #[test]
    fn tones_start_and_end_silent_and_never_clip() {
        for &name in NAMES {
            let s = samples(name).unwrap();
            assert!(
                s.first().unwrap().abs() < 1e-9,
                "{name}: starts with a click"
            );
            assert!(s.last().unwrap().abs() < 0.01, "{name}: ends with a click");
            assert!(s.iter().all(|v| v.abs() <= 1.0), "{name}: clips");
        }
    }

    #[test]
    fn dtmf_keys_use_the_standard_frequency_pairs() {
        assert_eq!(dtmf_pair("1"), Some((697.0, 1209.0)));
        assert_eq!(dtmf_pair("0"), Some((941.0, 1336.0)));
        assert_eq!(dtmf_pair("s"), Some((941.0, 1209.0)));
        assert_eq!(dtmf_pair("h"), Some((941.0, 1477.0)));
    }
}
