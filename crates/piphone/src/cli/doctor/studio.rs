//! Sound devices: the studio hybrid's (`PIPHONE_HYBRID_CAPTURE` / `_PLAYBACK`) when `PIPHONE_ONAIR=hybrid`, and
//! the stream phone's (`PIPHONE_PHONE_CAPTURE` / `_PLAYBACK`) when `PIPHONE_KIOSK_ENGINE=stream`.

use super::Finding;
use crate::media::device::check;
use crate::settings::{KioskEngine, Settings};

pub fn devices(settings: &Settings) -> Vec<Finding> {
    let mut wanted = Vec::new();
    let hybrid = &settings.hybrid;
    if hybrid.enabled() {
        wanted.push(("hybrid capture", hybrid.capture.as_str(), true));
        wanted.push(("hybrid playback", hybrid.playback.as_str(), false));
    }
    let kiosk = &settings.kiosk;
    if kiosk.engine == KioskEngine::Stream {
        wanted.push(("phone microphone", kiosk.phone_capture.as_str(), true));
        wanted.push(("phone speaker", kiosk.phone_playback.as_str(), false));
    }
    wanted
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::devices;
    use crate::cli::doctor::Level;
    use crate::settings::Settings;

    fn findings(pairs: &[(&str, &str)]) -> Vec<(&'static str, Level)> {
        let env: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (settings, _) = Settings::from_sources(&env).expect("valid settings");
        devices(&settings)
            .into_iter()
            .map(|f| (f.topic, f.level))
            .collect()
    }

    #[test]
    fn the_stream_phones_devices_are_checked_only_with_the_stream_engine() {
        let dir = tempfile::tempdir().unwrap();
        let mic = dir.path().join("mic.wav");
        audio::wav::Wav::mono(vec![0; 160], 8000)
            .write(&mic)
            .unwrap();
        let mic = format!("file:{}", mic.display());
        let speaker = "file:/nonexistent/piphone/speaker.wav";
        let phone = [
            ("PIPHONE_PHONE_CAPTURE", mic.as_str()),
            ("PIPHONE_PHONE_PLAYBACK", speaker),
        ];
        assert!(
            findings(&phone).is_empty(),
            "the Chromium engine uses no sound device of the server"
        );
        let mut stream = phone.to_vec();
        stream.push(("PIPHONE_KIOSK_ENGINE", "stream"));
        assert_eq!(
            findings(&stream),
            vec![
                ("phone microphone", Level::Ok),
                ("phone speaker", Level::Fail)
            ]
        );
    }
}
