//! The kiosk's settings (`PIPHONE_KIOSK_*`), parsed by [`crate::settings::Settings::from_sources`] with the same
//! layering as every other setting: defaults → `piphone.toml` (`kiosk_user = "…"`) → environment.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::settings::SettingsError;

/// The environment variables read here.
pub const ENV_NAMES: &[&str] = &[
    "PIPHONE_KIOSK_USER",
    "PIPHONE_KIOSK_AUTO_ANSWER",
    "PIPHONE_KIOSK_CHROMIUM",
    "PIPHONE_KIOSK_CHROMIUM_FLAGS",
    "PIPHONE_KIOSK_HEADLESS",
    "PIPHONE_KIOSK_AUDIO_INPUT",
    "PIPHONE_KIOSK_AUDIO_OUTPUT",
];

/// The effective kiosk settings (only `piphone kiosk` uses them; the server learns the options from the session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskSettings {
    /// The account the kiosk browser signs in as; created with role caller on first use.
    pub user: String,
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
}

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings {
            user: "kiosk".into(),
            auto_answer: false,
            chromium: None,
            chromium_flags: Vec::new(),
            headless: true,
            audio_input: None,
            audio_output: None,
        }
    }
}

/// The settings file's keys for the kiosk (flattened into the file's top level).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileKiosk {
    kiosk_user: Option<String>,
    kiosk_auto_answer: Option<bool>,
    kiosk_chromium: Option<String>,
    kiosk_chromium_flags: Option<String>,
    kiosk_headless: Option<bool>,
    kiosk_audio_input: Option<String>,
    kiosk_audio_output: Option<String>,
}

fn parse_bool(name: &'static str, raw: &str) -> Result<bool, SettingsError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(SettingsError::Invalid {
            name,
            message: format!("{raw:?}: use true or false"),
        }),
    }
}

impl KioskSettings {
    /// Environment first, then the file, then the defaults.
    pub(crate) fn from_sources(
        env: &BTreeMap<String, String>,
        file: &FileKiosk,
    ) -> Result<KioskSettings, SettingsError> {
        let defaults = KioskSettings::default();
        let text = |name: &str, from_file: &Option<String>| {
            env.get(name)
                .cloned()
                .or_else(|| from_file.clone())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let flag = |name: &'static str, from_file: Option<bool>, default: bool| match env.get(name)
        {
            Some(raw) => parse_bool(name, raw),
            None => Ok(from_file.unwrap_or(default)),
        };
        let user = text("PIPHONE_KIOSK_USER", &file.kiosk_user).unwrap_or(defaults.user);
        crate::cli::validate_username(&user).map_err(|e| SettingsError::Invalid {
            name: "PIPHONE_KIOSK_USER",
            message: e.to_string(),
        })?;
        Ok(KioskSettings {
            user,
            auto_answer: flag(
                "PIPHONE_KIOSK_AUTO_ANSWER",
                file.kiosk_auto_answer,
                defaults.auto_answer,
            )?,
            chromium: text("PIPHONE_KIOSK_CHROMIUM", &file.kiosk_chromium).map(PathBuf::from),
            chromium_flags: text("PIPHONE_KIOSK_CHROMIUM_FLAGS", &file.kiosk_chromium_flags)
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            headless: flag(
                "PIPHONE_KIOSK_HEADLESS",
                file.kiosk_headless,
                defaults.headless,
            )?,
            audio_input: text("PIPHONE_KIOSK_AUDIO_INPUT", &file.kiosk_audio_input),
            audio_output: text("PIPHONE_KIOSK_AUDIO_OUTPUT", &file.kiosk_audio_output),
        })
    }

    /// For `config check`.
    pub fn lines(&self) -> Vec<(String, String)> {
        vec![
            ("kiosk_user".into(), self.user.clone()),
            ("kiosk_auto_answer".into(), self.auto_answer.to_string()),
            (
                "kiosk_chromium".into(),
                self.chromium
                    .as_ref()
                    .map_or_else(|| "(found on PATH)".into(), |p| p.display().to_string()),
            ),
            ("kiosk_chromium_flags".into(), self.chromium_flags.join(" ")),
            ("kiosk_headless".into(), self.headless.to_string()),
            (
                "kiosk_audio_input".into(),
                self.audio_input
                    .clone()
                    .unwrap_or_else(|| "(saved choice)".into()),
            ),
            (
                "kiosk_audio_output".into(),
                self.audio_output
                    .clone()
                    .unwrap_or_else(|| "(saved choice)".into()),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::settings::tests::env;

    #[test]
    fn defaults_then_environment() {
        let k = KioskSettings::from_sources(&env(&[]), &FileKiosk::default()).unwrap();
        assert_eq!(k, KioskSettings::default());
        let k = KioskSettings::from_sources(
            &env(&[
                ("PIPHONE_KIOSK_USER", "doorbell"),
                ("PIPHONE_KIOSK_AUTO_ANSWER", "yes"),
                ("PIPHONE_KIOSK_CHROMIUM_FLAGS", " --a  --b=1 "),
            ]),
            &FileKiosk {
                kiosk_user: Some("ignored".into()),
                kiosk_headless: Some(false),
                ..FileKiosk::default()
            },
        )
        .unwrap();
        assert_eq!(k.user, "doorbell");
        assert!(k.auto_answer);
        assert!(
            !k.headless,
            "the file's value when the environment has none"
        );
        assert_eq!(k.chromium_flags, ["--a", "--b=1"]);
    }

    #[test]
    fn a_misspelt_kiosk_variable_is_warned_about() {
        let (settings, warnings) = crate::settings::Settings::from_sources(&env(&[
            ("PIPHONE_KIOSK_AUTO_ANSWER", "true"),
            ("PIPHONE_KIOSK_AUTOANSWER", "true"),
        ]))
        .unwrap();
        assert!(settings.kiosk.auto_answer);
        assert_eq!(
            warnings,
            ["unknown environment variable PIPHONE_KIOSK_AUTOANSWER ignored"]
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("PIPHONE_KIOSK_USER", "no spaces"),
            ("PIPHONE_KIOSK_AUTO_ANSWER", "sometimes"),
        ] {
            let err = KioskSettings::from_sources(&env(&[(name, value)]), &FileKiosk::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
    }
}
