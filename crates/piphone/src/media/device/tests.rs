use std::time::{Duration, Instant};

use audio::analyse::{dominant_hz, level_dbfs};
use audio::tone::Sine;
use audio::wav::Wav;

use super::*;

#[test]
fn device_specs_parse_with_clear_errors() {
    assert_eq!(
        "alsa:default".parse(),
        Ok(DeviceSpec::Alsa("default".into()))
    );
    assert_eq!(
        " alsa:plughw:CARD=Device,DEV=0 ".parse(),
        Ok(DeviceSpec::Alsa("plughw:CARD=Device,DEV=0".into()))
    );
    assert_eq!(
        "file:/tmp/x.wav".parse(),
        Ok(DeviceSpec::File("/tmp/x.wav".into()))
    );
    assert_eq!(
        "file:rel/a b.wav".parse(),
        Ok(DeviceSpec::File("rel/a b.wav".into()))
    );
    for (raw, want) in [
        ("alsa:", DeviceSpecError::EmptyDevice),
        ("alsa:hw 1", DeviceSpecError::BadDevice("hw 1".into())),
        ("file:", DeviceSpecError::EmptyPath),
        ("default", DeviceSpecError::Form("default".into())),
        ("pulse:x", DeviceSpecError::Form("pulse:x".into())),
        ("", DeviceSpecError::Form(String::new())),
    ] {
        assert_eq!(raw.parse::<DeviceSpec>(), Err(want.clone()), "{raw:?}");
        assert!(!want.to_string().is_empty());
    }
    assert_eq!(DeviceSpec::default().to_string(), "alsa:default");
    assert_eq!(DeviceSpec::File("/a.wav".into()).to_string(), "file:/a.wav");
}

#[tokio::test]
async fn file_capture_loops_a_resampled_wav_in_real_time_with_channels_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.wav");
    // 0.3 s of 48 kHz stereo: 600 Hz left, 1500 Hz right.
    let left = Sine::at_rate(600.0, -10.0, 48_000).take(14_400);
    let right = Sine::at_rate(1500.0, -10.0, 48_000).take(14_400);
    Wav::from_channels(&[left, right], 48_000)
        .write(&path)
        .unwrap();
    let spec = DeviceSpec::File(path);
    let mut capture = Capture::open(&spec, 3).await.unwrap();
    let started = Instant::now();
    let mut chans = vec![Vec::new(); 3];
    for _ in 0..50 {
        let frames = capture.next().await.unwrap();
        assert_eq!(frames.len(), 3);
        for (c, f) in frames.iter().enumerate() {
            chans[c].extend_from_slice(&f.0);
        }
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(960) && took < Duration::from_millis(1500),
        "50 frames in {took:?}"
    );
    // One second from a 0.3 s file: it looped (still the tone at the end), and channel 3 repeats channel 1.
    for (c, want) in [(0, 600.0), (1, 1500.0), (2, 600.0)] {
        let end = &chans[c][7000..];
        let hz = dominant_hz(end, 8000).unwrap();
        assert!((hz - want).abs() < 10.0, "channel {c}: {hz} Hz");
        assert!((level_dbfs(end) + 10.0).abs() < 1.0, "channel {c}");
    }
}

#[tokio::test]
async fn file_capture_refuses_a_missing_or_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = DeviceSpec::File(dir.path().join("nope.wav"));
    let err = Capture::open(&missing, 1).await.unwrap_err();
    assert!(format!("{err:#}").contains("nope.wav"), "{err:#}");
    let empty = dir.path().join("empty.wav");
    Wav::mono(Vec::new(), 8000).write(&empty).unwrap();
    let err = Capture::open(&DeviceSpec::File(empty), 1)
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("holds no audio"), "{err:#}");
    assert!(Capture::open(&missing, 0).await.is_err(), "zero channels");
}

#[tokio::test]
async fn file_playback_writes_one_channel_per_output_complete_after_close_or_drop() {
    let dir = tempfile::tempdir().unwrap();
    for close in [true, false] {
        let path = dir.path().join(format!("out-{close}.wav"));
        let mut playback = Playback::open(&DeviceSpec::File(path.clone()), 3)
            .await
            .unwrap();
        let (mut a, mut b) = (Sine::new(700.0, -10.0), Sine::new(1200.0, -10.0));
        // 1.5 s: the writer's one-second header refresh alone would leave half a second out.
        for _ in 0..75 {
            // Two frames for three channels: the third is silent.
            playback.write(&[a.frame(), b.frame()]).await.unwrap();
        }
        if close {
            playback.close().await.unwrap();
        } else {
            drop(playback);
        }
        let wav = Wav::read(&path).unwrap();
        assert_eq!((wav.spec.channels, wav.spec.sample_rate), (3, 8000));
        assert_eq!(wav.len(), 75 * 160, "complete (close: {close})");
        assert!((dominant_hz(&wav.channel(0), 8000).unwrap() - 700.0).abs() < 10.0);
        assert!((dominant_hz(&wav.channel(1), 8000).unwrap() - 1200.0).abs() < 10.0);
        assert!(wav.channel(2).iter().all(|&s| s == 0));
    }
}

#[test]
fn file_check_reports_readable_captures_and_writable_playback_directories() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("in.wav");
    Wav::mono(Sine::new(440.0, -10.0).take(8000), 8000)
        .write(&wav)
        .unwrap();
    let ok = check(&DeviceSpec::File(wav.clone()), true).unwrap();
    assert!(ok.contains("1 channel(s), 8000 Hz, 1.0 s"), "{ok}");
    let err = check(&DeviceSpec::File(dir.path().join("none.wav")), true).unwrap_err();
    assert!(err.contains("not a readable WAV"), "{err}");
    assert!(check(&DeviceSpec::File(dir.path().join("out.wav")), false).is_ok());
    let err = check(
        &DeviceSpec::File(dir.path().join("no/such/dir/out.wav")),
        false,
    )
    .unwrap_err();
    assert!(err.contains("not there"), "{err}");
}
