//! `alsa:DEVICE` through alsa-utils' `arecord` / `aplay` as child processes on raw S16_LE at 8 kHz: no
//! libasound linked in. A child that dies (or stalls for [`STALL`]) is restarted with a growing backoff
//! ([`FIRST_BACKOFF`] … [`MAX_BACKOFF`]); meanwhile capture ticks silence on its own 20 ms clock (the engines keep
//! running: callers still hear each other) and playback drops what it is given. Each restart is logged, and so is
//! every line the child writes to stderr.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use audio::{FRAME_MS, FRAME_SAMPLES, Frame};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::per_channel;

/// How long a child may go without taking or giving 20 ms before it counts as dead.
pub const STALL: Duration = Duration::from_secs(1);
/// The first wait before a restart; doubled on each failure in a row.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait before a restart.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Frames a child must deliver before its restart count is forgotten.
const HEALTHY_FRAMES: u32 = 50;

/// Which alsa-utils program, and what it needs.
#[derive(Debug, Clone)]
struct Program {
    path: PathBuf,
    device: String,
    channels: u16,
}

impl Program {
    fn new(name: &str, device: &str, channels: u16) -> Program {
        Program {
            path: PathBuf::from(name),
            device: device.to_owned(),
            channels,
        }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// Starts it on raw 8 kHz S16_LE, stdout or stdin piped, stderr logged.
    fn spawn(&self, capture: bool) -> anyhow::Result<Child> {
        let mut cmd = Command::new(&self.path);
        cmd.args([
            "-q",
            "-D",
            &self.device,
            "-t",
            "raw",
            "-f",
            "S16_LE",
            "-r",
            "8000",
            "-c",
        ])
        .arg(self.channels.to_string())
        .stdin(if capture {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(if capture {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                anyhow::anyhow!(
                    "{} not found: install alsa-utils (`apt install alsa-utils`), or use file:PATH",
                    self.name()
                )
            } else {
                anyhow::Error::new(e).context(format!("starting {}", self.name()))
            }
        })?;
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(log_stderr(self.name(), self.device.clone(), stderr));
        }
        Ok(child)
    }
}

async fn log_stderr(program: String, device: String, stderr: ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::warn!(%program, %device, "{line}");
    }
}

/// A child process and when to try again after it died.
#[derive(Debug)]
struct Supervised {
    program: Program,
    child: Option<Child>,
    failures: u32,
    good_frames: u32,
    retry_at: Instant,
}

impl Supervised {
    fn start(program: Program, capture: bool) -> anyhow::Result<Supervised> {
        let child = program.spawn(capture)?;
        Ok(Supervised {
            program,
            child: Some(child),
            failures: 0,
            good_frames: 0,
            retry_at: Instant::now(),
        })
    }

    /// The running child, restarting a dead one once its backoff has passed.
    fn child(&mut self, capture: bool) -> Option<&mut Child> {
        if self.child.is_none() && Instant::now() >= self.retry_at {
            match self.program.spawn(capture) {
                Ok(child) => {
                    tracing::info!(program = %self.program.name(), device = %self.program.device, "restarted");
                    self.child = Some(child);
                }
                Err(e) => self.failed(&format!("{e:#}")),
            }
        }
        self.child.as_mut()
    }

    fn delivered(&mut self) {
        self.good_frames = self.good_frames.saturating_add(1);
        if self.good_frames >= HEALTHY_FRAMES {
            self.failures = 0;
        }
    }

    /// The child died or stalled: drop it and wait before the next start.
    fn failed(&mut self, why: &str) {
        self.child = None;
        self.good_frames = 0;
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << self.failures.min(16))
            .min(MAX_BACKOFF);
        self.failures += 1;
        self.retry_at = Instant::now() + backoff;
        tracing::warn!(
            program = %self.program.name(),
            device = %self.program.device,
            failures = self.failures,
            retry_in_ms = backoff.as_millis() as u64,
            "{why}; restarting"
        );
    }
}

/// `arecord`, read 20 ms at a time.
#[derive(Debug)]
pub struct Capture {
    proc: Supervised,
    /// Paces silence while the child is down.
    down_clock: Interval,
}

impl Capture {
    pub fn open(device: &str, channels: u16) -> anyhow::Result<Capture> {
        Capture::open_program(Program::new("arecord", device, channels))
    }

    fn open_program(program: Program) -> anyhow::Result<Capture> {
        let mut down_clock = tokio::time::interval(Duration::from_millis(u64::from(FRAME_MS)));
        down_clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Capture {
            proc: Supervised::start(program, true)?,
            down_clock,
        })
    }

    pub async fn next(&mut self) -> anyhow::Result<Vec<Frame>> {
        let channels = usize::from(self.proc.program.channels);
        let mut buf = vec![0u8; FRAME_SAMPLES * channels * 2];
        let read = match self.proc.child(true).and_then(|c| c.stdout.as_mut()) {
            Some(stdout) => Some(read_frame(stdout, &mut buf).await),
            None => None,
        };
        match read {
            Some(Ok(())) => {
                self.proc.delivered();
                self.down_clock.reset();
                Ok(deinterleave(&buf, channels))
            }
            Some(Err(why)) => {
                self.proc.failed(&why);
                Ok(vec![Frame::SILENCE; channels])
            }
            None => {
                self.down_clock.tick().await;
                Ok(vec![Frame::SILENCE; channels])
            }
        }
    }
}

async fn read_frame(stdout: &mut ChildStdout, buf: &mut [u8]) -> Result<(), String> {
    match tokio::time::timeout(STALL, stdout.read_exact(buf)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err("stopped".into()),
        Ok(Err(e)) => Err(format!("read failed: {e}")),
        Err(_) => Err(format!("gave no audio for {} ms", STALL.as_millis())),
    }
}

fn deinterleave(bytes: &[u8], channels: usize) -> Vec<Frame> {
    let mut frames = vec![Frame::SILENCE; channels];
    for (i, sample) in bytes.chunks_exact(2).enumerate() {
        frames[i % channels].0[i / channels] = i16::from_le_bytes([sample[0], sample[1]]);
    }
    frames
}

/// `aplay`, written 20 ms at a time.
#[derive(Debug)]
pub struct Playback {
    proc: Supervised,
}

impl Playback {
    pub fn open(device: &str, channels: u16) -> anyhow::Result<Playback> {
        Playback::open_program(Program::new("aplay", device, channels))
    }

    fn open_program(program: Program) -> anyhow::Result<Playback> {
        Ok(Playback {
            proc: Supervised::start(program, false)?,
        })
    }

    pub async fn write(&mut self, frames: &[Frame]) -> anyhow::Result<()> {
        let channels = self.proc.program.channels;
        let mut bytes = Vec::with_capacity(FRAME_SAMPLES * usize::from(channels) * 2);
        let frames: Vec<&Frame> = per_channel(frames, channels).collect();
        for i in 0..FRAME_SAMPLES {
            for frame in &frames {
                bytes.extend_from_slice(&frame.0[i].to_le_bytes());
            }
        }
        let Some(stdin) = self.proc.child(false).and_then(|c| c.stdin.as_mut()) else {
            return Ok(());
        };
        match write_frame(stdin, &bytes).await {
            Ok(()) => self.proc.delivered(),
            Err(why) => self.proc.failed(&why),
        }
        Ok(())
    }

    /// Ends `aplay`'s input and waits (up to [`STALL`]) for it to play out and exit.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.proc.child.take() {
            drop(child.stdin.take());
            if tokio::time::timeout(STALL, child.wait()).await.is_err() {
                child.kill().await.context("stopping aplay")?;
            }
        }
        Ok(())
    }
}

async fn write_frame(stdin: &mut ChildStdin, bytes: &[u8]) -> Result<(), String> {
    match tokio::time::timeout(STALL, stdin.write_all(bytes)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("stopped ({e})")),
        Err(_) => Err(format!("took no audio for {} ms", STALL.as_millis())),
    }
}

/// Whether `device` is there: listed by `arecord -L` (`aplay -L`), or a `hw:N`/`plughw:N` card in /proc/asound.
pub fn check(device: &str, capture: bool) -> Result<String, String> {
    let program = if capture { "arecord" } else { "aplay" };
    check_with(Path::new(program), Path::new("/proc/asound"), device)
}

fn check_with(program: &Path, proc_asound: &Path, device: &str) -> Result<String, String> {
    let name = program.display();
    let out = std::process::Command::new(program)
        .arg("-L")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{name} not found: install alsa-utils (`apt install alsa-utils`)")
            }
            _ => format!("{name} -L failed: {e}"),
        })?;
    let listing = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = listing
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace))
        .collect();
    if names.contains(&device) {
        return Ok(format!("alsa:{device} is listed by {name} -L"));
    }
    let card = device
        .strip_prefix("plughw:")
        .or_else(|| device.strip_prefix("hw:"))
        .map(|rest| rest.split(',').next().unwrap_or(""))
        .filter(|card| !card.is_empty() && card.bytes().all(|b| b.is_ascii_digit()));
    if let Some(card) = card
        && proc_asound.join(format!("card{card}")).is_dir()
    {
        return Ok(format!("alsa:{device}: sound card {card} is present"));
    }
    Err(format!(
        "alsa:{device} is not a device {name} knows (it lists: {})",
        if names.is_empty() {
            "nothing".to_owned()
        } else {
            names.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests;
