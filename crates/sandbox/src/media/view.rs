//! Voices of simulated parties, and what the control API shows of a leg's audio.

use audio::analyse::{dominant_hz, level_dbfs};
use audio::wav::Wav;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Media;

/// How a simulated party sounds: `{"tone_hz": 440}`, `{"speech": "Hello, caller here"}` or `{"echo": true}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Voice {
    /// A steady tone at −12 dBFS.
    ToneHz(f64),
    /// Said again and again (half a second apart) by espeak-ng, or beeps timed like the text without it.
    Speech(String),
    /// Says back what it hears, one 20 ms tick later (the clock lets every party say its frame, then hear one,
    /// so the frame heard on one tick is said on the next). Only `true` is accepted. Keys it hears are said
    /// back too, so an echoed in-band `*` is a keypress of the echoing leg.
    Echo(bool),
}

impl Voice {
    /// Refuses tones outside the telephone band (50 … 3,900 Hz), empty speech and `echo: false`.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Voice::ToneHz(hz) if !(50.0..=3900.0).contains(hz) => {
                Err("tone_hz must be within 50..=3900".into())
            }
            Voice::Speech(text) if text.trim().is_empty() => Err("speech must not be empty".into()),
            Voice::Echo(false) => Err("echo must be true".into()),
            _ => Ok(()),
        }
    }
}

/// How long `text` takes to say, the sandbox's `<Say>` timing: 60 ms per character.
pub fn speech_ms(text: &str) -> u64 {
    60 * text.chars().count().max(1) as u64
}

impl Media {
    /// `{"heard": {packets, dominant_hz, level_dbfs}, "sent": {…}}` over the last second; `None` for an unknown
    /// leg. The analysis runs after the lock is released.
    pub fn view(&self, sid: &str) -> Option<Value> {
        let (heard, sent) = {
            let legs = self.legs();
            let leg = legs.legs.get(sid)?;
            let second = audio::SAMPLE_RATE as usize;
            (
                (leg.heard.frames(), leg.heard.last(second)),
                (leg.sent.frames(), leg.sent.last(second)),
            )
        };
        let describe = |(packets, samples): (u64, Vec<i16>)| {
            json!({
                "packets": packets,
                "dominant_hz": dominant_hz(&samples, audio::SAMPLE_RATE),
                "level_dbfs": level_dbfs(&samples),
            })
        };
        Some(json!({ "heard": describe(heard), "sent": describe(sent) }))
    }

    /// The last 30 s of what leg `sid`'s party heard, as a WAV file (8 kHz mono 16-bit).
    pub fn heard_wav(&self, sid: &str) -> Option<Vec<u8>> {
        let history = self.legs().legs.get(sid)?.heard.history();
        Some(Wav::mono(history, audio::SAMPLE_RATE).to_bytes())
    }
}
