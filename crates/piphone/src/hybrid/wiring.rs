//! `piphone hybrid test`: the wiring check. Each output channel plays its own tone (channel 1 400 Hz, channel 2
//! 600 Hz, … 200 Hz apart) for a few seconds, so the operator hears which fader of the desk each line is on, and
//! the studio input's level is measured (is the desk's mix-minus reaching the sound card?). Uses the same
//! devices and clock as the engine: run it while the server is stopped (an ALSA device is not shared).

use std::time::Duration;

use audio::analyse::Meter;
use audio::tone::Sine;
use audio::{FRAME_MS, Frame};

use super::device;
use crate::media::device::{Capture, Playback};
use crate::settings::HybridSettings;

/// The test tones' level, dBFS: clearly heard, far from clipping.
const TONE_DBFS: f64 = -12.0;

/// The tone of output channel `channel` (0 = channel 1), Hz.
pub fn tone_hz(channel: usize) -> f64 {
    400.0 + 200.0 * channel as f64
}

/// What the wiring test found.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The tone played on each output channel, Hz.
    pub tones: Vec<f64>,
    /// The studio input's level over the last second, dBFS (−120: silence).
    pub input_dbfs: f64,
    /// The input's strongest frequency, when it is loud enough to have one.
    pub input_hz: Option<f64>,
}

/// Plays the tones for `length` and listens to the input meanwhile.
pub async fn run(settings: &HybridSettings, length: Duration) -> anyhow::Result<Report> {
    let mut capture = Capture::open(&device(&settings.capture)?, 1).await?;
    let channels = settings.output_channels();
    let mut playback = Playback::open(&device(&settings.playback)?, channels).await?;
    let mut tones: Vec<Sine> = (0..usize::from(channels))
        .map(|c| Sine::new(tone_hz(c), TONE_DBFS))
        .collect();
    let mut meter = Meter::default();
    let ticks = length.as_millis() / u128::from(FRAME_MS);
    for _ in 0..ticks {
        let input = capture.next().await?;
        meter.push(input.first().unwrap_or(&Frame::SILENCE).samples());
        let out: Vec<Frame> = tones.iter_mut().map(Sine::frame).collect();
        playback.write(&out).await?;
    }
    playback.close().await?;
    Ok(Report {
        tones: (0..usize::from(channels)).map(tone_hz).collect(),
        input_dbfs: meter.level_dbfs(),
        input_hz: meter.dominant_hz(),
    })
}

#[cfg(test)]
mod tests {
    use audio::analyse::tone_dbfs;
    use audio::wav::Wav;

    use super::*;

    #[tokio::test]
    async fn each_output_channel_gets_its_own_tone_and_the_input_is_measured() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        Wav::mono(Sine::new(1000.0, -20.0).take(8000), 8000)
            .write(&input)
            .unwrap();
        let output = dir.path().join("out.wav");
        let settings = HybridSettings {
            lines: 3,
            capture: format!("file:{}", input.display()),
            playback: format!("file:{}", output.display()),
            ..HybridSettings::default()
        };
        let report = run(&settings, Duration::from_millis(1200)).await.unwrap();
        assert_eq!(report.tones, [400.0, 600.0, 800.0]);
        assert!((report.input_dbfs + 20.0).abs() < 1.0, "{report:?}");
        assert!(
            (report.input_hz.unwrap() - 1000.0).abs() < 2.0,
            "{report:?}"
        );
        let wav = Wav::read(&output).unwrap();
        assert_eq!(wav.spec.channels, 3);
        for (c, hz) in report.tones.iter().enumerate() {
            let samples = wav.channel(c);
            assert!(tone_dbfs(&samples, *hz) > -13.0, "channel {c} has {hz} Hz");
            let other = report.tones[(c + 1) % 3];
            assert!(
                tone_dbfs(&samples, other) < -40.0,
                "channel {c} has only its own tone"
            );
        }
    }
}
