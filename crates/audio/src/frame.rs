//! The unit of audio: 20 ms of 8 kHz mono 16-bit samples, the packet size of PCMU RTP and of Twilio Media Streams.

use crate::g711;

/// Samples per second on a telephone line.
pub const SAMPLE_RATE: u32 = 8_000;
/// Milliseconds per frame.
pub const FRAME_MS: u32 = 20;
/// Samples per frame (and μ-law bytes per Media Streams `media` payload).
pub const FRAME_SAMPLES: usize = (SAMPLE_RATE * FRAME_MS / 1000) as usize;

/// 20 ms of linear audio.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame(pub [i16; FRAME_SAMPLES]);

impl Frame {
    /// A frame of digital silence.
    pub const SILENCE: Frame = Frame([0; FRAME_SAMPLES]);

    /// A frame from up to 160 samples; a short slice is padded with silence, a long one cut.
    pub fn from_samples(samples: &[i16]) -> Frame {
        let mut frame = Frame::SILENCE;
        let n = samples.len().min(FRAME_SAMPLES);
        frame.0[..n].copy_from_slice(&samples[..n]);
        frame
    }

    /// Decodes a μ-law payload (Twilio's `media` payload after base64, or a PCMU RTP payload); a short payload is
    /// padded with silence, a long one cut.
    pub fn from_ulaw(bytes: &[u8]) -> Frame {
        let mut frame = Frame::SILENCE;
        for (s, &b) in frame.0.iter_mut().zip(bytes) {
            *s = g711::ulaw_to_linear(b);
        }
        frame
    }

    /// Encodes the frame as 160 μ-law bytes.
    pub fn to_ulaw(&self) -> [u8; FRAME_SAMPLES] {
        self.0.map(g711::linear_to_ulaw)
    }

    /// The samples.
    pub fn samples(&self) -> &[i16] {
        &self.0
    }

    /// True when every sample is zero.
    pub fn is_silent(&self) -> bool {
        self.0.iter().all(|&s| s == 0)
    }

    /// The frame scaled by `gain` (saturating, not wrapping).
    pub fn scaled(&self, gain: f32) -> Frame {
        Frame(self.0.map(|s| (f32::from(s) * gain).round() as i16))
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame::SILENCE
    }
}

/// Cuts a sample stream into whole frames; a trailing partial frame is padded with silence.
pub fn frames_of(samples: &[i16]) -> impl Iterator<Item = Frame> + '_ {
    samples.chunks(FRAME_SAMPLES).map(Frame::from_samples)
}
