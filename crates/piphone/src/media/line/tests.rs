use audio::analyse::{dominant_hz, level_dbfs};
use audio::tone::Sine;

use super::*;

/// Pushes `order` (frame numbers from a 1 kHz tone at −10 dBFS), pulling one frame after each push; returns
/// the inlet and the levels of what came out.
fn run(order: &[u64]) -> (Inlet, Vec<f64>) {
    let frame = Sine::new(1000.0, -10.0).frame();
    let mut inlet = Inlet::new();
    let mut levels = Vec::new();
    for &seq in order {
        inlet.push(seq, frame);
        levels.push(level_dbfs(&inlet.pull().0));
    }
    for _ in 0..10 {
        levels.push(level_dbfs(&inlet.pull().0));
    }
    (inlet, levels)
}

/// Levels once playing started, before the tail runs dry: all near the tone's −10 dBFS.
fn steady(levels: &[f64]) -> &[f64] {
    let start = levels
        .iter()
        .position(|&l| l > -20.0)
        .expect("sound came out");
    &levels[start..levels.len() - 20]
}

#[test]
fn frames_in_order_come_out_as_a_steady_tone_after_the_reorder_window() {
    let order: Vec<u64> = (1..=200).collect();
    let (inlet, levels) = run(&order);
    let s = inlet.stats();
    assert_eq!((s.late, s.lost, s.duplicates), (0, 0, 0), "{s:?}");
    for (i, l) in steady(&levels).iter().enumerate() {
        assert!((l + 10.0).abs() < 0.5, "frame {i}: {l:.1} dBFS");
    }
}

#[test]
fn reordered_frames_within_the_window_are_put_back_in_order() {
    // Pairs swapped (2,1,4,3,…) and every tenth frame one frame later still.
    let mut order: Vec<u64> = (1..=200).collect();
    for pair in order.chunks_mut(2) {
        pair.swap(0, 1);
    }
    for i in (10..190).step_by(10) {
        order.swap(i, i + 1);
    }
    let (inlet, levels) = run(&order);
    let s = inlet.stats();
    assert_eq!((s.late, s.lost), (0, 0), "{s:?}");
    // The inlet starts at a low delay: the first out-of-order frames make the drift buffer run short once or
    // twice, and its target grows to cover the wait; from then on the tone is steady.
    let steady = steady(&levels);
    let off = steady.iter().filter(|l| (*l + 10.0).abs() >= 0.5).count();
    assert!(off <= 2, "{off} frames off: {steady:?}");
    assert!(
        steady[25..].iter().all(|l| (l + 10.0).abs() < 0.5),
        "{steady:?}"
    );
}

#[test]
fn a_frame_later_than_the_window_is_dropped_and_its_turn_concealed() {
    let mut order: Vec<u64> = (1..=100).filter(|&n| n != 50).collect();
    let at = order.iter().position(|&n| n == 55).unwrap();
    order.insert(at, 50);
    let (inlet, levels) = run(&order);
    let s = inlet.stats();
    assert_eq!((s.late, s.lost), (1, 1), "{s:?}");
    // At the inlet's low delay, waiting for the missing frame runs the drift buffer short for one turn (a mostly
    // silent frame; the target grows), then the lost turn repeats the last frame, fading: no longer hole.
    let quiet = steady(&levels).iter().filter(|&&l| l <= -20.0).count();
    assert!(quiet <= 1, "{levels:?}");
    assert!(steady(&levels).iter().all(|&l| l > -30.0), "{levels:?}");
}

#[test]
fn lost_frames_are_concealed_then_silence() {
    let order: Vec<u64> = (1..=50).chain(60..=120).collect();
    let (inlet, levels) = run(&order);
    let s = inlet.stats();
    assert_eq!(s.lost, 9, "{s:?}");
    assert!(
        levels.iter().any(|&l| l < -60.0),
        "a 180 ms gap goes silent after the fade"
    );
}

#[test]
fn duplicates_and_wild_numbers_neither_panic_nor_grow_the_delay() {
    let frame = Sine::new(440.0, -10.0).frame();
    let mut inlet = Inlet::new();
    for seq in [1, 1, 2, u64::MAX, 3, 0, u64::MAX - 1, 5, 1_000_000] {
        inlet.push(seq, frame);
        inlet.pull();
    }
    for seq in 1_000_001..1_000_200 {
        inlet.push(seq, frame);
        inlet.pull();
        assert!(inlet.stats().delay_ms <= 400.0, "{:?}", inlet.stats());
    }
    assert!(inlet.stats().duplicates >= 1);
}

/// What a [`drift_run`] saw after its first minute.
#[derive(Debug)]
struct DriftRun {
    /// Lowest and highest [`InletStats::delay_ms`], read right after each pull.
    delay: (f64, f64),
    /// Lowest and highest adaptive target, ms.
    target: (f64, f64),
    /// The tone's frequency over the last second.
    hz: f64,
}

/// `seconds` of a stream whose clock runs `drift` fast (e.g. 0.005 = +0.5 %) against the engine's, its frames
/// arriving in bursts of `burst`, in virtual time, pushed right before the engine's pull as the engine's tick
/// drains them. Nothing may starve or be dropped after the first minute.
fn drift_run(drift: f64, seconds: usize, burst: u64) -> DriftRun {
    let mut tone = Sine::new(1000.0, -10.0);
    let mut inlet = Inlet::new();
    let ticks = seconds * 50;
    let producer_period = 1.0 / (1.0 + drift);
    let mut sent = 0u64;
    let (mut delay, mut target) = ((f64::MAX, 0.0f64), (f64::MAX, 0.0f64));
    let mut settled = InletStats::default();
    let mut tail = Vec::new();
    for tick in 0..ticks {
        // Frames due by now, held back until a whole burst is due.
        while ((sent + burst) as f64) * producer_period <= tick as f64 + 1.0 {
            for _ in 0..burst {
                sent += 1;
                inlet.push(sent, tone.frame());
            }
        }
        let out = inlet.pull();
        let s = inlet.stats();
        if tick == 50 * 60 {
            settled = s;
        }
        if tick > 50 * 60 {
            delay = (delay.0.min(s.delay_ms), delay.1.max(s.delay_ms));
            target = (target.0.min(s.target_ms), target.1.max(s.target_ms));
        }
        if tick >= ticks - 50 {
            tail.extend_from_slice(&out.0);
        }
    }
    let s = inlet.stats();
    assert_eq!(
        (s.starved, s.dropped),
        (settled.starved, settled.dropped),
        "drift {drift}, bursts of {burst}: starved or dropped after the first minute: {s:?}"
    );
    DriftRun {
        delay,
        target,
        hz: dominant_hz(&tail, 8000).unwrap(),
    }
}

#[test]
fn three_hours_of_half_a_percent_drift_either_way_keep_the_delay_bounded() {
    let (max_lo, max_hi) = MEASURED_DELAY_MS;
    for drift in [0.005, -0.005] {
        let run = drift_run(drift, 3 * 3600, 1);
        eprintln!("drift {drift:+}: {run:?}");
        let (lo, hi) = run.delay;
        assert!(
            lo >= f64::from(max_lo) - 5.0 && hi <= f64::from(max_hi) + 5.0,
            "drift {drift}: delay {lo:.1} … {hi:.1} ms"
        );
        assert!(
            (run.hz - 1000.0 * (1.0 + drift)).abs() < 5.0,
            "drift {drift}: {} Hz",
            run.hz
        );
    }
}

#[test]
fn drain_feeds_audio_to_the_inlet_and_returns_keys_marks_and_the_end() {
    let (tx, mut rx) = mpsc::channel(16);
    let frame = Sine::new(1000.0, -10.0).frame();
    let mut inlet = Inlet::new();
    for seq in 1..=4 {
        tx.try_send(StreamEvent::Media { seq, frame }).unwrap();
    }
    tx.try_send(StreamEvent::Dtmf('5')).unwrap();
    tx.try_send(StreamEvent::Mark("m1".into())).unwrap();
    tx.try_send(StreamEvent::Dtmf('#')).unwrap();
    let drained = inlet.drain(&mut rx);
    assert_eq!(drained.keys, ['5', '#']);
    assert_eq!(drained.marks, ["m1"]);
    assert_eq!(drained.stop, None);
    assert_eq!(
        inlet.stats().delay_ms,
        4.0 * 20.0,
        "the first two held until the reorder window is in, then all four went on to the drift buffer"
    );
    tx.try_send(StreamEvent::Stop { unexpected: false })
        .unwrap();
    drop(tx);
    assert_eq!(
        inlet.drain(&mut rx).stop,
        Some(false),
        "the Stop, not the closed channel"
    );
    assert_eq!(
        inlet.drain(&mut rx).stop,
        Some(true),
        "closed without a Stop"
    );
}

#[test]
fn bursty_arrival_grows_the_target_and_is_absorbed() {
    // Three frames at once every 60 ms (a congested path), for ten minutes at ±0.5 %: nothing starves after the
    // first minute, the delay stays within the measured bound.
    for drift in [0.005, -0.005] {
        let run = drift_run(drift, 600, 3);
        eprintln!("bursts of 3, drift {drift:+}: {run:?}");
        assert!(run.delay.1 <= f64::from(MEASURED_BURSTY_MAX_MS), "{run:?}");
        // The two-frame gaps between bursts grew the target beyond the even stream's (32 … 44 ms).
        assert!(run.target.0 > 45.0, "{run:?}");
        assert!((run.hz - 1000.0 * (1.0 + drift)).abs() < 5.0, "{run:?}");
    }
}
