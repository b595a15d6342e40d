//! The kiosk section.

use super::{env, sources};
use crate::settings::KioskSettings;

#[test]
fn defaults_then_environment() {
    let k = KioskSettings::from_sources(&mut sources(&env(&[]), "")).unwrap();
    assert_eq!(k, KioskSettings::default());
    let env = env(&[
        ("PIPHONE_KIOSK_USER", "doorbell"),
        ("PIPHONE_KIOSK_AUTO_ANSWER", "yes"),
        ("PIPHONE_KIOSK_CHROMIUM_FLAGS", " --a  --b=1 "),
    ]);
    let file = "kiosk_user = \"ignored\"\nkiosk_headless = false";
    let k = KioskSettings::from_sources(&mut sources(&env, file)).unwrap();
    assert_eq!(k.user, "doorbell");
    assert!(k.auto_answer);
    assert!(
        !k.headless,
        "the file's value when the environment has none"
    );
    assert_eq!(k.chromium_flags, ["--a", "--b=1"]);
}

#[test]
fn the_stream_engine_and_its_devices() {
    use crate::settings::KioskEngine;
    let k = KioskSettings::default();
    assert_eq!(
        (
            k.engine,
            k.phone_capture.as_str(),
            k.phone_playback.as_str()
        ),
        (KioskEngine::Chromium, "alsa:default", "alsa:default")
    );
    let env = env(&[
        ("PIPHONE_KIOSK_ENGINE", "stream"),
        ("PIPHONE_PHONE_CAPTURE", "file:/tmp/mic.wav"),
    ]);
    let k =
        KioskSettings::from_sources(&mut sources(&env, "phone_playback = \"alsa:hw:1\"")).unwrap();
    assert_eq!(k.engine, KioskEngine::Stream);
    assert_eq!(k.phone_capture, "file:/tmp/mic.wav");
    assert_eq!(k.phone_playback, "alsa:hw:1");
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
        ("PIPHONE_KIOSK_ENGINE", "firefox"),
    ] {
        let err = KioskSettings::from_sources(&mut sources(&env(&[(name, value)]), ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
}

#[test]
fn kiosk_keys_sit_at_the_top_of_the_settings_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("piphone.toml");
    std::fs::write(&path, "kiosk_user = \"door\"\nkiosk_auto_answer = true\n").unwrap();
    let (settings, warnings) = crate::settings::Settings::from_sources(&env(&[(
        "PIPHONE_CONFIG",
        path.to_str().unwrap(),
    )]))
    .unwrap();
    assert_eq!(settings.kiosk.user, "door");
    assert!(settings.kiosk.auto_answer);
    assert!(
        warnings.iter().all(|w| !w.contains("unknown")),
        "{warnings:?}"
    );
}
