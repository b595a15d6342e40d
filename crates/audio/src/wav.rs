//! 16-bit PCM WAV files: read (mono or multi-channel, any rate), write, and a streaming [`WavWriter`] whose file is
//! complete after [`WavWriter::finish`] and readable at any moment before (its header is rewritten every second of
//! audio, and the reader takes a data chunk cut short by a killed process as far as it goes).

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use crate::frame::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
use crate::resample;

/// Channels and sample rate of a file (samples are always 16-bit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WavSpec {
    pub channels: u16,
    pub sample_rate: u32,
}

impl WavSpec {
    /// 8 kHz with `channels` channels.
    pub fn telephone(channels: u16) -> WavSpec {
        WavSpec {
            channels,
            sample_rate: SAMPLE_RATE,
        }
    }
}

/// Why a file could not be read.
#[derive(Debug)]
pub enum WavError {
    Io(io::Error),
    /// Not a RIFF/WAVE file, or its chunks are broken.
    Malformed(&'static str),
    /// A WAV this module does not read (only 16-bit integer PCM).
    Unsupported(String),
}

impl fmt::Display for WavError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WavError::Io(e) => write!(f, "cannot read the WAV file: {e}"),
            WavError::Malformed(what) => write!(f, "not a valid WAV file: {what}"),
            WavError::Unsupported(what) => {
                write!(f, "unsupported WAV file: {what} (16-bit PCM only)")
            }
        }
    }
}

impl std::error::Error for WavError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WavError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for WavError {
    fn from(e: io::Error) -> Self {
        WavError::Io(e)
    }
}

/// A whole WAV file in memory; `samples` are interleaved (one sample per channel per instant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wav {
    pub spec: WavSpec,
    pub samples: Vec<i16>,
}

const HEADER_LEN: usize = 44;

fn header(spec: WavSpec, data_bytes: u32) -> [u8; HEADER_LEN] {
    let block_align = spec.channels * 2;
    let mut h = [0u8; HEADER_LEN];
    let mut put = |at: usize, bytes: &[u8]| h[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"RIFF");
    put(4, &data_bytes.saturating_add(36).to_le_bytes());
    put(8, b"WAVEfmt ");
    put(16, &16u32.to_le_bytes());
    put(20, &1u16.to_le_bytes());
    put(22, &spec.channels.to_le_bytes());
    put(24, &spec.sample_rate.to_le_bytes());
    put(
        28,
        &(spec.sample_rate * u32::from(block_align)).to_le_bytes(),
    );
    put(32, &block_align.to_le_bytes());
    put(34, &16u16.to_le_bytes());
    put(36, b"data");
    put(40, &data_bytes.to_le_bytes());
    h
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Wav {
    /// One channel of samples at `sample_rate`.
    pub fn mono(samples: Vec<i16>, sample_rate: u32) -> Wav {
        Wav {
            spec: WavSpec {
                channels: 1,
                sample_rate,
            },
            samples,
        }
    }

    /// Interleaves separate channels (a shorter channel is padded with silence).
    pub fn from_channels(channels: &[Vec<i16>], sample_rate: u32) -> Wav {
        let len = channels.iter().map(Vec::len).max().unwrap_or(0);
        let samples = (0..len)
            .flat_map(|i| channels.iter().map(move |c| c.get(i).copied().unwrap_or(0)))
            .collect();
        Wav {
            spec: WavSpec {
                channels: channels.len() as u16,
                sample_rate,
            },
            samples,
        }
    }

    /// Parses a WAV file: RIFF/WAVE, a `fmt ` chunk of 16-bit integer PCM (plain or WAVE_FORMAT_EXTENSIBLE), a
    /// `data` chunk; other chunks are skipped. A data chunk whose size is 0 or runs past the end (a streaming file
    /// whose writer was killed) is read as far as the file goes.
    pub fn parse(bytes: &[u8]) -> Result<Wav, WavError> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(WavError::Malformed("no RIFF/WAVE header"));
        }
        let mut spec = None;
        let mut at = 12;
        while at + 8 <= bytes.len() {
            let id = &bytes[at..at + 4];
            let size = u32_at(bytes, at + 4) as usize;
            let body = at + 8;
            if id == b"fmt " {
                if size < 16 || body + 16 > bytes.len() {
                    return Err(WavError::Malformed("short fmt chunk"));
                }
                let mut format = u16_at(bytes, body);
                if format == 0xFFFE && size >= 40 && body + 26 <= bytes.len() {
                    format = u16_at(bytes, body + 24); // the sub-format GUID starts with the format tag
                }
                let bits = u16_at(bytes, body + 14);
                if format != 1 || bits != 16 {
                    return Err(WavError::Unsupported(format!(
                        "format {format}, {bits} bits"
                    )));
                }
                let channels = u16_at(bytes, body + 2);
                let sample_rate = u32_at(bytes, body + 4);
                if channels == 0 || sample_rate == 0 {
                    return Err(WavError::Malformed("no channels or no sample rate"));
                }
                spec = Some(WavSpec {
                    channels,
                    sample_rate,
                });
            } else if id == b"data" {
                let spec = spec.ok_or(WavError::Malformed("data before fmt"))?;
                let rest = bytes.len() - body;
                let len = if size == 0 || size > rest { rest } else { size };
                let block = usize::from(spec.channels) * 2;
                let samples = bytes[body..body + len - len % block]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                return Ok(Wav { spec, samples });
            }
            at = body.saturating_add(size).saturating_add(size % 2);
        }
        Err(WavError::Malformed("no data chunk"))
    }

    /// Reads and parses a file.
    pub fn read(path: impl AsRef<Path>) -> Result<Wav, WavError> {
        Wav::parse(&std::fs::read(path)?)
    }

    /// The file's bytes (canonical 44-byte header).
    pub fn to_bytes(&self) -> Vec<u8> {
        let data_bytes = u32::try_from(self.samples.len() * 2).unwrap_or(u32::MAX);
        let mut out = header(self.spec, data_bytes).to_vec();
        out.extend(self.samples.iter().flat_map(|s| s.to_le_bytes()));
        out
    }

    /// Writes the file.
    pub fn write(&self, path: impl AsRef<Path>) -> io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }

    /// Sample frames (instants), whatever the channel count.
    pub fn len(&self) -> usize {
        self.samples.len() / usize::from(self.spec.channels.max(1))
    }

    /// True when the file holds no audio.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.len() as f64 / f64::from(self.spec.sample_rate)
    }

    /// The samples of one channel (0-based); empty when there is no such channel.
    pub fn channel(&self, index: usize) -> Vec<i16> {
        let n = usize::from(self.spec.channels);
        if index >= n {
            return Vec::new();
        }
        self.samples
            .iter()
            .skip(index)
            .step_by(n)
            .copied()
            .collect()
    }

    /// All channels averaged into one.
    pub fn to_mono(&self) -> Vec<i16> {
        let n = usize::from(self.spec.channels.max(1));
        self.samples
            .chunks_exact(n)
            .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / n as i32) as i16)
            .collect()
    }

    /// The file as 8 kHz mono, ready to be cut into frames and played into a call.
    pub fn to_telephone(&self) -> Vec<i16> {
        resample::resample(&self.to_mono(), self.spec.sample_rate, SAMPLE_RATE)
    }
}

/// Writes a WAV file as audio arrives. The header is rewritten every second of audio (and by
/// [`WavWriter::flush`]), with the data flushed to the file before it, so a process killed at any moment leaves a
/// file every reader accepts holding all but the last second; [`WavWriter::finish`] completes it.
#[derive(Debug)]
pub struct WavWriter<W: Write + Seek> {
    out: BufWriter<W>,
    spec: WavSpec,
    data_bytes: u64,
    unflushed: u64,
}

impl WavWriter<File> {
    /// Creates (or truncates) `path`.
    pub fn create(path: impl AsRef<Path>, spec: WavSpec) -> io::Result<WavWriter<File>> {
        WavWriter::new(File::create(path)?, spec)
    }
}

impl<W: Write + Seek> WavWriter<W> {
    /// Starts a file on `inner` (positioned at its start).
    pub fn new(inner: W, spec: WavSpec) -> io::Result<WavWriter<W>> {
        let mut out = BufWriter::new(inner);
        out.write_all(&header(spec, 0))?;
        Ok(WavWriter {
            out,
            spec,
            data_bytes: 0,
            unflushed: 0,
        })
    }

    /// Appends interleaved samples (a whole number of instants: `channels` samples each).
    pub fn write_samples(&mut self, samples: &[i16]) -> io::Result<()> {
        for s in samples {
            self.out.write_all(&s.to_le_bytes())?;
        }
        let bytes = samples.len() as u64 * 2;
        self.data_bytes += bytes;
        self.unflushed += bytes;
        let second = u64::from(self.spec.sample_rate) * u64::from(self.spec.channels) * 2;
        if self.unflushed >= second {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends one frame per channel, interleaved: `frames[c]` is channel `c` (the hybrid's one channel per output).
    pub fn write_frames(&mut self, frames: &[Frame]) -> io::Result<()> {
        debug_assert_eq!(frames.len(), usize::from(self.spec.channels));
        let mut interleaved = Vec::with_capacity(frames.len() * FRAME_SAMPLES);
        for i in 0..FRAME_SAMPLES {
            interleaved.extend(frames.iter().map(|f| f.0[i]));
        }
        self.write_samples(&interleaved)
    }

    /// Writes the buffered audio, then a header naming it.
    pub fn flush(&mut self) -> io::Result<()> {
        let data_bytes = u32::try_from(self.data_bytes).unwrap_or(u32::MAX);
        self.out.flush()?;
        let inner = self.out.get_mut();
        inner.seek(SeekFrom::Start(0))?;
        inner.write_all(&header(self.spec, data_bytes))?;
        inner.seek(SeekFrom::End(0))?;
        inner.flush()?;
        self.unflushed = 0;
        Ok(())
    }

    /// Completes the file and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }
}
