//! The studio hybrid section (`PIPHONE_ONAIR`, `PIPHONE_HYBRID_*`), read from the same sources as every other
//! setting. The devices are kept as written (`alsa:DEV` or `file:PATH`, checked for shape here); the media layer
//! opens them (`media::device::DeviceSpec`).

use super::sources::Sources;
use super::{SettingsError, invalid, parse_as};

/// Most lines a hybrid may have (one sound-card channel each).
pub const MAX_LINES: u8 = 8;

/// Where callers go on the air (`PIPHONE_ONAIR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnAir {
    /// The host takes callers in the console's browser phone (the default).
    Browser,
    /// Callers are put on the lines of the studio hybrid: the station's sound card, one channel per line.
    Hybrid,
}

/// What a line on hold hears (`PIPHONE_HYBRID_HOLD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The programme: the studio input.
    Program,
    /// piphone's hold music.
    Music,
}

/// What the sound card's outputs carry (`PIPHONE_HYBRID_OUTPUT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One channel per line (channel n = line n's caller), each on its own fader of the desk.
    PerLine,
    /// One channel: every line on air mixed.
    Mix,
}

/// The effective hybrid settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HybridSettings {
    pub onair: OnAir,
    /// Lines, 1 to [`MAX_LINES`].
    pub lines: u8,
    pub hold: Hold,
    pub output: Output,
    /// The studio input (the desk's mix-minus): `alsa:DEVICE` or `file:PATH`.
    pub capture: String,
    /// The lines' outputs to the desk: `alsa:DEVICE` or `file:PATH`.
    pub playback: String,
}

/// The default sound device.
pub const DEFAULT_DEVICE: &str = "alsa:default";

impl Default for HybridSettings {
    fn default() -> Self {
        HybridSettings {
            onair: OnAir::Browser,
            lines: 4,
            hold: Hold::Program,
            output: Output::PerLine,
            capture: DEFAULT_DEVICE.into(),
            playback: DEFAULT_DEVICE.into(),
        }
    }
}

impl HybridSettings {
    /// Whether callers go on the air through the hybrid.
    pub fn enabled(&self) -> bool {
        self.onair == OnAir::Hybrid
    }

    /// How many playback channels the outputs need.
    pub fn output_channels(&self) -> u16 {
        match self.output {
            Output::PerLine => u16::from(self.lines),
            Output::Mix => 1,
        }
    }

    /// Environment first, then the file, then the defaults.
    pub(crate) fn from_sources(src: &mut Sources<'_>) -> Result<HybridSettings, SettingsError> {
        let d = HybridSettings::default();
        let onair = match src.get("PIPHONE_ONAIR").as_deref() {
            None | Some("browser") => OnAir::Browser,
            Some("hybrid") => OnAir::Hybrid,
            Some(other) => return Err(one_of("PIPHONE_ONAIR", other, "browser or hybrid")),
        };
        let lines = match src.get("PIPHONE_HYBRID_LINES") {
            Some(raw) => {
                let n: u8 = parse_as("PIPHONE_HYBRID_LINES", &raw, "a whole number")?;
                if !(1..=MAX_LINES).contains(&n) {
                    return Err(invalid(
                        "PIPHONE_HYBRID_LINES",
                        format!("{n}: between 1 and {MAX_LINES} lines"),
                    ));
                }
                n
            }
            None => d.lines,
        };
        let hold = match src.get("PIPHONE_HYBRID_HOLD").as_deref() {
            None | Some("program") => Hold::Program,
            Some("music") => Hold::Music,
            Some(other) => return Err(one_of("PIPHONE_HYBRID_HOLD", other, "program or music")),
        };
        let output = match src.get("PIPHONE_HYBRID_OUTPUT").as_deref() {
            None | Some("per-line") => Output::PerLine,
            Some("mix") => Output::Mix,
            Some(other) => return Err(one_of("PIPHONE_HYBRID_OUTPUT", other, "per-line or mix")),
        };
        let mut device = |name: &'static str| match src.get(name) {
            Some(raw) => device(name, raw),
            None => Ok(DEFAULT_DEVICE.to_owned()),
        };
        let capture = device("PIPHONE_HYBRID_CAPTURE")?;
        let playback = device("PIPHONE_HYBRID_PLAYBACK")?;
        Ok(HybridSettings {
            onair,
            lines,
            hold,
            output,
            capture,
            playback,
        })
    }

    /// `(file key, value)` lines for `piphone config check`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "onair",
                if self.enabled() { "hybrid" } else { "browser" }.into(),
            ),
            ("hybrid_lines", self.lines.to_string()),
            (
                "hybrid_hold",
                match self.hold {
                    Hold::Program => "program",
                    Hold::Music => "music",
                }
                .into(),
            ),
            (
                "hybrid_output",
                match self.output {
                    Output::PerLine => "per-line",
                    Output::Mix => "mix",
                }
                .into(),
            ),
            ("hybrid_capture", self.capture.clone()),
            ("hybrid_playback", self.playback.clone()),
        ]
    }
}

fn one_of(name: &'static str, raw: &str, choices: &str) -> SettingsError {
    invalid(name, format!("{raw:?}: use {choices}"))
}

/// `alsa:DEVICE` or `file:PATH`, neither part empty.
fn device(name: &'static str, raw: String) -> Result<String, SettingsError> {
    match raw.split_once(':') {
        Some(("alsa" | "file", rest)) if !rest.is_empty() => Ok(raw),
        _ => Err(invalid(
            name,
            format!(
                "{raw:?}: use alsa:DEVICE (e.g. alsa:default, alsa:hw:1,0) or file:PATH (a WAV file)"
            ),
        )),
    }
}
