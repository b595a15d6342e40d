//! The studio hybrid's sound devices (`PIPHONE_HYBRID_CAPTURE` / `_PLAYBACK`), when `PIPHONE_ONAIR=hybrid`.

use super::Finding;
use crate::media::device::check;
use crate::settings::Settings;

pub fn devices(settings: &Settings) -> Vec<Finding> {
    let hybrid = &settings.hybrid;
    if !hybrid.enabled() {
        return Vec::new();
    }
    [
        ("hybrid capture", &hybrid.capture, true),
        ("hybrid playback", &hybrid.playback, false),
    ]
    .into_iter()
    .map(|(topic, raw, capture)| {
        match crate::hybrid::device(raw)
            .map_err(|e| e.to_string())
            .and_then(|spec| check(&spec, capture))
        {
            Ok(found) => Finding::ok(topic, found),
            Err(problem) => Finding::fail(topic, problem),
        }
    })
    .collect()
}
