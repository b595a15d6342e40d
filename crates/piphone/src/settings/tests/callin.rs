//! The call-in section.

use std::time::Duration;

use url::Url;

use super::{env, sources};
use crate::settings::callin::*;

#[test]
fn defaults() {
    let s = CallinSettings::from_sources(&mut sources(&env(&[]), "")).unwrap();
    assert_eq!(s.queue, DEFAULT_QUEUE);
    assert_eq!(s.max_size, 100);
    assert_eq!(s.announce_every, 1);
    assert_eq!(s.poll_interval, Duration::from_secs(5));
    assert_eq!(s.incoming_mode, IncomingMode::Queue);
    assert!(matches!(s.greeting, Greeting::Say(_)));
    assert!(!s.screened_only);
    assert_eq!(s.call_log_days, 90);
    assert_eq!(s.screened_queue(), "radio-callin-queue-screened");
}

#[test]
fn greeting_url_plays_and_text_is_said() {
    let s = CallinSettings::from_sources(&mut sources(
        &env(&[("PIPHONE_CALLIN_GREETING", "https://example.com/hi.mp3")]),
        "",
    ))
    .unwrap();
    assert_eq!(
        s.greeting,
        Greeting::Play(Url::parse("https://example.com/hi.mp3").unwrap())
    );
    let s = CallinSettings::from_sources(&mut sources(
        &env(&[("PIPHONE_CALLIN_GREETING", "Hello, radio!")]),
        "",
    ))
    .unwrap();
    assert_eq!(s.greeting, Greeting::Say("Hello, radio!".into()));
}

#[test]
fn file_numbers_and_environment_layering() {
    let file = "queue_max_size = 7\nqueue_poll_secs = 0.5\nincoming_mode = \"ring\"";
    let env = env(&[("PIPHONE_QUEUE_MAX_SIZE", "9")]);
    let s = CallinSettings::from_sources(&mut sources(&env, file)).unwrap();
    assert_eq!(s.max_size, 9, "environment wins");
    assert_eq!(s.poll_interval, Duration::from_millis(500));
    assert_eq!(s.incoming_mode, IncomingMode::Ring);
}

#[test]
fn invalid_values_name_the_variable() {
    for (name, value) in [
        ("PIPHONE_CALLIN_QUEUE", "x".repeat(65).as_str()),
        ("PIPHONE_HOLD_MUSIC_URL", "ftp://x/y.mp3"),
        ("PIPHONE_QUEUE_MAX_SIZE", "lots"),
        ("PIPHONE_QUEUE_MAX_SIZE", "0"),
        ("PIPHONE_QUEUE_ANNOUNCE_EVERY", "-1"),
        ("PIPHONE_QUEUE_POLL_SECS", "0"),
        ("PIPHONE_INCOMING_MODE", "broadcast"),
        ("PIPHONE_CALLIN_QUEUE", "x".repeat(49).as_str()),
        ("PIPHONE_SCREENED_ONLY", "sometimes"),
        ("PIPHONE_CALL_LOG_DAYS", "-3"),
    ] {
        let err = CallinSettings::from_sources(&mut sources(&env(&[(name, value)]), ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
}
