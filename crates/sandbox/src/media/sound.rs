//! What a connection can play on the media clock: clips (speech, WAV files, tones), ringback, a party's voice.

use std::sync::Arc;

use audio::tone::{DtmfSender, DtmfTiming, Sine};
use audio::{FRAME_SAMPLES, Frame};
use tokio::sync::watch;

/// Something that makes one 20 ms [`Frame`] per tick of the media clock.
pub trait Source: Send {
    fn next_frame(&mut self) -> Frame;
}

/// Level of the simulated world's tones and voices: well above −30 dBFS, below clipping when mixed.
pub const LEVEL_DBFS: f64 = -12.0;

/// Audio that may still be loading (speech being synthesised, a WAV being fetched); silence until it arrives.
pub type Pending = watch::Receiver<Option<Arc<Loaded>>>;

/// Loaded audio, with why the real thing could not be had (then `samples` is a stand-in).
#[derive(Debug)]
pub struct Loaded {
    pub samples: Vec<i16>,
    pub error: Option<String>,
}

/// Plays loaded audio once (or again and again with `gap` samples of silence between), silence before it loads.
pub struct Clip {
    audio: Pending,
    pos: usize,
    repeat_gap: Option<usize>,
}

impl Clip {
    pub fn once(audio: Pending) -> Clip {
        Clip {
            audio,
            pos: 0,
            repeat_gap: None,
        }
    }

    pub fn repeating(audio: Pending, gap: usize) -> Clip {
        Clip {
            repeat_gap: Some(gap),
            ..Clip::once(audio)
        }
    }
}

impl Source for Clip {
    fn next_frame(&mut self) -> Frame {
        let audio = self.audio.borrow();
        let Some(loaded) = audio.as_ref() else {
            return Frame::SILENCE;
        };
        let samples = &loaded.samples;
        let cycle = samples.len() + self.repeat_gap.unwrap_or(0);
        let mut frame = Frame::SILENCE;
        for s in &mut frame.0 {
            if self.repeat_gap.is_some() && cycle > 0 {
                self.pos %= cycle;
            }
            *s = samples.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
        }
        frame
    }
}

/// A steady tone (a simulated party's voice).
pub struct Tone(Sine);

impl Tone {
    pub fn new(hz: f64) -> Tone {
        Tone(Sine::new(hz, LEVEL_DBFS))
    }
}

impl Source for Tone {
    fn next_frame(&mut self) -> Frame {
        self.0.frame()
    }
}

/// North American ringback: 440 + 480 Hz, 2 s on, 4 s off (ANSI T1.401).
pub struct Ringback {
    low: Sine,
    high: Sine,
    at: usize,
}

impl Ringback {
    const ON: usize = 2 * audio::SAMPLE_RATE as usize;
    const CYCLE: usize = 6 * audio::SAMPLE_RATE as usize;

    pub fn new() -> Ringback {
        Ringback {
            low: Sine::new(440.0, -19.0),
            high: Sine::new(480.0, -19.0),
            at: 0,
        }
    }
}

impl Source for Ringback {
    fn next_frame(&mut self) -> Frame {
        let on = self.at % Self::CYCLE < Self::ON;
        self.at += FRAME_SAMPLES;
        let mut frame = Frame::SILENCE;
        if on {
            for s in &mut frame.0 {
                *s = (self.low.next_f64() + self.high.next_f64()).round() as i16;
            }
        }
        frame
    }
}

/// Beeps (600 Hz, 150 ms on, 100 ms off) lasting `ms`: `<Say>` without espeak-ng, speech voices without it.
pub fn beeps(ms: u64) -> Vec<i16> {
    let total = (ms * u64::from(audio::SAMPLE_RATE) / 1000) as usize;
    let (on, period) = (
        audio::tone::ms_to_samples(150),
        audio::tone::ms_to_samples(250),
    );
    let mut sine = Sine::new(600.0, LEVEL_DBFS);
    (0..total)
        .map(|i| {
            let s = sine.next_f64().round() as i16;
            if i % period < on { s } else { 0 }
        })
        .collect()
}

/// A short 480 Hz tone: what a `<Play>` the sandbox cannot play sounds like.
pub fn stand_in_tone() -> Vec<i16> {
    Sine::new(480.0, LEVEL_DBFS).take(audio::tone::ms_to_samples(300))
}

/// A party's mouth: its voice, interrupted while it plays DTMF keys in-band.
pub struct Voice {
    voice: Box<dyn Source>,
    keys: DtmfSender,
}

impl Voice {
    pub fn new(voice: Box<dyn Source>) -> Voice {
        Voice {
            voice,
            keys: DtmfSender::new(DtmfTiming::default()),
        }
    }

    /// Plays `digits` in-band before the voice goes on; `Err` names a character that is not a key.
    pub fn press(&mut self, digits: &str) -> Result<(), char> {
        self.keys.push(digits)
    }
}

impl Source for Voice {
    fn next_frame(&mut self) -> Frame {
        if self.keys.is_idle() {
            self.voice.next_frame()
        } else {
            self.keys.next_frame()
        }
    }
}

/// Silence forever (a party with nothing to say, e.g. a browser until its media is terminated).
pub struct Silence;

impl Source for Silence {
    fn next_frame(&mut self) -> Frame {
        Frame::SILENCE
    }
}
