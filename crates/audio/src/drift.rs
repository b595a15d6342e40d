//! Absorbing clock drift between two devices that both claim 8 kHz: a sound card and Twilio's 20 ms stream, say.
//! Left alone, a ±0.5 % difference grows or starves a FIFO by 18 s an hour; this one keeps its delay bounded
//! forever.
//!
//! The producer pushes samples at its rate, the consumer pulls at its own. The FIFO's fill, measured at each pull
//! and smoothed over about two seconds, steers the consumer's read speed through a PI loop (critically damped,
//! settling in about half a minute): the integral term learns the drift itself, so the fill returns to its target,
//! and the read speed never leaves 1 ± [`MAX_ADJUST`]. Samples are read at the fractional position through a
//! 24-tap windowed-sinc interpolator, so the correction is a pitch change the size of the drift (0.5 % ≈ 9 cents,
//! inaudible) with no clicks. Frame-sized pushes and pulls make the measured fill jump by a frame at a time; the
//! smoothing keeps that from wobbling the pitch by more than 0.2 %.
//!
//! Past the hard bounds (a stalled or flooding producer) the FIFO plays silence and refills to its target, or drops
//! the oldest samples down to it; [`DriftStats`] counts both. Measured over a simulated hour of ±0.5 % drift
//! (`tests/it/drift.rs`): with the default target of 60 ms the delay stays within 20 … 95 ms, nothing is dropped
//! or starved, and a 1 kHz tone comes out at 1000 × (1 ± 0.005) Hz ± 2 Hz. The target must cover the producer's
//! and the consumer's chunk sizes: three 20 ms frames suit 20 ms on both sides and 40 ms bursts.
//!
//! **Adaptive target** ([`DriftBuffer::adaptive`]): for a link whose arrival pattern is not known in advance (a
//! Media Stream over TCP: in order, but bunched), the target starts low and follows what the link does. At every
//! pull the buffer needs one pull's worth of samples plus the interpolator's reach; the *dip* is how far the fill
//! at a pull lies below its smoothed level. The target is raised at once to cover the deepest dip seen (plus
//! [`MARGIN`]), so a dip that came close to starving (or did starve) is covered from then on, and lowered by at
//! most [`SHRINK_STEP`] every [`WINDOW`] pulls towards what the dips of that window needed: it grows in one pull
//! and shrinks over minutes, by steering the read speed (never a jump). The first fill is trimmed to the target,
//! so a stream that arrives in a burst at its start does not keep that burst as delay.

use std::collections::VecDeque;

use crate::frame::{FRAME_SAMPLES, Frame};
use crate::resample::Kernel;

/// Largest correction of the read speed (±1 %, twice the ±0.5 % drift it is built for).
pub const MAX_ADJUST: f64 = 0.01;
/// Proportional term: read-speed correction per sample of (smoothed) fill error.
pub const KP: f64 = 5.2e-5;
/// Integral term, per sample of fill error per pull: it learns the drift itself, so the fill returns to target.
pub const KI: f64 = 1.0e-7;
/// Weight of each new fill measurement in the smoothed fill (one per pull of a 20 ms frame: ~2 s time constant).
const SMOOTHING: f64 = 1.0 / 100.0;
/// The same for an adaptive target (~0.4 s): its fill is low, so the loop must answer a dip sooner.
const ADAPTIVE_SMOOTHING: f64 = 1.0 / 20.0;
/// Interpolator reach either side, samples (adds this much delay).
const HALF_TAPS: usize = 12;
/// Adaptive target: the headroom (samples, 2 ms) kept above the deepest dip.
pub const MARGIN: usize = 16;
/// Adaptive target: pulls between two growths (0.5 s, about the loop's reaction time to the last one).
pub const GROW_PULLS: u32 = 25;
/// Adaptive target: pulls over which the dips are watched before the target may shrink (10 s of 20 ms pulls).
pub const WINDOW: u32 = 500;
/// Adaptive target: the most it shrinks per [`WINDOW`] (samples: 1 ms per 10 s).
pub const SHRINK_STEP: usize = 8;

/// What the FIFO has had to do beyond steering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriftStats {
    /// Samples dropped because the fill passed the upper bound.
    pub dropped: u64,
    /// Samples of silence played because the FIFO ran dry.
    pub starved: u64,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct DriftBuffer {
    /// `HALF_TAPS` samples of history, then the samples not yet played.
    fifo: VecDeque<i16>,
    /// Fractional read position past the history.
    pos: f64,
    target: usize,
    max: usize,
    smoothed: f64,
    integral: f64,
    ratio: f64,
    /// Whether playing has ever started (the loop waits for the first fill).
    started: bool,
    playing: bool,
    kernel: Kernel,
    stats: DriftStats,
    /// `Some` for an adaptive target (see the module documentation).
    adapt: Option<Adapt>,
}

/// The adaptive target's range and what the current window has seen.
#[derive(Clone, Copy, Debug)]
struct Adapt {
    min: usize,
    max: usize,
    /// The lowest fill at a pull in this window, samples.
    low: f64,
    pulls: u32,
    /// Pulls since the target last grew.
    since_growth: u32,
}

impl Default for DriftBuffer {
    /// Target 60 ms (three frames), upper bound 160 ms.
    fn default() -> Self {
        DriftBuffer::new(3 * FRAME_SAMPLES, 8 * FRAME_SAMPLES)
    }
}

impl DriftBuffer {
    /// A FIFO that keeps its fill around `target` samples and never above `max`.
    pub fn new(target: usize, max: usize) -> DriftBuffer {
        DriftBuffer {
            fifo: VecDeque::from(vec![0; HALF_TAPS]),
            pos: 0.0,
            target,
            max: max.max(target + FRAME_SAMPLES),
            smoothed: target as f64,
            integral: 0.0,
            ratio: 1.0,
            started: false,
            playing: false,
            kernel: Kernel::new(HALF_TAPS, 0.47, 7.0),
            stats: DriftStats::default(),
            adapt: None,
        }
    }

    /// A FIFO whose target starts at `min_target` samples and follows the producer's arrival pattern up to
    /// `max_target` (module documentation); never above `max` (at least `max_target` plus a frame).
    pub fn adaptive(min_target: usize, max_target: usize, max: usize) -> DriftBuffer {
        let max_target = max_target.max(min_target);
        DriftBuffer {
            adapt: Some(Adapt {
                min: min_target,
                max: max_target,
                low: f64::MAX,
                pulls: 0,
                since_growth: GROW_PULLS,
            }),
            ..DriftBuffer::new(min_target, max.max(max_target + FRAME_SAMPLES))
        }
    }

    /// The fill the FIFO steers towards now, in samples.
    pub fn target(&self) -> usize {
        self.target
    }

    /// Samples waiting to be played: the delay the FIFO adds, in samples.
    pub fn fill(&self) -> f64 {
        (self.fifo.len() - HALF_TAPS) as f64 - self.pos
    }

    /// The current read speed (input samples per output sample).
    pub fn ratio(&self) -> f64 {
        self.ratio
    }

    /// What the FIFO has had to do beyond steering.
    pub fn stats(&self) -> DriftStats {
        self.stats
    }

    /// Adds the producer's samples.
    pub fn push(&mut self, samples: &[i16]) {
        self.fifo.extend(samples);
        if self.fill() > self.max as f64 {
            let excess = (self.fill() - self.target as f64) as usize;
            self.fifo.drain(HALF_TAPS..HALF_TAPS + excess);
            self.stats.dropped += excess as u64;
            self.smoothed = self.target as f64;
        }
    }

    /// Fills `out` with the consumer's next samples.
    pub fn pull(&mut self, out: &mut [i16]) {
        let fill = self.fill();
        if self.started {
            if self.playing {
                self.adapt_target(fill, out.len());
            }
            // Steer on every pull, refilling or not (a refill that hid the shortfall from the loop would let it
            // settle into starving and refilling for ever); learn the drift only while playing (no wind-up during
            // a stalled producer).
            let smoothing = if self.adapt.is_some() {
                ADAPTIVE_SMOOTHING
            } else {
                SMOOTHING
            };
            self.smoothed += (fill - self.smoothed) * smoothing;
            let error = self.smoothed - self.target as f64;
            if self.playing {
                self.integral = (self.integral + error * KI).clamp(-MAX_ADJUST, MAX_ADJUST);
            }
            self.ratio = 1.0 + (error * KP + self.integral).clamp(-MAX_ADJUST, MAX_ADJUST);
        }
        if !self.playing {
            if fill < (self.target + HALF_TAPS) as f64 {
                out.fill(0);
                return;
            }
            if !self.started {
                self.started = true;
                if self.adapt.is_some() {
                    let excess = (fill - self.target as f64) as usize;
                    self.fifo.drain(HALF_TAPS..HALF_TAPS + excess);
                }
                self.smoothed = self.fill();
            }
            self.playing = true;
        }
        for (i, s) in out.iter_mut().enumerate() {
            // The interpolator needs HALF_TAPS samples beyond the read position.
            if self.fill() < HALF_TAPS as f64 + 1.0 {
                self.stats.starved += (out.len() - i) as u64;
                out[i..].fill(0);
                self.playing = false;
                return;
            }
            *s = self.interpolate();
            self.pos += self.ratio;
            let whole = self.pos.floor();
            self.fifo.drain(..whole as usize);
            self.pos -= whole;
        }
    }

    /// Adaptive target (while playing): grows by the shortfall when a pull finds less than it needs plus the
    /// margin (once per [`GROW_PULLS`], the loop's reaction time), shrinks by the spare headroom (at most
    /// [`SHRINK_STEP`]) after a [`WINDOW`] whose lowest fill left some (module docs).
    fn adapt_target(&mut self, fill: f64, pull: usize) {
        let Some(adapt) = &mut self.adapt else {
            return;
        };
        // What one pull takes at the fastest read speed, plus the interpolator's reach, plus the margin.
        let need = pull as f64 * (1.0 + MAX_ADJUST) + (HALF_TAPS + 1 + MARGIN) as f64;
        adapt.low = adapt.low.min(fill);
        adapt.pulls += 1;
        adapt.since_growth = adapt.since_growth.saturating_add(1);
        if fill < need && adapt.since_growth >= GROW_PULLS {
            self.target = (self.target + (need - fill).ceil() as usize).min(adapt.max);
            adapt.since_growth = 0;
        }
        if adapt.pulls >= WINDOW {
            let spare = (adapt.low - need).max(0.0) as usize;
            let shrink = spare.min(SHRINK_STEP).min(self.target - adapt.min);
            self.target -= shrink;
            adapt.low = f64::MAX;
            adapt.pulls = 0;
        }
    }

    /// The consumer's next 20 ms.
    pub fn pull_frame(&mut self) -> Frame {
        let mut frame = Frame::SILENCE;
        self.pull(&mut frame.0);
        frame
    }

    /// The sample at the read position, from the samples either side of it.
    fn interpolate(&self) -> i16 {
        let at = HALF_TAPS as f64 + self.pos;
        let acc: f64 = (1..=2 * HALF_TAPS)
            .map(|j| f64::from(self.fifo[j]) * self.kernel.at(at - j as f64))
            .sum();
        acc.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
    }
}
