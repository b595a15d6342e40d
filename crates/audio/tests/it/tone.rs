//! Tones, measured: frequency, level, continuity, DTMF pairs and timing.

use audio::analyse::{dominant_hz, level_dbfs, tone_dbfs};
use audio::tone::{DtmfSender, DtmfTiming, Sine, dtmf_pair, dtmf_samples, ms_to_samples};
use audio::{FRAME_SAMPLES, SAMPLE_RATE};

#[test]
fn a_sine_has_its_frequency_and_level() {
    for (hz, dbfs) in [
        (300.0, -20.0),
        (440.0, -6.0),
        (1000.0, 0.0),
        (3000.0, -30.0),
    ] {
        let s = Sine::new(hz, dbfs).take(8000);
        let f = dominant_hz(&s, SAMPLE_RATE).expect("a tone");
        assert!((f - hz).abs() < 0.5, "{hz} Hz measured {f}");
        assert!(
            (level_dbfs(&s) - dbfs).abs() < 0.05,
            "{hz} Hz at {dbfs} dBFS measured {}",
            level_dbfs(&s)
        );
    }
}

#[test]
fn frames_join_without_a_click() {
    // Made frame by frame, the tone equals the tone made in one piece: the phase carries over.
    let mut by_frame = Sine::new(1000.0, -3.0);
    let joined: Vec<i16> = (0..50).flat_map(|_| by_frame.frame().0).collect();
    assert_eq!(joined, Sine::new(1000.0, -3.0).take(50 * FRAME_SAMPLES));
    // And no sample jumps further than a 1 kHz sine can between two samples.
    let max_step = joined
        .windows(2)
        .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
        .max();
    assert!(max_step.unwrap() < 18_000);
}

#[test]
fn dtmf_keys_have_the_standard_pairs() {
    assert_eq!(dtmf_pair('1'), Some((697.0, 1209.0)));
    assert_eq!(dtmf_pair('5'), Some((770.0, 1336.0)));
    assert_eq!(dtmf_pair('9'), Some((852.0, 1477.0)));
    assert_eq!(dtmf_pair('*'), Some((941.0, 1209.0)));
    assert_eq!(dtmf_pair('0'), Some((941.0, 1336.0)));
    assert_eq!(dtmf_pair('#'), Some((941.0, 1477.0)));
    assert_eq!(dtmf_pair('d'), Some((941.0, 1633.0)));
    assert_eq!(dtmf_pair('x'), None);
}

#[test]
fn a_dtmf_digit_is_its_two_tones_at_the_level_asked_then_silence() {
    let timing = DtmfTiming {
        on_ms: 100,
        off_ms: 60,
        level_dbfs: -12.0,
    };
    let s = dtmf_samples("8", timing).unwrap();
    assert_eq!(s.len(), ms_to_samples(160));
    let (tone, gap) = s.split_at(ms_to_samples(100));
    for (hz, want) in [
        (852.0, -12.0),
        (1336.0, -12.0),
        (697.0, -200.0),
        (1209.0, -200.0),
    ] {
        let got = tone_dbfs(tone, hz);
        if want > -100.0 {
            assert!(
                (got - want).abs() < 0.5,
                "{hz} Hz at {got} dBFS, want {want}"
            );
        } else {
            assert!(got < -30.0, "{hz} Hz should be absent, is {got} dBFS");
        }
    }
    assert!(gap.iter().all(|&x| x == 0), "the gap is silent");
}

#[test]
fn the_sender_plays_queued_digits_frame_by_frame_then_silence() {
    let mut sender = DtmfSender::new(DtmfTiming::default());
    assert!(sender.is_idle());
    assert_eq!(
        sender.push("12x"),
        Err('x'),
        "a bad digit refuses the whole string"
    );
    assert!(sender.is_idle());
    sender.push("12").unwrap();
    // Two digits of 100 ms + 100 ms = 400 ms = 20 frames, then silence.
    let frames: Vec<_> = (0..22).map(|_| sender.next_frame()).collect();
    assert!(sender.is_idle());
    assert!(!frames[0].is_silent() && frames[5].is_silent() && !frames[10].is_silent());
    assert!(frames[20].is_silent() && frames[21].is_silent());
}
