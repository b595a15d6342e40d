//! The kiosk section (`PIPHONE_KIOSK_*`), read from the same sources as every other setting: defaults →
//! `piphone.toml` (`kiosk_user = "…"`) → environment.

use std::path::PathBuf;

use super::sources::Sources;
use super::{SettingsError, invalid, parse_bool};
use crate::domain::Username;

/// Which phone the kiosk is: a Chromium running the browser phone (the default), or the server's own
/// browserless phone on Media Streams (`crate::phone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KioskEngine {
    #[default]
    Chromium,
    Stream,
}

impl std::fmt::Display for KioskEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KioskEngine::Chromium => "chromium",
            KioskEngine::Stream => "stream",
        })
    }
}

/// The effective kiosk settings. With the Chromium engine only `piphone kiosk` uses them (the server learns the
/// options from the session); with the stream engine the server holds the phone and reads them itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSettings {
    /// The account the kiosk browser signs in as; created with role caller on first use.
    pub user: Username,
    /// Accept incoming calls without a button press.
    pub auto_answer: bool,
    /// The Chromium binary; `None`: the first of `chromium`, `chromium-browser`, `google-chrome` on `PATH`.
    pub chromium: Option<PathBuf>,
    /// Extra Chromium flags, whitespace-separated (e.g. `--use-fake-device-for-media-stream` in tests).
    pub chromium_flags: Vec<String>,
    /// Run Chromium without a window (the default). `false` shows the phone full-screen on an attached display.
    pub headless: bool,
    /// The microphone and speaker to use, by (part of) the name the browser shows (`piphone status` lists them);
    /// stored as the kiosk user's choice at start. `None`: keep the user's saved choice.
    pub audio_input: Option<String>,
    pub audio_output: Option<String>,
    /// `chromium` (default) or `stream`: with `stream` the server holds the phone and `piphone kiosk` starts no
    /// browser.
    pub engine: KioskEngine,
    /// The stream phone's microphone and speaker: `alsa:DEVICE` or `file:PATH` (WAV), as written; parsed by
    /// `media::device` when the server starts.
    pub phone_capture: String,
    pub phone_playback: String,
}

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings {
            user: Username::parse("kiosk").expect("a valid username"),
            auto_answer: false,
            chromium: None,
            chromium_flags: Vec::new(),
            headless: true,
            audio_input: None,
            audio_output: None,
            engine: KioskEngine::Chromium,
            phone_capture: "alsa:default".into(),
            phone_playback: "alsa:default".into(),
        }
    }
}

impl KioskSettings {
    /// Environment first, then the file, then the defaults.
    pub(crate) fn from_sources(src: &mut Sources<'_>) -> Result<KioskSettings, SettingsError> {
        let defaults = KioskSettings::default();
        let mut flag = |name: &'static str, default: bool| match src.get(name) {
            Some(raw) => parse_bool(name, &raw),
            None => Ok(default),
        };
        let auto_answer = flag("PIPHONE_KIOSK_AUTO_ANSWER", defaults.auto_answer)?;
        let headless = flag("PIPHONE_KIOSK_HEADLESS", defaults.headless)?;
        let user = match src.get("PIPHONE_KIOSK_USER") {
            Some(raw) => {
                Username::parse(&raw).map_err(|e| invalid("PIPHONE_KIOSK_USER", e.to_string()))?
            }
            None => defaults.user,
        };
        let engine = match src.get("PIPHONE_KIOSK_ENGINE").as_deref() {
            None => defaults.engine,
            Some("chromium") => KioskEngine::Chromium,
            Some("stream") => KioskEngine::Stream,
            Some(other) => {
                return Err(invalid(
                    "PIPHONE_KIOSK_ENGINE",
                    format!("{other:?}: use chromium or stream"),
                ));
            }
        };
        Ok(KioskSettings {
            user,
            auto_answer,
            chromium: src.get("PIPHONE_KIOSK_CHROMIUM").map(PathBuf::from),
            chromium_flags: src
                .get("PIPHONE_KIOSK_CHROMIUM_FLAGS")
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            headless,
            audio_input: src.get("PIPHONE_KIOSK_AUDIO_INPUT"),
            audio_output: src.get("PIPHONE_KIOSK_AUDIO_OUTPUT"),
            engine,
            phone_capture: src
                .get("PIPHONE_PHONE_CAPTURE")
                .unwrap_or(defaults.phone_capture),
            phone_playback: src
                .get("PIPHONE_PHONE_PLAYBACK")
                .unwrap_or(defaults.phone_playback),
        })
    }

    /// `(file key, value)` lines for `piphone config check`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        vec![
            ("kiosk_user", self.user.to_string()),
            ("kiosk_auto_answer", self.auto_answer.to_string()),
            (
                "kiosk_chromium",
                self.chromium
                    .as_ref()
                    .map_or_else(|| "(found on PATH)".into(), |p| p.display().to_string()),
            ),
            (
                "kiosk_chromium_flags",
                if self.chromium_flags.is_empty() {
                    "(none)".into()
                } else {
                    self.chromium_flags.join(" ")
                },
            ),
            ("kiosk_headless", self.headless.to_string()),
            (
                "kiosk_audio_input",
                self.audio_input
                    .clone()
                    .unwrap_or_else(|| "(saved choice)".into()),
            ),
            (
                "kiosk_audio_output",
                self.audio_output
                    .clone()
                    .unwrap_or_else(|| "(saved choice)".into()),
            ),
            ("kiosk_engine", self.engine.to_string()),
            ("phone_capture", self.phone_capture.clone()),
            ("phone_playback", self.phone_playback.clone()),
        ]
    }
}
