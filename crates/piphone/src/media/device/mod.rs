//! Sound-card capture and playback at 8 kHz, 16-bit, one [`Frame`] per channel every 20 ms, without linking
//! libasound (the static Pi build stays static):
//!
//! - `alsa:DEVICE`: an `arecord` / `aplay` child process (alsa-utils) on raw S16_LE, restarted with backoff if
//!   it dies ([`alsa`]);
//! - `file:PATH`: capture loops a WAV file in real time (any rate and channel count: resampled to 8 kHz, channels
//!   mapped), playback writes a WAV with one channel per output, complete after a clean stop ([`file`]).
//!
//! **Capture is the clock**: an engine ticks once per [`Capture::next`].

mod alsa;
mod file;

use std::path::PathBuf;
use std::str::FromStr;

use audio::Frame;

/// Where audio comes from or goes to: `alsa:DEVICE` or `file:PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    Alsa(String),
    File(PathBuf),
}

impl Default for DeviceSpec {
    /// `alsa:default`.
    fn default() -> Self {
        DeviceSpec::Alsa("default".into())
    }
}

impl std::fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceSpec::Alsa(device) => write!(f, "alsa:{device}"),
            DeviceSpec::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// Why a device setting does not parse.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DeviceSpecError {
    #[error("expected alsa:DEVICE (e.g. alsa:default, alsa:plughw:1,0) or file:PATH, got {0:?}")]
    Form(String),
    #[error("the ALSA device name is empty (e.g. alsa:default)")]
    EmptyDevice,
    #[error("the ALSA device name {0:?} has spaces or control characters")]
    BadDevice(String),
    #[error("the file path is empty (e.g. file:/var/lib/piphone/studio.wav)")]
    EmptyPath,
}

impl FromStr for DeviceSpec {
    type Err = DeviceSpecError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        if let Some(device) = raw.strip_prefix("alsa:") {
            if device.is_empty() {
                return Err(DeviceSpecError::EmptyDevice);
            }
            if device.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(DeviceSpecError::BadDevice(device.to_owned()));
            }
            return Ok(DeviceSpec::Alsa(device.to_owned()));
        }
        if let Some(path) = raw.strip_prefix("file:") {
            if path.is_empty() {
                return Err(DeviceSpecError::EmptyPath);
            }
            return Ok(DeviceSpec::File(PathBuf::from(path)));
        }
        Err(DeviceSpecError::Form(raw.to_owned()))
    }
}

/// Capture: `channels` channels, one `Vec<Frame>` (one Frame per channel) every 20 ms in real time.
#[derive(Debug)]
pub struct Capture(CaptureInner);

#[derive(Debug)]
enum CaptureInner {
    Alsa(Box<alsa::Capture>),
    File(file::Capture),
}

impl Capture {
    /// Opens the device (alsa: starts `arecord`; file: reads and converts the whole WAV).
    pub async fn open(spec: &DeviceSpec, channels: u16) -> anyhow::Result<Capture> {
        anyhow::ensure!(channels > 0, "capture needs at least one channel");
        Ok(Capture(match spec {
            DeviceSpec::Alsa(device) => {
                CaptureInner::Alsa(Box::new(alsa::Capture::open(device, channels)?))
            }
            DeviceSpec::File(path) => {
                CaptureInner::File(file::Capture::open(path, channels).await?)
            }
        }))
    }

    /// The next 20 ms, one frame per channel; waits for it in real time.
    pub async fn next(&mut self) -> anyhow::Result<Vec<Frame>> {
        match &mut self.0 {
            CaptureInner::Alsa(c) => c.next().await,
            CaptureInner::File(c) => Ok(c.next().await),
        }
    }
}

/// Playback: `channels` channels, one frame per channel per write.
#[derive(Debug)]
pub struct Playback(PlaybackInner);

#[derive(Debug)]
enum PlaybackInner {
    Alsa(alsa::Playback),
    File(file::Playback),
}

impl Playback {
    /// Opens the device (alsa: starts `aplay`; file: creates the WAV).
    pub async fn open(spec: &DeviceSpec, channels: u16) -> anyhow::Result<Playback> {
        anyhow::ensure!(channels > 0, "playback needs at least one channel");
        Ok(Playback(match spec {
            DeviceSpec::Alsa(device) => {
                PlaybackInner::Alsa(alsa::Playback::open(device, channels)?)
            }
            DeviceSpec::File(path) => PlaybackInner::File(file::Playback::open(path, channels)?),
        }))
    }

    /// Plays 20 ms: `frames[c]` goes to channel `c` (missing channels are silent, extra frames ignored).
    pub async fn write(&mut self, frames: &[Frame]) -> anyhow::Result<()> {
        match &mut self.0 {
            PlaybackInner::Alsa(p) => p.write(frames).await,
            PlaybackInner::File(p) => p.write(frames),
        }
    }

    /// Stops cleanly: the file is complete, `aplay` has what was written.
    pub async fn close(self) -> anyhow::Result<()> {
        match self.0 {
            PlaybackInner::Alsa(p) => p.close().await,
            PlaybackInner::File(p) => p.close(),
        }
    }
}

/// The frames of one instant, `channels` of them: `frames[c]` or silence.
fn per_channel(frames: &[Frame], channels: u16) -> impl Iterator<Item = &Frame> {
    (0..usize::from(channels)).map(|c| frames.get(c).unwrap_or(&Frame::SILENCE))
}

/// For `piphone doctor` / `piphone hybrid test`: is the device there? `Ok` says what was found, `Err` what is
/// wrong, each as a sentence. alsa: the device is listed by `arecord -L` / `aplay -L` (or is a `hw:N…` card
/// present in /proc/asound); file: capture reads a WAV, playback has a writable directory.
pub fn check(spec: &DeviceSpec, capture: bool) -> Result<String, String> {
    match spec {
        DeviceSpec::Alsa(device) => alsa::check(device, capture),
        DeviceSpec::File(path) => file::check(path, capture),
    }
}

#[cfg(test)]
mod tests;
