//! The hybrid's mixing, one 20 ms tick at a time, without any I/O (the engine feeds it; tests call it directly).
//!
//! Inputs: the studio (the desk's mix-minus into the sound card), each line's caller, and hold music. Outputs:
//! what each line's caller hears, and the sound card's playback channels.
//! * a line **on the air** hears the studio and every other line on the air — never itself (mix-minus);
//! * a line **on hold** hears the programme (the studio input) or hold music (`PIPHONE_HYBRID_HOLD`);
//! * playback: channel n carries line n's caller while on the air (`per-line`), or one channel carries every
//!   line on the air (`mix`).
//!
//! Every output goes through its own soft limiter (`audio::mixer`), so sums never wrap around. Each input's level
//! is metered once here; the engine publishes the levels.

use audio::Frame;
use audio::analyse::Meter;
use audio::mixer::Mixer;

use super::lines::Route;
use crate::settings::hybrid::{Hold, HybridSettings, Output};

/// The levels of one moment, dBFS over the last second.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Levels {
    pub studio: f64,
    /// Each line's caller (index 0 = line 1).
    pub lines: Vec<f64>,
}

/// What one tick produced.
#[derive(Debug, Clone)]
pub struct Tick {
    /// What each line's caller hears (index 0 = line 1).
    pub to_lines: Vec<Frame>,
    /// The playback channels.
    pub playback: Vec<Frame>,
}

/// The mixer of a hybrid with `lines` lines.
pub struct MixCore {
    mixer: Mixer,
    lines: usize,
    output: Output,
    hold: Hold,
    routing: Vec<Route>,
    music: Vec<i16>,
    music_pos: usize,
    meters: Vec<Meter>,
}

impl MixCore {
    /// `music`: the hold-music loop, 8 kHz mono (used with `PIPHONE_HYBRID_HOLD=music`).
    pub fn new(settings: &HybridSettings, music: Vec<i16>) -> MixCore {
        let lines = usize::from(settings.lines);
        let outputs = lines + usize::from(settings.output_channels());
        MixCore {
            // studio, the lines, music
            mixer: Mixer::new(lines + 2, outputs),
            lines,
            output: settings.output,
            hold: settings.hold,
            routing: vec![Route::Idle; lines],
            music,
            music_pos: 0,
            meters: vec![Meter::default(); lines + 1],
        }
    }

    fn music_input(&self) -> usize {
        self.lines + 1
    }

    /// Sets what each line does (index 0 = line 1) and the gains that follow from it.
    pub fn set_routing(&mut self, routing: &[Route]) {
        if routing == self.routing.as_slice() {
            return;
        }
        self.routing = routing.to_vec();
        self.routing.resize(self.lines, Route::Idle);
        let on_air: Vec<usize> = (0..self.lines)
            .filter(|&i| self.routing[i] == Route::OnAir)
            .collect();
        for i in 0..self.lines {
            let sources: Vec<(usize, f32)> = match self.routing[i] {
                Route::Idle => Vec::new(),
                Route::OnAir => std::iter::once(0)
                    .chain(on_air.iter().filter(|&&j| j != i).map(|&j| j + 1))
                    .map(|input| (input, 1.0))
                    .collect(),
                Route::Hold => match self.hold {
                    Hold::Program => vec![(0, 1.0)],
                    Hold::Music => vec![(self.music_input(), 1.0)],
                },
            };
            self.mixer.set_output(i, &sources);
        }
        match self.output {
            Output::PerLine => {
                for i in 0..self.lines {
                    let sources: &[(usize, f32)] = if on_air.contains(&i) {
                        &[(i + 1, 1.0)]
                    } else {
                        &[]
                    };
                    self.mixer.set_output(self.lines + i, sources);
                }
            }
            Output::Mix => {
                let sources: Vec<(usize, f32)> = on_air.iter().map(|&j| (j + 1, 1.0)).collect();
                self.mixer.set_output(self.lines, &sources);
            }
        }
    }

    fn next_music(&mut self) -> Frame {
        if self.music.is_empty() {
            return Frame::SILENCE;
        }
        let mut frame = Frame::SILENCE;
        for s in frame.0.iter_mut() {
            *s = self.music[self.music_pos];
            self.music_pos = (self.music_pos + 1) % self.music.len();
        }
        frame
    }

    /// One tick: the studio's frame and each line's (`lines[i]` = line i+1; silence for a line without a caller).
    pub fn tick(&mut self, studio: Frame, lines: &[Frame]) -> Tick {
        let mut inputs = Vec::with_capacity(self.lines + 2);
        inputs.push(studio);
        inputs.extend((0..self.lines).map(|i| lines.get(i).copied().unwrap_or(Frame::SILENCE)));
        let music = if self.hold == Hold::Music && self.routing.contains(&Route::Hold) {
            self.next_music()
        } else {
            Frame::SILENCE
        };
        inputs.push(music);
        for (meter, frame) in self.meters.iter_mut().zip(&inputs) {
            meter.push(frame.samples());
        }
        let mut out = self.mixer.mix(&inputs);
        let playback = out.split_off(self.lines);
        Tick {
            to_lines: out,
            playback,
        }
    }

    /// The inputs' levels now.
    pub fn levels(&self) -> Levels {
        Levels {
            studio: self.meters[0].level_dbfs(),
            lines: self.meters[1..].iter().map(Meter::level_dbfs).collect(),
        }
    }
}

#[cfg(test)]
mod tests;
