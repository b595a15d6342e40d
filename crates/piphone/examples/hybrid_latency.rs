//! Benchmark of the studio hybrid's media path (run by `bench/hybrid.sh`, release build). What it drives, in real
//! time: the `file:` capture device as the clock, `lines` Media Stream stand-ins (a task per line, its own 20 ms
//! timer, μ-law round trip, the `StreamEvent` queue the stream hub hands an engine), each line's [`Inlet`] drained
//! and pulled once per tick, the `file:` playback device (one channel per line), and each line's outgoing queue
//! (`StreamOut`) read by a task per line. What it leaves out: the WebSocket, JSON and base64 of `/voice/stream`
//! and the hybrid's mixer (frames go straight from inlet to playback channel and from capture to each line).
//!
//! Measures: (a) a 1 kHz burst's first frame sent by a line → its onset in the playback WAV, placed at the
//! capture tick that wrote it (plus its offset inside that frame), the lines sending at phases 2.5 ms apart
//! against the capture clock, after the first 5 s (the inlets settle); (b) a burst's onset in the capture file → the
//! outgoing frame holding it received from the line's queue; (c) process CPU (user + system) per line and
//! resident memory with all lines on air.
//!
//! `cargo run --release --example hybrid_latency -- [SECONDS] [LINES] [BUNCH]` (BUNCH: frames a line sends at
//! once, every BUNCH × 20 ms; 1 = evenly).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use audio::tone::Sine;
use audio::wav::Wav;
use audio::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
use piphone::media::device::{Capture, DeviceSpec, Playback};
use piphone::media::line::Inlet;
use piphone::media::streams::{StreamEvent, StreamOut};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

/// Frames between two bursts (1 s); a burst lasts five frames (100 ms).
const BURST_EVERY: u64 = 50;
const BURST_FRAMES: u64 = 5;
/// A sample louder than this starts a burst; the quiet before it must last [`QUIET`] samples.
const ONSET: i16 = 3000;
const QUIET: usize = 400;

/// One line's stand-in for Twilio: numbered frames, a burst every second, the send time of each burst's first
/// frame returned when the run ends.
async fn stream(tx: mpsc::Sender<StreamEvent>, frames: u64, bunch: u64, hz: f64) -> Vec<Instant> {
    let mut tone = Sine::new(hz, -6.0);
    let mut clock = tokio::time::interval(Duration::from_millis(20 * bunch));
    clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut sent = Vec::new();
    let mut seq = 0;
    while seq < frames {
        clock.tick().await;
        for _ in 0..bunch {
            seq += 1;
            let frame = if seq % BURST_EVERY < BURST_FRAMES {
                if seq % BURST_EVERY == 0 {
                    sent.push(Instant::now());
                }
                Frame::from_ulaw(&tone.frame().to_ulaw())
            } else {
                Frame::SILENCE
            };
            if tx.send(StreamEvent::Media { seq, frame }).await.is_err() {
                return sent;
            }
        }
    }
    sent
}

/// Sample indexes where a burst starts.
fn onsets(samples: &[i16]) -> Vec<usize> {
    let mut quiet = QUIET;
    let mut out = Vec::new();
    for (i, &s) in samples.iter().enumerate() {
        if s.unsigned_abs() > ONSET.unsigned_abs() {
            if quiet >= QUIET {
                out.push(i);
            }
            quiet = 0;
        } else {
            quiet += 1;
        }
    }
    out
}

/// p50 and p99 of `values` (ms).
fn percentiles(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    (at(0.50), at(0.99))
}

/// User + system CPU seconds of this process, and its resident memory (MiB).
fn usage() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
        .sum();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    (ticks / 100.0, rss_kib / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let seconds = args.first().copied().unwrap_or(30);
    let lines = args.get(1).copied().unwrap_or(8).clamp(1, 8) as usize;
    let bunch = args.get(2).copied().unwrap_or(1).max(1);
    let dir = tempfile::tempdir()?;
    let capture_path: PathBuf = dir.path().join("capture.wav");
    let playback_path: PathBuf = dir.path().join("playback.wav");

    // The capture file: a burst every second, starting 10 ms into a frame, longer than the run (no loop).
    let ticks = seconds * 50;
    let mut studio = vec![0i16; (ticks as usize + 100) * FRAME_SAMPLES];
    let mut tone = Sine::new(1000.0, -6.0);
    for start in (SAMPLE_RATE as usize / 2..studio.len() - 800).step_by(SAMPLE_RATE as usize) {
        let burst = &mut studio[start + 80..start + 880];
        burst.copy_from_slice(
            &[
                tone.frame().0,
                tone.frame().0,
                tone.frame().0,
                tone.frame().0,
                tone.frame().0,
            ]
            .concat(),
        );
    }
    let capture_onsets = onsets(&studio);
    Wav::mono(studio, SAMPLE_RATE).write(&capture_path)?;

    let mut capture = Capture::open(&DeviceSpec::File(capture_path), 1).await?;
    let mut playback =
        Playback::open(&DeviceSpec::File(playback_path.clone()), lines as u16).await?;
    let mut inlets = Vec::new();
    let mut producers = Vec::new();
    let mut outs = Vec::new();
    let mut receivers = Vec::new();
    for line in 0..lines {
        let (tx, rx) = mpsc::channel(64);
        producers.push(tokio::spawn(stream(
            tx,
            ticks,
            bunch,
            1000.0 + line as f64 * 100.0,
        )));
        inlets.push((Inlet::new(), rx));
        let (out_tx, mut out_rx) = mpsc::channel::<StreamOut>(64);
        outs.push(out_tx);
        // The outgoing side: the sample index (in capture-file samples) and receive time of each burst onset.
        receivers.push(tokio::spawn(async move {
            let (mut quiet, mut index, mut seen) = (QUIET, 0usize, Vec::new());
            while let Some(out) = out_rx.recv().await {
                let StreamOut::Frame(frame) = out else {
                    continue;
                };
                let ulaw = frame.to_ulaw();
                let frame = Frame::from_ulaw(&ulaw);
                for (i, &s) in frame.0.iter().enumerate() {
                    if s.unsigned_abs() > ONSET.unsigned_abs() {
                        if quiet >= QUIET {
                            seen.push((index + i, Instant::now()));
                        }
                        quiet = 0;
                    } else {
                        quiet += 1;
                    }
                }
                index += FRAME_SAMPLES;
            }
            seen
        }));
    }

    let mut tick_times = Vec::with_capacity(ticks as usize);
    let mut cpu_start = None;
    let mut settled = 0;
    for tick in 0..ticks {
        let input = capture.next().await?;
        tick_times.push(Instant::now());
        if tick == 250 {
            cpu_start = Some((usage().0, Instant::now()));
            settled = inlets.iter().map(|(inlet, _)| inlet.stats().starved).sum();
        }
        let mut frames = Vec::with_capacity(lines);
        for (inlet, rx) in &mut inlets {
            inlet.drain(rx);
            frames.push(inlet.pull());
        }
        playback.write(&frames).await?;
        for out in &outs {
            let _ = out.try_send(StreamOut::Frame(input[0]));
        }
    }
    let (cpu_end, rss) = usage();
    let (cpu0, wall0) = cpu_start.expect("runs past 5 s");
    let cpu = (cpu_end - cpu0) / wall0.elapsed().as_secs_f64();
    let stats: Vec<_> = inlets.iter().map(|(inlet, _)| inlet.stats()).collect();
    drop(outs);
    drop(inlets);
    playback.close().await?;

    // (a) stream in → playback.
    let wav = Wav::read(&playback_path)?;
    let mut stream_in = Vec::new();
    for (line, producer) in producers.into_iter().enumerate() {
        let sent = producer.await?;
        for i in onsets(&wav.channel(line)) {
            let tick = i / FRAME_SAMPLES;
            let Some(&at) = tick_times.get(tick) else {
                continue;
            };
            let played = at + Duration::from_micros((i % FRAME_SAMPLES) as u64 * 125);
            if let Some(&from) = sent.iter().rev().find(|&&s| s <= played) {
                // Skip the first seconds: the inlets start and settle.
                if tick > 250 {
                    stream_in.push((played - from).as_secs_f64() * 1000.0);
                }
            }
        }
    }
    // (b) capture → stream out: the capture tick that delivered the onset's frame, plus its offset in that frame.
    let mut stream_out = Vec::new();
    for receiver in receivers {
        for (index, received) in receiver.await? {
            let tick = index / FRAME_SAMPLES;
            if tick <= 250 || !capture_onsets.contains(&index) {
                continue;
            }
            let Some(&at) = tick_times.get(tick) else {
                continue;
            };
            stream_out.push((received - at).as_secs_f64() * 1000.0);
        }
    }
    anyhow::ensure!(
        !stream_in.is_empty() && !stream_out.is_empty(),
        "no bursts measured"
    );
    let (a50, a99) = percentiles(&mut stream_in);
    let (b50, b99) = percentiles(&mut stream_out);
    let starved = stats.iter().map(|s| s.starved).sum::<u64>() - settled;
    let target = stats.iter().map(|s| s.target_ms).fold(0.0, f64::max);
    println!(
        "| lines | bunch | seconds | stream in → playback p50 / p99 | capture → stream out p50 / p99 | CPU per line | RSS | inlet target (max) | samples starved after 5 s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {lines} | {bunch} | {seconds} | {a50:.1} / {a99:.1} ms (n={}) | {b50:.2} / {b99:.2} ms (n={}) | {:.2} % of a core | {rss:.1} MiB | {target:.1} ms | {starved} |",
        stream_in.len(),
        stream_out.len(),
        cpu * 100.0 / lines as f64,
    );
    Ok(())
}
