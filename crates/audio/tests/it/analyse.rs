//! The analysis tools, checked on tones sox made (not this crate's generator) and on known signals.

use audio::analyse::{FLOOR_DBFS, Meter, dominant_hz, level_dbfs, tone_dbfs};
use audio::tone::Sine;
use audio::{FRAME_SAMPLES, SAMPLE_RATE};

use crate::tools::sox_synth;

#[test]
fn dominant_frequency_of_sox_tones_within_2_percent() {
    // The voices the sandbox gives its parties must be told apart: 300 … 1500 Hz.
    for hz in [300, 440, 500, 700, 1000, 1500, 3400] {
        // sox's sine at -6 dB (0.5 of full scale): -6.02 dBFS.
        let s = sox_synth(&["synth", "1", "sine", &hz.to_string(), "vol", "0.5"]);
        assert_eq!(s.len(), 8000);
        let f = dominant_hz(&s, SAMPLE_RATE).expect("a tone");
        let err = (f - f64::from(hz)).abs() / f64::from(hz);
        assert!(err < 0.02 / 10.0, "{hz} Hz from sox measured {f:.2} Hz");
        let level = level_dbfs(&s);
        assert!(
            (level + 6.02).abs() < 0.1,
            "{hz} Hz from sox at {level:.2} dBFS"
        );
        assert!(
            (tone_dbfs(&s, f64::from(hz)) + 6.02).abs() < 0.1,
            "Goertzel at {hz} Hz"
        );
    }
}

#[test]
fn the_dominant_tone_wins_over_a_quieter_one_and_noise() {
    let s = sox_synth(&[
        "synth",
        "1",
        "sine",
        "700",
        "sine",
        "1500",
        "whitenoise",
        "remix",
        "1v0.5,2v0.25,3v0.05",
    ]);
    let f = dominant_hz(&s, SAMPLE_RATE).unwrap();
    assert!((f - 700.0).abs() < 3.0, "measured {f}");
    assert!(tone_dbfs(&s, 700.0) - tone_dbfs(&s, 1500.0) > 5.0);
    assert!(tone_dbfs(&s, 1000.0) < -30.0, "nothing at 1 kHz");
}

#[test]
fn silence_has_the_floor_level_and_no_frequency() {
    let s = vec![0i16; 8000];
    assert_eq!(level_dbfs(&s), FLOOR_DBFS);
    assert_eq!(level_dbfs(&[]), FLOOR_DBFS);
    assert_eq!(dominant_hz(&s, SAMPLE_RATE), None);
    // Quieter than -60 dBFS: no dominant frequency either.
    assert_eq!(
        dominant_hz(&Sine::new(440.0, -70.0).take(8000), SAMPLE_RATE),
        None
    );
    // Short windows have none.
    assert_eq!(
        dominant_hz(&Sine::new(440.0, 0.0).take(100), SAMPLE_RATE),
        None
    );
}

#[test]
fn the_meter_reports_the_last_second_only() {
    let mut meter = Meter::default();
    assert_eq!(meter.level_dbfs(), FLOOR_DBFS);
    let mut a = Sine::new(440.0, -10.0);
    for _ in 0..100 {
        meter.push(&a.frame().0);
    }
    assert!((meter.dominant_hz().unwrap() - 440.0).abs() < 1.0);
    assert!((meter.level_dbfs() + 10.0).abs() < 0.1);
    // Two seconds of 1 kHz at -20 dBFS replace the 440 Hz completely.
    let mut b = Sine::new(1000.0, -20.0);
    for _ in 0..100 {
        meter.push(&b.frame().0);
    }
    assert!((meter.dominant_hz().unwrap() - 1000.0).abs() < 1.0);
    assert!((meter.level_dbfs() + 20.0).abs() < 0.1);
    assert_eq!(meter.frames(), 200);
    assert_eq!(meter.history().len(), 8000);
    // Then silence: after a second of it, the meter is at the floor.
    for _ in 0..50 {
        meter.push(&[0; FRAME_SAMPLES]);
    }
    assert_eq!(meter.level_dbfs(), FLOOR_DBFS);
    assert_eq!(meter.dominant_hz(), None);
}

#[test]
fn a_meter_with_history_keeps_30_seconds_and_still_measures_the_last_one() {
    let mut meter = Meter::with_history(30);
    let (mut a, mut b) = (Sine::new(500.0, -10.0), Sine::new(1500.0, -20.0));
    for _ in 0..50 * 40 {
        meter.push(&a.frame().0);
    }
    for _ in 0..50 {
        meter.push(&b.frame().0);
    }
    assert!((meter.dominant_hz().unwrap() - 1500.0).abs() < 1.0);
    assert!((meter.level_dbfs() + 20.0).abs() < 0.1);
    let history = meter.history();
    assert_eq!(history.len(), 30 * 8000);
    // Oldest first: 29 s of the 500 Hz tone, then the last second of 1500 Hz, joined where they were.
    assert!((dominant_hz(&history[..8000], SAMPLE_RATE).unwrap() - 500.0).abs() < 1.0);
    assert_eq!(&history[29 * 8000..], &meter.last(8000)[..]);
    assert_eq!(meter.last(8000), Sine::new(1500.0, -20.0).take(8000));
    assert_eq!(Meter::with_history(30).last(100), Vec::<i16>::new());
}
