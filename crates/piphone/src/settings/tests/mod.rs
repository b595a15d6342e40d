//! Tests of the settings: layering, validation, redaction; the sections', the empty-value rule's and the sources'
//! in sibling files.

mod callin;
mod empty;
mod hybrid;
mod kiosk;
mod origins;

use super::*;
use crate::settings::sources::Sources;

/// An environment map from pairs.
pub(crate) fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_mean_sandbox_on_loopback() {
    let (s, warnings) = Settings::from_sources(&env(&[])).unwrap();
    assert!(s.sandbox());
    assert_eq!(s.listen.to_string(), "127.0.0.1:8443");
    assert_eq!(s.tls, TlsMode::SelfSigned);
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn partial_twilio_credentials_name_what_is_missing() {
    let err = Settings::from_sources(&env(&[(
        "PIPHONE_TWILIO_ACCOUNT_SID",
        "AC0123456789abcdef0123456789abcdef",
    )]))
    .unwrap_err();
    let SettingsError::IncompleteTwilio { missing, .. } = &err else {
        panic!("expected IncompleteTwilio, got {err}");
    };
    assert!(missing.contains("PIPHONE_TWILIO_AUTH_TOKEN"), "{missing}");
    assert!(missing.contains("PIPHONE_TWILIO_APP_SID"), "{missing}");
    assert!(!missing.contains("PIPHONE_TWILIO_ACCOUNT_SID"), "{missing}");
    assert!(err.to_string().contains(missing.as_str()));
}

#[test]
fn bad_sid_is_refused_without_echoing_secrets() {
    let err = Settings::from_sources(&env(&[
        (
            "PIPHONE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef",
        ),
        ("PIPHONE_TWILIO_AUTH_TOKEN", "supersecrettoken"),
        (
            "PIPHONE_TWILIO_API_KEY_SID",
            "XX0123456789abcdef0123456789abcdef",
        ),
        ("PIPHONE_TWILIO_API_KEY_SECRET", "keysecret"),
        (
            "PIPHONE_TWILIO_APP_SID",
            "AP0123456789abcdef0123456789abcdef",
        ),
    ]))
    .unwrap_err()
    .to_string();
    assert!(err.contains("PIPHONE_TWILIO_API_KEY_SID"), "{err}");
    assert!(
        !err.contains("supersecret") && !err.contains("keysecret"),
        "{err}"
    );
}

#[test]
fn secrets_are_redacted_in_debug_and_listing() {
    let (s, _) = Settings::from_sources(&env(&[
        (
            "PIPHONE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef",
        ),
        ("PIPHONE_TWILIO_AUTH_TOKEN", "supersecrettoken"),
        (
            "PIPHONE_TWILIO_API_KEY_SID",
            "SK0123456789abcdef0123456789abcdef",
        ),
        ("PIPHONE_TWILIO_API_KEY_SECRET", "keysecretvalue"),
        (
            "PIPHONE_TWILIO_APP_SID",
            "AP0123456789abcdef0123456789abcdef",
        ),
        ("PIPHONE_ADMIN_PASSWORD", "adminpw123"),
    ]))
    .unwrap();
    let debug = format!("{s:?}");
    let listing = format!("{:?}", s.redacted_lines());
    for secret in ["supersecrettoken", "keysecretvalue", "adminpw123"] {
        assert!(!debug.contains(secret), "Debug leaks {secret}");
        assert!(!listing.contains(secret), "listing leaks {secret}");
    }
}

#[test]
fn invalid_values_name_the_variable() {
    for (name, value) in [
        ("PIPHONE_LISTEN", "not-an-address"),
        ("PIPHONE_PUBLIC_URL", "ftp://x"),
        ("PIPHONE_DIAL_COUNTRIES", "USA"),
        ("PIPHONE_TLS", "maybe"),
        ("PIPHONE_SANDBOX_SPEED", "fast"),
        ("PIPHONE_SANDBOX_URL", "ftp://x"),
    ] {
        let err = Settings::from_sources(&env(&[(name, value)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
}

#[test]
fn environment_wins_over_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piphone.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:9000\"\ncaller_id = \"+14155550100\"\nbogus = 1\n",
    )
    .unwrap();
    let (s, warnings) = Settings::from_sources(&env(&[
        ("PIPHONE_CONFIG", path.to_str().unwrap()),
        ("PIPHONE_LISTEN", "127.0.0.1:9001"),
    ]))
    .unwrap();
    assert_eq!(s.listen.port(), 9001);
    assert_eq!(s.caller_id.as_deref(), Some("+14155550100"));
    assert!(warnings.iter().any(|w| w.contains("bogus")), "{warnings:?}");
}

#[cfg(unix)]
#[test]
fn a_settings_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piphone.toml");
    std::fs::write(&path, "caller_id = \"+14155550100\"\n").unwrap();
    let load = || {
        Settings::from_sources(&env(&[("PIPHONE_CONFIG", path.to_str().unwrap())]))
            .unwrap()
            .1
    };
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(load().iter().any(|w| w.contains("readable by other users")));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(load().is_empty(), "{:?}", load());
}

/// Sources over `env` and a settings file's text (for testing one section).
pub(crate) fn sources<'a>(env: &'a BTreeMap<String, String>, file: &str) -> Sources<'a> {
    let mut src = Sources::new(env);
    src.set_file(file.parse().expect("test TOML"));
    src
}
