//! The hybrid section.

use super::{env, sources};
use crate::settings::hybrid::{Hold, HybridSettings, OnAir, Output};

#[test]
fn defaults_then_environment() {
    let h = HybridSettings::from_sources(&mut sources(&env(&[]), "")).unwrap();
    assert_eq!(h, HybridSettings::default());
    assert!(!h.enabled());
    let env = env(&[
        ("PIPHONE_ONAIR", "hybrid"),
        ("PIPHONE_HYBRID_LINES", "8"),
        ("PIPHONE_HYBRID_OUTPUT", "mix"),
        ("PIPHONE_HYBRID_CAPTURE", "file:/tmp/in.wav"),
    ]);
    let file = "hybrid_hold = \"music\"\nhybrid_playback = \"alsa:hw:1,0\"";
    let h = HybridSettings::from_sources(&mut sources(&env, file)).unwrap();
    assert_eq!(h.onair, OnAir::Hybrid);
    assert_eq!(h.lines, 8);
    assert_eq!(h.output, Output::Mix);
    assert_eq!(h.output_channels(), 1);
    assert_eq!(h.hold, Hold::Music, "the file's value");
    assert_eq!(h.capture, "file:/tmp/in.wav");
    assert_eq!(h.playback, "alsa:hw:1,0");
}

#[test]
fn bad_values_name_the_variable() {
    for (name, value) in [
        ("PIPHONE_ONAIR", "radio"),
        ("PIPHONE_HYBRID_LINES", "0"),
        ("PIPHONE_HYBRID_LINES", "9"),
        ("PIPHONE_HYBRID_LINES", "four"),
        ("PIPHONE_HYBRID_HOLD", "silence"),
        ("PIPHONE_HYBRID_OUTPUT", "stereo"),
        ("PIPHONE_HYBRID_CAPTURE", "hw:1,0"),
        ("PIPHONE_HYBRID_PLAYBACK", "file:"),
    ] {
        let err = HybridSettings::from_sources(&mut sources(&env(&[(name, value)]), ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains(name), "{name}={value}: {err}");
    }
}
