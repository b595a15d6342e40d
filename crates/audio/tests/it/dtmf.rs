//! The DTMF detector against digits sox made, our own sender through μ-law, speech by espeak-ng and pure tones.

use audio::dtmf::{DtmfDetector, HOP, WINDOW, classify, detect};
use audio::g711::encode_ulaw;
use audio::tone::{DtmfTiming, Sine, dtmf_samples};

use crate::tools::{espeak, sox_synth};

/// One key made by sox: `synth SECS sine ROW sine COL`, the two channels mixed to mono (`remix` scales each by
/// half, `vol` halves again: each tone about −12 dBFS), then `gap` seconds of silence.
fn sox_key(key: char, secs: f64, gap: f64) -> Vec<i16> {
    let (row, col) = audio::tone::dtmf_pair(key).unwrap();
    let len = secs.to_string();
    let pad = gap.to_string();
    let mut args = vec!["synth", len.as_str()];
    let (row, col) = (row.to_string(), col.to_string());
    args.extend([
        "sine", &row, "sine", &col, "remix", "1,2", "vol", "0.5", "pad", "0", &pad,
    ]);
    sox_synth(&args)
}

#[test]
fn finds_every_key_made_by_sox() {
    let keys = "0123456789*#ABCD";
    let audio: Vec<i16> = keys.chars().flat_map(|k| sox_key(k, 0.1, 0.1)).collect();
    assert_eq!(detect(&audio), keys);
}

#[test]
fn finds_sox_digits_through_ulaw_in_frame_sized_chunks() {
    let audio: Vec<i16> = "42#".chars().flat_map(|k| sox_key(k, 0.1, 0.1)).collect();
    let ulaw = encode_ulaw(&audio);
    let mut detector = DtmfDetector::new();
    let digits: String = ulaw
        .chunks(160)
        .flat_map(|c| detector.push_ulaw(c))
        .collect();
    assert_eq!(digits, "42#");
}

#[test]
fn one_long_press_is_one_digit_and_repeats_need_a_gap() {
    assert_eq!(detect(&sox_key('5', 2.0, 0.1)), "5");
    let timing = DtmfTiming {
        on_ms: 60,
        off_ms: 40,
        level_dbfs: -20.0,
    };
    assert_eq!(detect(&dtmf_samples("5555", timing).unwrap()), "5555");
}

#[test]
fn minimum_duration_and_level() {
    // (tone ms, level of each tone dBFS, digits expected), each at every alignment to the detector's 10 ms hops.
    let cases = [
        (50, -10.0, "147"),
        (45, -10.0, "147"),
        (25, -10.0, ""),
        (20, -10.0, ""),
        (100, -30.0, "147"),
        (100, -34.0, "147"),
        (100, -40.0, ""),
    ];
    for (on_ms, level_dbfs, want) in cases {
        let timing = DtmfTiming {
            on_ms,
            off_ms: 100,
            level_dbfs,
        };
        let digits = dtmf_samples("147", timing).unwrap();
        for offset in (0..80).step_by(10) {
            let mut audio = vec![0; offset];
            audio.extend(&digits);
            assert_eq!(
                detect(&audio),
                want,
                "{on_ms} ms at {level_dbfs} dBFS, offset {offset}"
            );
        }
    }
}

#[test]
fn our_sender_through_ulaw_is_heard_with_noise_behind_it() {
    let clean = dtmf_samples("0918273645", DtmfTiming::default()).unwrap();
    let noise = sox_synth(&["synth", "3", "whitenoise", "vol", "0.01"]);
    let noisy: Vec<i16> = clean
        .iter()
        .zip(noise.iter().cycle())
        .map(|(&a, &b)| a.saturating_add(b))
        .collect();
    let decoded = audio::g711::decode_ulaw(&encode_ulaw(&noisy));
    assert_eq!(detect(&decoded), "0918273645");
}

#[test]
fn twisted_pairs_within_8_db_pass_beyond_do_not() {
    let pair = |row_db: f64, col_db: f64| {
        let (mut r, mut c) = (Sine::new(852.0, row_db), Sine::new(1477.0, col_db));
        (0..800)
            .map(|_| (r.next_f64() + c.next_f64()).round() as i16)
            .collect::<Vec<_>>()
    };
    assert_eq!(detect(&pair(-10.0, -16.0)), "9");
    assert_eq!(detect(&pair(-16.0, -10.0)), "9");
    assert_eq!(detect(&pair(-6.0, -18.0)), "");
    assert_eq!(detect(&pair(-18.0, -6.0)), "");
}

#[test]
fn no_digits_in_speech() {
    for (voice, text) in [
        (
            "en",
            "Hello, you're on the air. What would you like to say to our listeners tonight?",
        ),
        (
            "en-us",
            "One two three four five six seven eight nine zero, star, pound.",
        ),
        (
            "en+f3",
            "The quick brown fox jumps over the lazy dog while the radio plays softly.",
        ),
        (
            "en+f4",
            "Mmmmmm. Ooooooh. Eeeeeee. Aaaaaah. La la la la la la, hummm.",
        ),
        (
            "de",
            "Guten Abend, Sie sind auf Sendung. Was möchten Sie unseren Hörern sagen?",
        ),
    ] {
        let speech = espeak(voice, text);
        assert!(speech.len() > 8000, "espeak-ng spoke");
        assert_eq!(
            detect(&speech),
            "",
            "false digits in speech: {voice} {text:?}"
        );
        // Margin: not even one 20 ms window passes the checks (a digit needs three in a row).
        let hits = speech
            .windows(WINDOW)
            .step_by(HOP)
            .filter(|w| classify(w).is_some())
            .count();
        assert_eq!(
            hits, 0,
            "windows that look like a digit in {voice} {text:?}"
        );
    }
}

#[test]
fn no_digits_in_pure_tones_or_a_single_dtmf_frequency() {
    for hz in [300.0, 440.0, 697.0, 1000.0, 1209.0, 1633.0, 2000.0] {
        assert_eq!(detect(&Sine::new(hz, -6.0).take(8000)), "", "{hz} Hz alone");
    }
    // Dial tone (350 + 440 Hz) and ringback (440 + 480 Hz) are not digits either.
    for (a, b) in [(350.0, 440.0), (440.0, 480.0)] {
        let (mut x, mut y) = (Sine::new(a, -10.0), Sine::new(b, -10.0));
        let s: Vec<i16> = (0..8000)
            .map(|_| (x.next_f64() + y.next_f64()).round() as i16)
            .collect();
        assert_eq!(detect(&s), "", "{a} + {b} Hz");
    }
}
