//! The mixer and its limiter, listened to with Goertzel: who hears whom, and loud sums that stay clean.

use audio::Frame;
use audio::analyse::{level_dbfs, tone_dbfs, tone_power};
use audio::mixer::{CEILING, Limiter, Mixer};
use audio::tone::Sine;

/// Runs `seconds` of tones through the mixer; returns each output's samples.
fn run(mixer: &mut Mixer, voices: &[f64], dbfs: f64, seconds: usize) -> Vec<Vec<i16>> {
    let mut sines: Vec<Sine> = voices.iter().map(|&hz| Sine::new(hz, dbfs)).collect();
    let mut outs = vec![Vec::new(); mixer.outputs()];
    for _ in 0..seconds * 50 {
        let inputs: Vec<Frame> = sines.iter_mut().map(Sine::frame).collect();
        for (out, frame) in outs.iter_mut().zip(mixer.mix(&inputs)) {
            out.extend(frame.0);
        }
    }
    outs
}

#[test]
fn mix_minus_every_line_hears_the_show_but_never_itself() {
    // Inputs: the studio (1 kHz) and three lines with distinct voices; lines 1 and 2 on air, line 3 on hold.
    let voices = [1000.0, 300.0, 500.0, 700.0];
    let (studio, l1, l2) = (0, 1, 2);
    // Outputs: to each line, then the sound card's channels 1 and 2 (one per line on air).
    let mut mixer = Mixer::new(4, 5);
    mixer.set_output(0, &[(studio, 1.0), (l2, 1.0)]);
    mixer.set_output(1, &[(studio, 1.0), (l1, 1.0)]);
    mixer.set_output(2, &[(studio, 1.0)]);
    mixer.set_output(3, &[(l1, 1.0)]);
    mixer.set_output(4, &[(l2, 1.0)]);
    let outs = run(&mut mixer, &voices, -12.0, 1);
    let expect: [(&str, &[usize]); 5] = [
        ("line 1 hears", &[studio, l2]),
        ("line 2 hears", &[studio, l1]),
        ("line 3 on hold hears", &[studio]),
        ("card channel 1 carries", &[l1]),
        ("card channel 2 carries", &[l2]),
    ];
    for ((what, present), out) in expect.iter().zip(&outs) {
        for (input, &hz) in voices.iter().enumerate() {
            let level = tone_dbfs(out, hz);
            if present.contains(&input) {
                assert!(
                    (level + 12.0).abs() < 0.2,
                    "{what} input {input} ({hz} Hz) at {level:.1} dBFS"
                );
            } else {
                assert!(
                    level < -90.0,
                    "{what} input {input} ({hz} Hz) but should not: {level:.1} dBFS"
                );
            }
        }
    }
    // Under the ceiling nothing is touched: card channel 1 is line 1, sample for sample.
    assert_eq!(outs[3], Sine::new(300.0, -12.0).take(8000));
}

#[test]
fn three_full_scale_tones_are_turned_down_not_wrapped_or_clipped() {
    let voices = [300.0, 700.0, 1500.0];
    let mut mixer = Mixer::new(3, 1);
    mixer.set_output(0, &[(0, 1.0), (1, 1.0), (2, 1.0)]);
    let out = &run(&mut mixer, &voices, 0.0, 2)[0];
    let settled = &out[8000..]; // after the first second
    let peak = settled.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(f32::from(peak) <= CEILING, "peak {peak}");
    // Not clipped flat: no run of samples sitting at the ceiling.
    let flat = settled
        .windows(3)
        .filter(|w| {
            w.iter()
                .all(|s| f32::from(s.unsigned_abs()) >= CEILING - 1.0)
        })
        .count();
    assert_eq!(flat, 0, "samples held at the ceiling");
    // Each tone survives, equally loud (the three peaks meet at 3× full scale: each ends near −9.5 dBFS).
    let levels: Vec<f64> = voices.iter().map(|&hz| tone_dbfs(settled, hz)).collect();
    for (&hz, &level) in voices.iter().zip(&levels) {
        assert!(
            (level - levels[0]).abs() < 0.3,
            "{hz} Hz at {level:.2} dBFS vs {levels:?}"
        );
        assert!(level > -12.0, "{hz} Hz at {level:.2} dBFS");
    }
    // What is not the three tones (distortion, intermodulation) is at least 35 dB down.
    let tones: f64 = voices.iter().map(|&hz| tone_power(settled, hz, 8000)).sum();
    let total = 10f64.powf(level_dbfs(settled) / 10.0);
    let residue_db = 10.0 * ((total - tones).max(1e-12) / tones).log10();
    assert!(residue_db < -35.0, "distortion {residue_db:.1} dB");
}

#[test]
fn the_limiter_lets_go_after_a_loud_passage() {
    let mut limiter = Limiter::new();
    for _ in 0..800 {
        limiter.process(3.0 * 32767.0);
    }
    assert!((limiter.gain() - CEILING / (3.0 * 32767.0)).abs() < 1e-3);
    // After one second of quiet the gain is back to within 1 % of unity; after two, samples pass unchanged.
    for _ in 0..8000 {
        limiter.process(100.0);
    }
    assert!(limiter.gain() > 0.99, "gain {}", limiter.gain());
    for _ in 0..8000 {
        limiter.process(100.0);
    }
    assert_eq!(limiter.process(-23456.0), -23456);
}
