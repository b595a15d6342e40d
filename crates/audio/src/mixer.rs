//! Mixing: a gain matrix from N input frames to M output frames (mix-minus is a matter of which gains are set),
//! each output through its own soft [`Limiter`], so a loud sum is turned down instead of wrapping around or being
//! clipped flat.
//!
//! The studio hybrid's mix-minus: with inputs `studio, line 1, line 2` and both lines on air, the output to line 1
//! is `[(studio, 1.0), (line 2, 1.0)]` — everything on air except line 1 itself.

use crate::frame::{FRAME_SAMPLES, Frame, SAMPLE_RATE};

/// The limiter's ceiling: no output sample exceeds it (−0.5 dBFS).
pub const CEILING: f32 = 30_950.0;
/// Time for the limiter's gain to recover most of the way (1 − 1/e) after a loud passage, seconds.
pub const RELEASE_SECS: f32 = 0.2;

/// A peak limiter: instant attack, slow exponential release. Its gain only ever changes as fast as the release
/// allows except at the very onset of a peak, so a sustained loud mix is turned down smoothly (each tone in it keeps
/// its shape) and nothing is ever clipped. Below the ceiling the signal passes bit-exact.
#[derive(Clone, Debug)]
pub struct Limiter {
    gain: f32,
    release: f32,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            gain: 1.0,
            release: 1.0 - (-1.0 / (RELEASE_SECS * SAMPLE_RATE as f32)).exp(),
        }
    }
}

impl Limiter {
    pub fn new() -> Limiter {
        Limiter::default()
    }

    /// One sample of the mix (any magnitude) to a sample within ±[`CEILING`].
    pub fn process(&mut self, x: f32) -> i16 {
        // The exponential approach stalls in f32 a little short of 1: snap the last 0.01 % (−0.001 dB).
        self.gain = if self.gain > 0.9999 {
            1.0
        } else {
            self.gain + (1.0 - self.gain) * self.release
        };
        let magnitude = x.abs();
        if magnitude * self.gain > CEILING {
            self.gain = CEILING / magnitude;
        }
        (x * self.gain).round().clamp(-CEILING, CEILING) as i16
    }

    /// The current gain (1.0 = not limiting).
    pub fn gain(&self) -> f32 {
        self.gain
    }
}

#[derive(Clone, Debug)]
struct Output {
    gains: Vec<f32>,
    limiter: Limiter,
}

/// A gain matrix from `inputs` frames to `outputs` frames; every gain starts at 0 (an output hears nothing).
#[derive(Clone, Debug)]
pub struct Mixer {
    inputs: usize,
    outputs: Vec<Output>,
}

impl Mixer {
    pub fn new(inputs: usize, outputs: usize) -> Mixer {
        let output = Output {
            gains: vec![0.0; inputs],
            limiter: Limiter::new(),
        };
        Mixer {
            inputs,
            outputs: vec![output; outputs],
        }
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Sets how loud `input` is in `output` (1.0 = as is, 0.0 = not at all).
    pub fn set_gain(&mut self, output: usize, input: usize, gain: f32) {
        self.outputs[output].gains[input] = gain;
    }

    /// How loud `input` is in `output`.
    pub fn gain(&self, output: usize, input: usize) -> f32 {
        self.outputs[output].gains[input]
    }

    /// Makes `output` hear exactly `sources` (input, gain) and nothing else.
    pub fn set_output(&mut self, output: usize, sources: &[(usize, f32)]) {
        let gains = &mut self.outputs[output].gains;
        gains.fill(0.0);
        for &(input, gain) in sources {
            gains[input] = gain;
        }
    }

    /// Mixes one frame of every input (`inputs.len()` must equal [`Mixer::inputs`]) into one frame per output.
    pub fn mix(&mut self, inputs: &[Frame]) -> Vec<Frame> {
        assert_eq!(inputs.len(), self.inputs, "one frame per input");
        self.outputs
            .iter_mut()
            .map(|out| {
                let mut sum = [0.0f32; FRAME_SAMPLES];
                for (frame, &gain) in inputs.iter().zip(&out.gains) {
                    if gain != 0.0 {
                        for (acc, &s) in sum.iter_mut().zip(&frame.0) {
                            *acc += f32::from(s) * gain;
                        }
                    }
                }
                Frame(sum.map(|x| out.limiter.process(x)))
            })
            .collect()
    }
}
