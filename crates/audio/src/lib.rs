//! Telephone audio for piphone, shared by the sandbox, the studio hybrid and the browserless phone.
//!
//! Everything runs on 20 ms [`Frame`]s of 8 kHz mono 16-bit audio: μ-law on the wire ([`g711`]), linear inside.
//!
//! | module | what lives there |
//! |---|---|
//! | [`frame`] | the sample rate, the frame size, the [`Frame`] type |
//! | [`g711`] | μ-law and A-law, byte-for-byte as sox (ITU-T G.711) |
//! | [`tone`] | phase-continuous sine, DTMF digits with on/off timing, silence |
//! | [`analyse`] | level in dBFS, Goertzel, dominant frequency, a rolling meter with history |
//! | [`dtmf`] | an in-band DTMF detector, as a telephone exchange would hear digits |
//! | [`wav`] | 16-bit PCM WAV read/write, a streaming writer that survives a kill |
//! | [`resample`] | windowed-sinc rate conversion (16/44.1/48 kHz files to 8 kHz) |
//! | [`jitter`] | a jitter buffer for sequence-numbered frames |
//! | [`mixer`] | a gain matrix (mix-minus) and a soft limiter |
//! | [`drift`] | a FIFO that absorbs clock drift between two devices with a bounded delay |
//!
//! Levels are in dBFS as AES17 defines them: a full-scale sine measures 0 dBFS, so a tone made at −10 dBFS by
//! [`tone::Sine`] measures −10 dBFS in [`analyse::level_dbfs`].

pub mod analyse;
pub mod drift;
pub mod dtmf;
pub mod frame;
pub mod g711;
pub mod jitter;
pub mod mixer;
pub mod resample;
pub mod tone;
pub mod wav;

pub use frame::{FRAME_MS, FRAME_SAMPLES, Frame, SAMPLE_RATE};
