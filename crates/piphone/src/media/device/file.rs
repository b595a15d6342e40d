//! `file:PATH` devices: a WAV looped in real time as capture, a WAV written as playback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use audio::wav::{Wav, WavSpec, WavWriter};
use audio::{FRAME_MS, FRAME_SAMPLES, Frame, SAMPLE_RATE};
use tokio::time::{Interval, MissedTickBehavior};

use super::per_channel;

/// A WAV file played in a loop, one frame per channel every 20 ms.
#[derive(Debug)]
pub struct Capture {
    /// 8 kHz samples of each output channel, all the same length.
    channels: Vec<Vec<i16>>,
    pos: usize,
    clock: Interval,
}

impl Capture {
    /// Reads `path` and converts it: resampled to 8 kHz; output channel `c` is the file's channel `c`, or,
    /// when the file has fewer, channel `c` modulo the file's count (a mono file feeds every channel).
    pub async fn open(path: &Path, channels: u16) -> anyhow::Result<Capture> {
        let owned = path.to_owned();
        let wav = tokio::task::spawn_blocking(move || Wav::read(&owned))
            .await?
            .with_context(|| format!("reading the capture file {}", path.display()))?;
        anyhow::ensure!(
            !wav.is_empty() && wav.spec.channels > 0,
            "the capture file {} holds no audio",
            path.display()
        );
        let source = usize::from(wav.spec.channels);
        let converted: Vec<Vec<i16>> = (0..source.min(usize::from(channels)))
            .map(|c| audio::resample::resample(&wav.channel(c), wav.spec.sample_rate, SAMPLE_RATE))
            .collect();
        let channels = (0..usize::from(channels))
            .map(|c| converted[c % converted.len()].clone())
            .collect();
        let mut clock = tokio::time::interval(Duration::from_millis(u64::from(FRAME_MS)));
        // A late tick is made up at once: the average rate is what the engines' clock needs.
        clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
        Ok(Capture {
            channels,
            pos: 0,
            clock,
        })
    }

    pub async fn next(&mut self) -> Vec<Frame> {
        self.clock.tick().await;
        let len = self.channels[0].len();
        let frames = self
            .channels
            .iter()
            .map(|samples| {
                let mut frame = Frame::SILENCE;
                for (i, s) in frame.0.iter_mut().enumerate() {
                    *s = samples[(self.pos + i) % len];
                }
                frame
            })
            .collect();
        self.pos = (self.pos + FRAME_SAMPLES) % len;
        frames
    }
}

/// A WAV written as audio is played; complete after [`Playback::close`] or a drop.
#[derive(Debug)]
pub struct Playback {
    writer: Option<WavWriter<std::fs::File>>,
    channels: u16,
    path: PathBuf,
}

impl Playback {
    pub fn open(path: &Path, channels: u16) -> anyhow::Result<Playback> {
        let writer = WavWriter::create(path, WavSpec::telephone(channels))
            .with_context(|| format!("creating the playback file {}", path.display()))?;
        Ok(Playback {
            writer: Some(writer),
            channels,
            path: path.to_owned(),
        })
    }

    pub fn write(&mut self, frames: &[Frame]) -> anyhow::Result<()> {
        let frames: Vec<Frame> = per_channel(frames, self.channels).copied().collect();
        if let Some(writer) = &mut self.writer {
            writer
                .write_frames(&frames)
                .with_context(|| format!("writing the playback file {}", self.path.display()))?;
        }
        Ok(())
    }

    pub fn close(mut self) -> anyhow::Result<()> {
        if let Some(writer) = self.writer.take() {
            writer
                .finish()
                .with_context(|| format!("completing the playback file {}", self.path.display()))?;
        }
        Ok(())
    }
}

impl Drop for Playback {
    /// A playback dropped without `close` (an engine task cancelled) still leaves a complete file.
    fn drop(&mut self) {
        if let Some(mut writer) = self.writer.take()
            && let Err(e) = writer.flush()
        {
            tracing::warn!(path = %self.path.display(), error = %e, "completing the playback file failed");
        }
    }
}

/// Capture: the file is a readable WAV; playback: its directory exists and is writable.
pub fn check(path: &Path, capture: bool) -> Result<String, String> {
    if capture {
        let wav = Wav::read(path)
            .map_err(|e| format!("{} is not a readable WAV file: {e}", path.display()))?;
        return Ok(format!(
            "{}: {} channel(s), {} Hz, {:.1} s (looped)",
            path.display(),
            wav.spec.channels,
            wav.spec.sample_rate,
            wav.duration_secs()
        ));
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let meta = std::fs::metadata(dir)
        .map_err(|e| format!("the directory of {} is not there: {e}", path.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if meta.permissions().readonly() {
        return Err(format!("{} is read-only", dir.display()));
    }
    let probe = tempfile_in(dir).map_err(|e| format!("{} is not writable: {e}", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(format!("{} will be written", path.display()))
}

/// Creates (and returns) an empty file in `dir`, proving it writable.
fn tempfile_in(dir: &Path) -> std::io::Result<PathBuf> {
    let probe = dir.join(format!(".piphone-write-check-{}", std::process::id()));
    std::fs::File::create(&probe)?;
    Ok(probe)
}
