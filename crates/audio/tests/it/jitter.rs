//! The jitter buffer under reordering, duplicates, loss, outages and floods, listened to.

use audio::analyse::{dominant_hz, level_dbfs};
use audio::jitter::{CONCEAL_FRAMES, JitterBuffer};
use audio::tone::Sine;
use audio::{Frame, SAMPLE_RATE};

/// A small deterministic generator (xorshift), so failures replay.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn tone_frames(n: usize) -> Vec<Frame> {
    let mut sine = Sine::new(700.0, -10.0);
    (0..n).map(|_| sine.frame()).collect()
}

/// Plays `frames` through a buffer: frame i arrives at tick i + delay(i) (several per tick, in any order), and
/// one frame is popped per tick. Returns what was played, from the first real frame on.
fn play(buffer: &mut JitterBuffer, frames: &[Frame], arrivals: &[(usize, u64)]) -> Vec<Frame> {
    let last_tick = arrivals.iter().map(|a| a.0).max().unwrap_or(0) + 10;
    let mut out = Vec::new();
    for tick in 0..=last_tick {
        for &(_, seq) in arrivals.iter().filter(|a| a.0 == tick) {
            buffer.push(seq, frames[seq as usize]);
        }
        out.push(buffer.pop());
    }
    let start = out.iter().position(|f| !f.is_silent()).unwrap_or(out.len());
    out.split_off(start)
}

#[test]
fn reordered_and_duplicated_frames_come_out_in_order_and_whole() {
    let frames = tone_frames(500);
    let mut rng = Rng(7);
    let mut arrivals: Vec<(usize, u64)> = (0..500u64)
        .map(|i| (i as usize + rng.below(3) as usize, i))
        .collect();
    // One frame in ten arrives twice.
    arrivals.extend((0..500u64).step_by(10).map(|i| (i as usize + 2, i)));
    let mut buffer = JitterBuffer::new(3, 8);
    let out = play(&mut buffer, &frames, &arrivals);
    assert_eq!(&out[..500], &frames[..], "every frame, in order");
    let stats = buffer.stats();
    // The one underrun is the end of the stream.
    assert_eq!(
        (stats.played, stats.duplicates, stats.late, stats.underruns),
        (500, 50, 0, 1),
        "{stats:?}"
    );
    let samples: Vec<i16> = out[..500].iter().flat_map(|f| f.0).collect();
    assert!((dominant_hz(&samples, SAMPLE_RATE).unwrap() - 700.0).abs() < 1.0);
}

#[test]
fn lost_and_late_frames_are_concealed_and_the_tone_goes_on() {
    let frames = tone_frames(1000);
    let mut rng = Rng(42);
    // 5 % lost, 3 % arrive far too late (after their turn).
    let mut arrivals = Vec::new();
    for i in 0..1000u64 {
        if rng.below(100) >= 5 {
            let delay = if rng.below(100) < 3 {
                20
            } else {
                rng.below(2) as usize
            };
            arrivals.push((i as usize + delay, i));
        }
    }
    let mut buffer = JitterBuffer::new(2, 6);
    let out = play(&mut buffer, &frames, &arrivals);
    let stats = buffer.stats();
    assert!(stats.late > 0 && stats.lost > 40, "{stats:?}");
    assert_eq!(
        stats.received,
        stats.played + stats.late,
        "every frame played or too late: {stats:?}"
    );
    assert!(stats.played > 900, "{stats:?}");
    // Concealment keeps the 700 Hz voice going: the level barely drops, the pitch stays.
    let samples: Vec<i16> = out[..1000].iter().flat_map(|f| f.0).collect();
    assert!((dominant_hz(&samples, SAMPLE_RATE).unwrap() - 700.0).abs() < 2.0);
    assert!(
        level_dbfs(&samples) > -11.0,
        "level {}",
        level_dbfs(&samples)
    );
}

#[test]
fn an_outage_fades_out_then_is_silent_then_refills() {
    let frames = tone_frames(20);
    let mut buffer = JitterBuffer::new(3, 10);
    for (i, f) in frames.iter().enumerate().take(10) {
        buffer.push(i as u64, *f);
    }
    let played: Vec<Frame> = (0..10).map(|_| buffer.pop()).collect();
    assert_eq!(played, frames[..10]);
    // Nothing arrives: the last frame fades out over three frames, then silence.
    let levels: Vec<f64> = (0..6).map(|_| level_dbfs(&buffer.pop().0)).collect();
    assert!(
        levels[0] > -14.0 && levels[0] > levels[1] && levels[1] > levels[2],
        "{levels:?}"
    );
    assert!(
        levels[CONCEAL_FRAMES as usize..]
            .iter()
            .all(|&l| l == audio::analyse::FLOOR_DBFS),
        "{levels:?}"
    );
    assert_eq!(buffer.stats().underruns, 1);
    // Frames come back: silence until three are in, then they play in order.
    for (i, f) in frames.iter().enumerate().skip(10).take(2) {
        buffer.push(i as u64, *f);
        assert!(buffer.pop().is_silent(), "still refilling");
    }
    buffer.push(12, frames[12]);
    assert_eq!(buffer.pop(), frames[10]);
    assert_eq!(buffer.pop(), frames[11]);
}

#[test]
fn a_flood_keeps_the_newest_frames_within_capacity() {
    let frames = tone_frames(100);
    let mut buffer = JitterBuffer::new(2, 5);
    buffer.push(0, frames[0]);
    buffer.push(1, frames[1]);
    assert_eq!(buffer.pop(), frames[0]);
    for (i, f) in frames.iter().enumerate().skip(2) {
        buffer.push(i as u64, *f);
        assert!(buffer.len() <= 5);
    }
    // 99 frames for 5 places.
    assert_eq!(buffer.stats().overflow, 94);
    // Playing resumes at the oldest frame kept: the delay is back within the capacity.
    let next: Vec<Frame> = (0..5).map(|_| buffer.pop()).collect();
    assert_eq!(next, frames[95..100]);
    // A frame older than the one just played is late and dropped.
    buffer.push(50, frames[50]);
    assert_eq!(buffer.stats().late, 1);
    assert!(buffer.is_empty());
}

#[test]
fn a_jump_in_sequence_numbers_is_followed_at_once() {
    let frames = tone_frames(10);
    let mut buffer = JitterBuffer::new(1, 4);
    buffer.push(5, frames[0]);
    assert_eq!(buffer.pop(), frames[0]);
    // The sender restarts its count far ahead: the gap is wider than the buffer, so it is skipped in one turn.
    buffer.push(10_000, frames[1]);
    buffer.push(10_001, frames[2]);
    assert!(!buffer.pop().is_silent(), "one concealed turn");
    assert_eq!(buffer.pop(), frames[1]);
    assert_eq!(buffer.pop(), frames[2]);
}
