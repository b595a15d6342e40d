//! An hour of ±0.5 % clock drift, simulated in a few seconds: the delay stays bounded, the tone keeps its pitch.

use audio::FRAME_SAMPLES;
use audio::analyse::{dominant_hz, level_dbfs};
use audio::drift::{DriftBuffer, DriftStats};
use audio::tone::Sine;

/// What an hour through the buffer looked like.
struct Run {
    min_fill: f64,
    max_fill: f64,
    /// Lowest and highest RMS level of any one-second block of the output after the first second.
    levels: (f64, f64),
    /// Dominant frequency of the output's last second, and of one second after ten minutes.
    last_hz: f64,
    early_hz: f64,
    /// Lowest and highest dominant frequency of half-second windows, one every ten seconds after the first minute.
    wobble: (f64, f64),
    stats: DriftStats,
    /// The stats after the first minute.
    settled: DriftStats,
    /// Lowest and highest fill after the first minute.
    late_fill: (f64, f64),
}

/// A producer whose clock runs `drift` fast (0.005 = +0.5 %) against the consumer's: it makes a 1 kHz tone at its
/// "8 kHz" and pushes 20 ms frames every 20 ms of its own time (`burst` frames at once); the consumer pulls a
/// frame every 20 ms of true time for `seconds`.
fn simulate(drift: f64, seconds: usize, burst: usize) -> Run {
    simulate_with(DriftBuffer::default(), drift, seconds, burst)
}

/// [`simulate`] through `buffer`.
fn simulate_with(mut buffer: DriftBuffer, drift: f64, seconds: usize, burst: usize) -> Run {
    let mut tone = Sine::new(1000.0, -10.0);
    let producer_frame_secs = 0.02 / (1.0 + drift);
    let mut produced = 0usize;
    let (mut min_fill, mut max_fill) = (f64::MAX, f64::MIN);
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    let mut second = Vec::with_capacity(8000);
    let mut early_hz = 0.0;
    let mut last = Vec::new();
    let (mut wlo, mut whi) = (f64::MAX, f64::MIN);
    let mut settled = DriftStats::default();
    let mut late_fill = (f64::MAX, f64::MIN);
    for tick in 0..seconds * 50 {
        let now = tick as f64 * 0.02;
        // The producer delivers in bursts of `burst` frames, each burst when its last frame is complete.
        while ((produced + burst) as f64) * producer_frame_secs <= now {
            for _ in 0..burst {
                buffer.push(&tone.frame().0);
            }
            produced += burst;
        }
        if tick > 50 {
            min_fill = min_fill.min(buffer.fill());
            max_fill = max_fill.max(buffer.fill());
        }
        if tick == 3000 {
            settled = buffer.stats();
        }
        if tick > 3000 {
            late_fill = (
                late_fill.0.min(buffer.fill()),
                late_fill.1.max(buffer.fill()),
            );
        }
        second.extend(buffer.pull_frame().0);
        if second.len() == 8000 {
            if tick > 100 {
                let l = level_dbfs(&second);
                (lo, hi) = (lo.min(l), hi.max(l));
            }
            if tick == 600 * 50 - 1 {
                early_hz = dominant_hz(&second, 8000).unwrap_or(0.0);
            }
            if tick > 3000 && (tick + 1) % 500 == 0 {
                let hz = dominant_hz(&second[4000..], 8000).unwrap_or(0.0);
                (wlo, whi) = (wlo.min(hz), whi.max(hz));
            }
            last = std::mem::take(&mut second);
        }
    }
    Run {
        min_fill,
        max_fill,
        levels: (lo, hi),
        last_hz: dominant_hz(&last, 8000).unwrap_or(0.0),
        early_hz,
        wobble: (wlo, whi),
        stats: buffer.stats(),
        settled,
        late_fill,
    }
}

/// The bound this crate promises (README): with the default buffer (target 480 samples = 60 ms), the delay stays
/// within 20 … 95 ms through any length of ±0.5 % drift, from the first second on, never starving, never dropping,
/// whether the producer delivers 20 ms frames or 40 ms bursts.
const MIN_DELAY_MS: f64 = 20.0;
const MAX_DELAY_MS: f64 = 95.0;

fn check(drift: f64, burst: usize) {
    let run = simulate(drift, 3600, burst);
    let (min_ms, max_ms) = (run.min_fill / 8.0, run.max_fill / 8.0);
    let what = format!("drift {:+.1} %, bursts of {burst}", drift * 100.0);
    println!(
        "{what}: delay {min_ms:.1} … {max_ms:.1} ms, tone {:.2} Hz, wobble {:?}, levels {:?}",
        run.last_hz, run.wobble, run.levels
    );
    assert!(
        min_ms >= MIN_DELAY_MS && max_ms <= MAX_DELAY_MS,
        "{what}: delay {min_ms:.1} … {max_ms:.1} ms"
    );
    assert_eq!(
        run.stats,
        DriftStats::default(),
        "{what}: no sample dropped or starved"
    );
    // The tone keeps its frequency (as the producer's clock made it: 1000 × (1 + drift) Hz), well within 1 %, and
    // the steering wobbles it by less than 0.2 % (3.5 cents).
    let (wlo, whi) = run.wobble;
    for hz in [run.early_hz, run.last_hz, wlo, whi] {
        assert!(
            (hz - 1000.0 * (1.0 + drift)).abs() < 2.0,
            "{what}: tone at {hz:.2} Hz"
        );
        assert!((hz - 1000.0).abs() < 10.0, "{what}: tone at {hz:.2} Hz");
    }
    // No dropouts or clicks large enough to move a one-second level.
    let (lo, hi) = run.levels;
    assert!(
        lo > -10.2 && hi < -9.8,
        "{what}: one-second levels {lo:.2} … {hi:.2} dBFS"
    );
}

#[test]
fn an_hour_of_a_fast_producer_keeps_the_delay_bounded() {
    check(0.005, 1);
}

#[test]
fn an_hour_of_a_slow_producer_keeps_the_delay_bounded() {
    check(-0.005, 1);
}

#[test]
fn bursty_delivery_with_drift_stays_bounded_too() {
    // A sound card read in 40 ms periods (two frames at once).
    check(0.005, 2);
    check(-0.005, 2);
}

#[test]
fn an_adaptive_target_starts_low_and_stays_bounded_through_an_hour_of_drift() {
    // One frame plus the buffer's own need to start with; measured after the first minute (the target grows in
    // it), at the pull, before it: 190 … 410 samples (24 … 51 ms), nothing starved or dropped, the pitch right.
    for drift in [0.005, -0.005] {
        let buffer = DriftBuffer::adaptive(FRAME_SAMPLES, 6 * FRAME_SAMPLES, 8 * FRAME_SAMPLES);
        let run = simulate_with(buffer, drift, 3600, 1);
        let (lo, hi) = (run.late_fill.0 / 8.0, run.late_fill.1 / 8.0);
        println!(
            "adaptive, drift {drift:+}: fill {lo:.1} … {hi:.1} ms, tone {:.2} Hz, wobble {:?}",
            run.last_hz, run.wobble
        );
        assert_eq!(
            run.stats, run.settled,
            "drift {drift}: starved or dropped after the first minute"
        );
        assert!(
            lo >= 20.0 && hi <= 55.0,
            "drift {drift}: fill {lo:.1} … {hi:.1} ms"
        );
        for hz in [run.last_hz, run.wobble.0, run.wobble.1] {
            assert!(
                (hz - 1000.0 * (1.0 + drift)).abs() < 5.0,
                "drift {drift}: tone at {hz:.2} Hz"
            );
        }
    }
}

#[test]
fn a_stalled_producer_is_played_as_silence_and_a_flood_is_cut_back() {
    let mut buffer = DriftBuffer::default();
    let mut tone = Sine::new(500.0, -10.0);
    for _ in 0..4 {
        buffer.push(&tone.frame().0);
    }
    assert!(!buffer.pull_frame().is_silent());
    // The producer stalls: the FIFO plays out what it has, then silence.
    let frames: Vec<_> = (0..4).map(|_| buffer.pull_frame()).collect();
    assert!(!frames[0].is_silent() && frames[3].is_silent());
    assert!(buffer.stats().starved > 0);
    // A flood: 50 frames at once; whenever the fill passes the bound (eight frames) it is cut back to the target.
    for _ in 0..50 {
        buffer.push(&tone.frame().0);
    }
    assert!(
        buffer.fill() <= 8.0 * FRAME_SAMPLES as f64,
        "fill {} above the bound",
        buffer.fill()
    );
    assert!(buffer.stats().dropped > 40 * FRAME_SAMPLES as u64);
}
