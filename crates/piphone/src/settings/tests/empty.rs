//! The one rule for empty values, for every known name: `NAME=""` (or blank), a file value `""` and Twilio's
//! fallback name set empty all give exactly the settings of the name not set at all.

use std::collections::BTreeMap;

use super::env;
use crate::settings::names::KNOWN;
use crate::settings::{Settings, SettingsError};

/// A valid value (TOML) for every settings-file key, so that every name is set in the full file.
const SAMPLE: &[(&str, &str)] = &[
    ("listen", "\"127.0.0.1:9000\""),
    ("public_url", "\"https://phone.example.com\""),
    ("data_dir", "\"/tmp/piphone-empty-test\""),
    (
        "database_url",
        "\"sqlite:///tmp/piphone-empty-test/x.sqlite\"",
    ),
    ("tls", "\"on\""),
    ("tls_cert", "\"/tmp/cert.pem\""),
    ("tls_key", "\"/tmp/key.pem\""),
    (
        "twilio_account_sid",
        "\"AC0123456789abcdef0123456789abcdef\"",
    ),
    ("twilio_auth_token", "\"token\""),
    (
        "twilio_api_key_sid",
        "\"SK0123456789abcdef0123456789abcdef\"",
    ),
    ("twilio_api_key_secret", "\"keysecret\""),
    ("twilio_app_sid", "\"AP0123456789abcdef0123456789abcdef\""),
    ("twilio_api_url", "\"http://127.0.0.1:9\""),
    ("caller_id", "\"+14155550100\""),
    ("default_number", "\"+14155550101\""),
    ("dial_countries", "[\"US\", \"GB\"]"),
    ("admin_password", "\"adminpw\""),
    ("sandbox_speed", "10"),
    ("sandbox_url", "\"http://127.0.0.1:8444\""),
    ("max_calls_per_day", "5"),
    ("max_concurrent_calls", "1"),
    ("incoming_mode", "\"ring\""),
    ("callin_queue", "\"q\""),
    ("callin_greeting", "\"Hello\""),
    ("hold_music_url", "\"https://example.com/hold.mp3\""),
    ("queue_max_size", "7"),
    ("queue_announce_every", "2"),
    ("queue_poll_secs", "0.5"),
    ("screened_only", "true"),
    ("call_log_days", "3"),
    ("kiosk_user", "\"door\""),
    ("kiosk_auto_answer", "true"),
    ("kiosk_chromium", "\"/usr/bin/chromium\""),
    ("kiosk_chromium_flags", "\"--x\""),
    ("kiosk_headless", "false"),
    ("kiosk_audio_input", "\"USB\""),
    ("kiosk_audio_output", "\"HDMI\""),
    ("onair", "\"hybrid\""),
    ("hybrid_lines", "2"),
    ("hybrid_hold", "\"music\""),
    ("hybrid_output", "\"mix\""),
    ("hybrid_capture", "\"file:/tmp/studio.wav\""),
    ("hybrid_playback", "\"alsa:hw:1,0\""),
];

/// The settings (or the error) as text: everything, secrets aside, shows in `Debug`; secrets show set or not.
/// The settings file's own path is left out (the cases compare different files).
fn load(env: &BTreeMap<String, String>) -> String {
    let loaded: Result<Settings, SettingsError> = Settings::from_sources(env).map(|(mut s, _)| {
        s.config_file = None;
        s
    });
    format!("{loaded:?}")
}

/// The keys that cannot be set together with `key`: a sandbox URL is refused beside Twilio credentials.
fn conflicting(key: &str) -> Vec<&'static str> {
    if key == "sandbox_url" {
        KNOWN
            .iter()
            .filter(|n| n.twilio.is_some())
            .filter_map(|n| n.file_key)
            .collect()
    } else {
        vec!["sandbox_url"]
    }
}

/// A settings file with the sample of every key that goes with `key` (`key`'s own left out when `drop`), plus
/// `extra` lines; returns its path.
fn file(dir: &std::path::Path, key: &str, drop: bool, extra: &str) -> String {
    let skip = conflicting(key);
    let mut text: String = SAMPLE
        .iter()
        .filter(|(k, _)| !(skip.contains(k) || (drop && *k == key)))
        .map(|(k, value)| format!("{k} = {value}\n"))
        .collect();
    text.push_str(extra);
    let path = dir.join(format!("{key}-{drop}-{}.toml", extra.len()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn every_settings_file_key_has_a_sample() {
    for name in KNOWN {
        if let Some(key) = name.file_key {
            assert!(SAMPLE.iter().any(|(k, _)| *k == key), "no sample for {key}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for key in ["", "sandbox_url"] {
        let full = file(dir.path(), key, false, "");
        let loaded = load(&env(&[("PIPHONE_CONFIG", &full)]));
        assert!(loaded.starts_with("Ok("), "the samples are valid: {loaded}");
    }
}

#[test]
fn an_empty_value_is_the_same_as_no_value_for_every_name() {
    let dir = tempfile::tempdir().unwrap();
    for name in KNOWN {
        let key = name.file_key.unwrap_or_default();
        let full = file(dir.path(), key, false, "");
        for var in [Some(name.env), name.twilio].into_iter().flatten() {
            for empty in ["", "  "] {
                // Nothing else set: the default.
                assert_eq!(
                    load(&env(&[(var, empty)])),
                    load(&env(&[])),
                    "{var}={empty:?} without a settings file"
                );
                if name.env == "PIPHONE_CONFIG" {
                    continue;
                }
                // The file sets it: the file's value.
                assert_eq!(
                    load(&env(&[("PIPHONE_CONFIG", &full), (var, empty)])),
                    load(&env(&[("PIPHONE_CONFIG", &full)])),
                    "{var}={empty:?} over a settings file that sets it"
                );
            }
        }
        if name.file_key.is_some() {
            let without = file(dir.path(), key, true, "");
            let blank = file(dir.path(), key, true, &format!("{key} = \"\"\n"));
            assert_eq!(
                load(&env(&[("PIPHONE_CONFIG", &blank)])),
                load(&env(&[("PIPHONE_CONFIG", &without)])),
                "{key} = \"\" in the settings file"
            );
        }
    }
}
