//! Twilio's usual variable names as fallbacks, and which source supplied each value.

use super::env;
use crate::settings::names::{self, KNOWN};
use crate::settings::{Origin, ReportLine, Settings, SettingsError};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const OTHER_ACCOUNT: &str = "ACffffffffffffffffffffffffffffffff";
const KEY: &str = "SK0123456789abcdef0123456789abcdef";
const APP: &str = "AP0123456789abcdef0123456789abcdef";

/// All five credentials under Twilio's names.
fn twilio_names() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TWILIO_ACCOUNT_SID", ACCOUNT),
        ("TWILIO_AUTH_TOKEN", "twiliotokenvalue"),
        ("TWILIO_API_KEY", KEY),
        ("TWILIO_API_SECRET", "twiliokeysecretvalue"),
        ("TWILIO_TWIML_APP_SID", APP),
    ]
}

fn line<'a>(lines: &'a [ReportLine], key: &str) -> &'a ReportLine {
    lines
        .iter()
        .find(|l| l.key == key)
        .unwrap_or_else(|| panic!("no line {key}"))
}

#[test]
fn twilio_names_supply_the_credentials() {
    let (s, warnings) = Settings::from_sources(&env(&twilio_names())).unwrap();
    assert!(
        warnings.is_empty(),
        "Twilio's names are known: {warnings:?}"
    );
    let t = s.twilio.as_ref().expect("Twilio mode");
    assert_eq!(t.account_sid, ACCOUNT);
    assert_eq!(t.api_key_sid, KEY);
    assert_eq!(t.app_sid, APP);
    assert_eq!(t.auth_token.expose(), "twiliotokenvalue");
    assert_eq!(t.api_key_secret.expose(), "twiliokeysecretvalue");
    for (var, _) in twilio_names() {
        let name = names::by_env(var).unwrap();
        assert_eq!(s.origins.of(name.env), Origin::Env(var), "{}", name.env);
    }
}

#[test]
fn piphone_names_win_over_twilio_names() {
    let mut pairs = twilio_names();
    pairs.push(("PIPHONE_TWILIO_ACCOUNT_SID", OTHER_ACCOUNT));
    let (s, _) = Settings::from_sources(&env(&pairs)).unwrap();
    assert_eq!(s.twilio.as_ref().unwrap().account_sid, OTHER_ACCOUNT);
    for (name, origin) in [
        ("PIPHONE_TWILIO_ACCOUNT_SID", "PIPHONE_TWILIO_ACCOUNT_SID"),
        ("PIPHONE_TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN"),
    ] {
        assert_eq!(s.origins.of(name), Origin::Env(origin), "{name}");
    }
}

#[test]
fn the_settings_file_wins_over_twilio_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piphone.toml");
    std::fs::write(&path, format!("twilio_account_sid = \"{OTHER_ACCOUNT}\"\n")).unwrap();
    let mut pairs = twilio_names();
    pairs.push(("PIPHONE_CONFIG", path.to_str().unwrap()));
    let (s, _) = Settings::from_sources(&env(&pairs)).unwrap();
    assert_eq!(s.twilio.as_ref().unwrap().account_sid, OTHER_ACCOUNT);
    assert_eq!(s.origins.of("PIPHONE_TWILIO_ACCOUNT_SID"), Origin::File);
    let lines = s.redacted_lines();
    assert_eq!(
        line(&lines, "twilio_account_sid").source,
        path.display().to_string()
    );
}

#[test]
fn incomplete_credentials_say_which_name_gave_what() {
    let err = Settings::from_sources(&env(&[
        ("TWILIO_ACCOUNT_SID", ACCOUNT),
        ("TWILIO_AUTH_TOKEN", "twiliotokenvalue"),
    ]))
    .unwrap_err();
    let SettingsError::IncompleteTwilio { missing, given } = &err else {
        panic!("expected IncompleteTwilio, got {err}");
    };
    assert!(missing.contains("PIPHONE_TWILIO_API_KEY_SID"), "{missing}");
    assert_eq!(given, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN");
    assert!(!err.to_string().contains("twiliotokenvalue"), "{err}");
}

#[test]
fn the_report_lists_every_setting_once_with_its_source_and_no_secret() {
    let mut pairs = twilio_names();
    pairs.extend([
        ("PIPHONE_TWILIO_AUTH_TOKEN", "piphonetokenvalue"),
        ("PIPHONE_LISTEN", "127.0.0.1:9001"),
        ("PIPHONE_ADMIN_PASSWORD", "adminpw123"),
    ]);
    let (s, _) = Settings::from_sources(&env(&pairs)).unwrap();
    let lines = s.redacted_lines();
    for name in KNOWN {
        if let Some(key) = name.file_key {
            assert_eq!(
                lines.iter().filter(|l| l.key == key).count(),
                1,
                "{key} is listed once"
            );
        }
    }
    let expect = [
        ("listen", "127.0.0.1:9001", "PIPHONE_LISTEN"),
        ("sandbox_speed", "1", "default"),
        ("twilio_account_sid", ACCOUNT, "TWILIO_ACCOUNT_SID"),
        ("twilio_auth_token", "***", "PIPHONE_TWILIO_AUTH_TOKEN"),
        ("twilio_api_key_secret", "***", "TWILIO_API_SECRET"),
        ("admin_password", "***", "PIPHONE_ADMIN_PASSWORD"),
        ("mode", "twilio", "derived"),
    ];
    for (key, value, source) in expect {
        let l = line(&lines, key);
        assert_eq!(
            (l.value.as_str(), l.source.as_str()),
            (value, source),
            "{key}"
        );
    }
    let printed = format!("{lines:?}");
    for secret in [
        "twiliotokenvalue",
        "piphonetokenvalue",
        "twiliokeysecretvalue",
        "adminpw123",
    ] {
        assert!(!printed.contains(secret), "the report leaks {secret}");
    }
    let (sandbox, _) = Settings::from_sources(&env(&[])).unwrap();
    assert_eq!(
        line(&sandbox.redacted_lines(), "admin_password").value,
        "(not set)"
    );
}
