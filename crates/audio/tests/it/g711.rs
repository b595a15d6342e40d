//! G.711 against sox, the reference encoder/decoder: every 16-bit input, every byte.

use audio::g711::{alaw_to_linear, linear_to_alaw, linear_to_ulaw, ulaw_to_linear};
use audio::{FRAME_SAMPLES, Frame, frame::frames_of};
use proptest::prelude::*;

use crate::tools::{sox_decode, sox_encode};

fn every_sample() -> Vec<i16> {
    (i16::MIN..=i16::MAX).collect()
}

#[test]
fn ulaw_encoding_matches_sox_for_every_16_bit_input() {
    let input = every_sample();
    let sox = sox_encode(&input, "mu-law");
    assert_eq!(sox.len(), input.len());
    for (&s, &want) in input.iter().zip(&sox) {
        assert_eq!(linear_to_ulaw(s), want, "μ-law of {s}");
    }
}

#[test]
fn alaw_encoding_matches_sox_for_every_16_bit_input() {
    let input = every_sample();
    let sox = sox_encode(&input, "a-law");
    for (&s, &want) in input.iter().zip(&sox) {
        assert_eq!(linear_to_alaw(s), want, "A-law of {s}");
    }
}

#[test]
fn decoding_matches_sox_for_every_byte() {
    let bytes: Vec<u8> = (0..=255).collect();
    let ulaw = sox_decode(&bytes, "mu-law");
    let alaw = sox_decode(&bytes, "a-law");
    for b in 0..=255u8 {
        assert_eq!(
            ulaw_to_linear(b),
            ulaw[usize::from(b)],
            "μ-law byte {b:#04x}"
        );
        assert_eq!(
            alaw_to_linear(b),
            alaw[usize::from(b)],
            "A-law byte {b:#04x}"
        );
    }
}

#[test]
fn known_codes() {
    // Silence is 0xFF (μ-law) / 0xD5 (A-law); the extremes are 0x80/0x00 and 0xAA/0x2A.
    assert_eq!(linear_to_ulaw(0), 0xFF);
    assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
    assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
    assert_eq!(ulaw_to_linear(0x80), 32124);
    assert_eq!(linear_to_alaw(0), 0xD5);
    assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
    assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
}

#[test]
fn a_frame_is_160_samples_and_carries_as_160_ulaw_bytes() {
    assert_eq!(FRAME_SAMPLES, 160);
    let samples: Vec<i16> = (0..160).map(|i| (i * 200 - 16_000) as i16).collect();
    let frame = Frame::from_samples(&samples);
    let ulaw = frame.to_ulaw();
    assert_eq!(ulaw.to_vec(), crate::tools::sox_encode(&samples, "mu-law"));
    let back = Frame::from_ulaw(&ulaw);
    for (a, b) in back.0.iter().zip(&samples) {
        assert!(
            (a - b).abs() <= (b.abs() / 16).max(8),
            "{b} came back as {a}"
        );
    }
    // Short payloads are padded with silence; gains saturate instead of wrapping.
    assert_eq!(Frame::from_ulaw(&[0xFF; 10]), Frame::SILENCE);
    assert_eq!(Frame::from_samples(&[30_000]).scaled(2.0).0[0], i16::MAX);
    let cut: Vec<Frame> = frames_of(&[1; 400]).collect();
    assert_eq!(cut.len(), 3);
    assert_eq!((cut[2].0[79], cut[2].0[80]), (1, 0));
}

proptest! {
    /// Decoding then encoding gives the byte back (the codes are a fixed point), except μ-law's two zeros
    /// (0x7F, "negative zero", decodes to 0 which encodes as 0xFF).
    #[test]
    fn every_code_survives_a_round_trip(b in any::<u8>()) {
        let back = linear_to_ulaw(ulaw_to_linear(b));
        prop_assert!(back == b || (b == 0x7F && back == 0xFF), "μ-law {b:#04x} → {back:#04x}");
        prop_assert_eq!(linear_to_alaw(alaw_to_linear(b)), b);
    }

    /// Encoding is monotonic: a louder sample never gets a quieter code.
    #[test]
    fn encoding_is_monotonic(a in any::<i16>(), b in any::<i16>()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(ulaw_to_linear(linear_to_ulaw(lo)) <= ulaw_to_linear(linear_to_ulaw(hi)));
        prop_assert!(alaw_to_linear(linear_to_alaw(lo)) <= alaw_to_linear(linear_to_alaw(hi)));
    }
}

/// A round trip lands within half a quantisation step of the code's segment (plus the rounding to 14 or 13 bits),
/// except where the input is beyond the codec's largest level; checked for all 65,536 samples. A step is
/// 8 << segment in 16-bit terms for μ-law (segment from the complemented byte), 8 << max(segment, 1) for A-law
/// (byte XOR 0x55).
#[test]
fn round_trip_error_is_within_half_a_step() {
    for s in i16::MIN..=i16::MAX {
        let mag = i32::from(s).abs();
        let uc = linear_to_ulaw(s);
        let u = i32::from(ulaw_to_linear(uc));
        let u_half_step = (8 << ((!uc >> 4) & 7)) / 2 + 4;
        assert!(
            (u - i32::from(s)).abs() <= u_half_step.max(mag - 32124),
            "μ-law {s} → {u}"
        );
        let ac = linear_to_alaw(s);
        let a = i32::from(alaw_to_linear(ac));
        let a_half_step = (8 << (((ac ^ 0x55) >> 4) & 7).max(1)) / 2 + 4;
        assert!(
            (a - i32::from(s)).abs() <= a_half_step.max(mag - 32256),
            "A-law {s} → {a}"
        );
    }
}
