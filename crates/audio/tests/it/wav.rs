//! WAV files against sox (it writes what we read, reads what we write) and the resampler, listened to.

use audio::analyse::{dominant_hz, level_dbfs, tone_dbfs};
use audio::resample::resample;
use audio::tone::Sine;
use audio::wav::{Wav, WavError, WavSpec, WavWriter};
use audio::{FRAME_SAMPLES, Frame, SAMPLE_RATE};

use crate::tools::{sox_channel, sox_make_wav};

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_str().unwrap().to_owned()
}

#[test]
fn a_multichannel_file_we_write_is_what_sox_reads() {
    let dir = tempfile::tempdir().unwrap();
    let file = path(&dir, "out.wav");
    let tones = [440.0, 700.0, 1500.0];
    let channels: Vec<Vec<i16>> = tones
        .iter()
        .map(|&hz| Sine::new(hz, -10.0).take(8000))
        .collect();
    Wav::from_channels(&channels, SAMPLE_RATE)
        .write(&file)
        .unwrap();
    for (i, &hz) in tones.iter().enumerate() {
        let heard = sox_channel(&file, i + 1);
        assert_eq!(heard, channels[i], "channel {} as sox reads it", i + 1);
        assert!((dominant_hz(&heard, SAMPLE_RATE).unwrap() - hz).abs() < 1.0);
    }
}

#[test]
fn files_sox_writes_are_read_mono_stereo_and_extensible() {
    let dir = tempfile::tempdir().unwrap();
    let mono = path(&dir, "mono.wav");
    sox_make_wav(
        &mono,
        &["-r", "8000", "-c", "1"],
        &["synth", "0.5", "sine", "500", "vol", "0.5"],
    );
    let wav = Wav::read(&mono).unwrap();
    assert_eq!(wav.spec, WavSpec::telephone(1));
    assert_eq!(wav.len(), 4000);
    assert!((dominant_hz(&wav.samples, SAMPLE_RATE).unwrap() - 500.0).abs() < 1.0);
    assert!((level_dbfs(&wav.samples) + 6.02).abs() < 0.1);

    // Four channels: sox writes WAVE_FORMAT_EXTENSIBLE.
    let quad = path(&dir, "quad.wav");
    let effects = [
        "synth", "0.5", "sine", "300", "sine", "700", "sine", "1000", "sine", "1500",
    ];
    sox_make_wav(&quad, &["-r", "16000", "-c", "4"], &effects);
    let wav = Wav::read(&quad).unwrap();
    assert_eq!(
        wav.spec,
        WavSpec {
            channels: 4,
            sample_rate: 16_000
        }
    );
    for (i, hz) in [300.0, 700.0, 1000.0, 1500.0].into_iter().enumerate() {
        let f = dominant_hz(&wav.channel(i), 16_000).unwrap();
        assert!((f - hz).abs() < 1.0, "channel {i}: {f} Hz");
    }
    assert!(wav.channel(4).is_empty());
}

#[test]
fn any_rate_file_plays_at_8_khz_with_its_tone_and_nothing_aliased() {
    let dir = tempfile::tempdir().unwrap();
    for rate in ["16000", "44100", "48000"] {
        let file = path(&dir, &format!("{rate}.wav"));
        sox_make_wav(
            &file,
            &["-r", rate, "-c", "2"],
            &["synth", "1", "sine", "1000", "vol", "0.5"],
        );
        let eight = Wav::read(&file).unwrap().to_telephone();
        assert!(
            (eight.len() as i64 - 8000).abs() <= 1,
            "{rate}: {} samples",
            eight.len()
        );
        let f = dominant_hz(&eight, SAMPLE_RATE).unwrap();
        assert!(
            (f - 1000.0).abs() < 1.0,
            "{rate} Hz file: 1 kHz came out at {f}"
        );
        let level = level_dbfs(&eight[400..7600]);
        assert!((level + 6.02).abs() < 0.1, "{rate} Hz file: level {level}");
    }
}

#[test]
fn odd_rates_convert_too_even_with_rounded_phases() {
    // 44 101 Hz has 8000 polyphase branches: the resampler rounds to 512 of them.
    for rate in [11_025, 22_050, 32_000, 44_101, 6_000] {
        let out = resample(
            &Sine::at_rate(1000.0, -6.0, rate).take(rate as usize),
            rate,
            SAMPLE_RATE,
        );
        assert!(
            (out.len() as i64 - 8000).abs() <= 1,
            "{rate}: {} samples",
            out.len()
        );
        let f = dominant_hz(&out, SAMPLE_RATE).unwrap();
        let level = level_dbfs(&out[400..7600]);
        assert!((f - 1000.0).abs() < 1.0, "{rate} Hz: 1 kHz came out at {f}");
        assert!((level + 6.0).abs() < 0.1, "{rate} Hz: level {level}");
        assert!(
            tone_dbfs(&out[400..7600], 3000.0) < -70.0,
            "{rate} Hz: nothing new at 3 kHz"
        );
    }
}

#[test]
fn tones_above_the_telephone_band_are_removed_not_folded() {
    let input_level = -6.0;
    // A tone above 4 kHz would fold to (8000 − f) at 8 kHz: 6 kHz → 2 kHz, 4.5 kHz → 3.5 kHz.
    for (rate, hz) in [
        (48_000, 6000.0),
        (48_000, 4500.0),
        (44_100, 6000.0),
        (16_000, 6000.0),
        (48_000, 12_000.0),
    ] {
        let input = Sine::at_rate(hz, input_level, rate).take(rate as usize);
        let out = resample(&input, rate, SAMPLE_RATE);
        let folded = (8000.0 - hz).rem_euclid(8000.0).min(hz.rem_euclid(8000.0));
        let alias = tone_dbfs(&out[200..out.len() - 200], folded);
        let total = level_dbfs(&out[200..out.len() - 200]);
        assert!(
            alias < input_level - 60.0,
            "{hz} Hz at {rate}: alias at {folded} Hz is {alias:.1} dBFS"
        );
        assert!(
            total < input_level - 60.0,
            "{hz} Hz at {rate}: {total:.1} dBFS left"
        );
    }
    // The band a voice uses passes flat; 3.4 kHz loses little.
    for (hz, max_loss) in [(300.0, 0.1), (1000.0, 0.1), (3000.0, 0.5), (3400.0, 3.0)] {
        let out = resample(
            &Sine::at_rate(hz, -6.0, 48_000).take(48_000),
            48_000,
            SAMPLE_RATE,
        );
        let level = level_dbfs(&out[200..7800]);
        assert!(
            level > -6.0 - max_loss,
            "{hz} Hz through 48 → 8 kHz: {level:.2} dBFS"
        );
    }
}

#[test]
fn the_streaming_writer_leaves_a_readable_file_when_killed_and_a_complete_one_when_finished() {
    let dir = tempfile::tempdir().unwrap();
    let spec = WavSpec::telephone(2);
    let (mut left, mut right) = (Sine::new(440.0, -10.0), Sine::new(1000.0, -10.0));
    let mut frames = move || [left.frame(), right.frame()];

    // 2.5 s, then the process "dies": the writer is leaked without finishing or dropping its buffer.
    let killed = path(&dir, "killed.wav");
    let mut writer = WavWriter::create(&killed, spec).unwrap();
    for _ in 0..125 {
        writer.write_frames(&frames()).unwrap();
    }
    std::mem::forget(writer);
    let wav = Wav::read(&killed).unwrap();
    assert!(
        wav.duration_secs() >= 2.0,
        "{} s survived",
        wav.duration_secs()
    );
    assert_eq!(
        sox_channel(&killed, 2).len(),
        wav.len(),
        "sox reads as much"
    );
    assert!((dominant_hz(&wav.channel(1), SAMPLE_RATE).unwrap() - 1000.0).abs() < 1.0);

    let finished = path(&dir, "finished.wav");
    let mut writer = WavWriter::create(&finished, spec).unwrap();
    for _ in 0..125 {
        writer.write_frames(&frames()).unwrap();
    }
    writer.finish().unwrap();
    let wav = Wav::read(&finished).unwrap();
    assert_eq!(wav.len(), 125 * FRAME_SAMPLES);
    assert_eq!(sox_channel(&finished, 1), wav.channel(0));
    assert!((dominant_hz(&wav.channel(0), SAMPLE_RATE).unwrap() - 440.0).abs() < 1.0);
}

#[test]
fn bytes_round_trip_and_bad_files_are_refused_with_a_reason() {
    let wav = Wav::from_channels(&[vec![1, 2, 3], vec![-1, -2]], 8000);
    assert_eq!(wav.samples, vec![1, -1, 2, -2, 3, 0]);
    assert_eq!(Wav::parse(&wav.to_bytes()).unwrap(), wav);
    let mut eight_bit = wav.to_bytes();
    eight_bit[34] = 8;
    for (name, bytes, want) in [
        ("empty", vec![], "not a valid WAV"),
        (
            "text",
            b"hello, this is not a wav file".to_vec(),
            "not a valid WAV",
        ),
        ("8-bit", eight_bit, "unsupported"),
        ("no data", wav.to_bytes()[..36].to_vec(), "no data chunk"),
    ] {
        let err = Wav::parse(&bytes).expect_err(name);
        assert!(err.to_string().contains(want), "{name}: {err}");
    }
    assert!(matches!(
        Wav::read("/nonexistent/x.wav"),
        Err(WavError::Io(_))
    ));
    assert_eq!(Frame::from_samples(&wav.samples).0[..6], wav.samples[..]);
}
