//! The one task that moves the hybrid's audio. **The capture is the clock**: each 20 ms frame the studio input
//! delivers is one tick — every line's stream is drained into its [`Inlet`] (jitter and drift buffer) and gives
//! one frame, the [`MixCore`] mixes, the playback channels are written and each caller is sent what they hear.
//! Nothing waits on a stream: a slow or silent line is concealed by its inlet, a full outbound queue drops the
//! frame, so one bad line never holds up the others.
//!
//! Streams arrive from the [`StreamHub`] (`/voice/stream`, already checked: signature, routed call, secret) for
//! [`StreamOwner::Line`]; a stream for a call that is not (any more) on that line is closed at once, which sends
//! its caller on to the screened queue (the TwiML after `<Connect>`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use audio::Frame;

use super::mix::MixCore;
use super::{Hybrid, device};
use crate::media::device::{Capture, Playback};
use crate::media::line::Inlet;
use crate::media::streams::{OwnerKind, StreamHub, StreamLink, StreamOut, StreamOwner};

/// Ticks between two publications of the meters (200 ms).
const METER_TICKS: u64 = 10;
/// Ticks between two looks for lines whose stream never came (1 s).
const OVERDUE_TICKS: u64 = 50;
/// How long to wait before opening the devices again after the engine failed.
const RESTART_AFTER: Duration = Duration::from_secs(2);

/// One line's stream, while it lasts.
struct Live {
    link: StreamLink,
    inlet: Inlet,
}

/// Runs the engine until the server shuts down, starting it again (after a pause, logged) if a device fails.
pub fn spawn(hybrid: Arc<Hybrid>, streams: StreamHub) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let closed = hybrid.callin.closed();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                () = &mut closed => return,
                result = run(&hybrid, &streams) => match result {
                    Ok(()) => return,
                    Err(e) => tracing::error!(error = format!("{e:#}"), "hybrid engine stopped; starting again"),
                },
            }
            tokio::time::sleep(RESTART_AFTER).await;
        }
    })
}

/// Hold music for `PIPHONE_HYBRID_HOLD=music`: piphone's own loop, as 8 kHz samples.
fn hold_music() -> Vec<i16> {
    crate::sounds::wav("hold")
        .and_then(|bytes| audio::wav::Wav::parse(&bytes).ok())
        .map(|wav| wav.to_telephone())
        .unwrap_or_default()
}

/// Opens the devices and mixes until the server shuts down (`Ok`) or a device fails (`Err`).
async fn run(hybrid: &Arc<Hybrid>, streams: &StreamHub) -> anyhow::Result<()> {
    let settings = &hybrid.settings;
    let mut capture = Capture::open(&device(&settings.capture)?, 1).await?;
    let mut playback =
        Playback::open(&device(&settings.playback)?, settings.output_channels()).await?;
    let mut arrivals = streams.subscribe(OwnerKind::Line);
    let mut routing = hybrid.routing();
    let mut core = MixCore::new(settings, hold_music());
    let mut live: Vec<Option<Live>> = (0..settings.lines).map(|_| None).collect();
    let closed = hybrid.callin.closed();
    tokio::pin!(closed);
    tracing::info!(lines = settings.lines, "hybrid engine running");
    for tick in 0u64.. {
        let input = tokio::select! {
            () = &mut closed => break,
            input = capture.next() => input.context("studio input")?,
        };
        while let Ok(link) = arrivals.try_recv() {
            attach(hybrid, &mut live, link);
        }
        let mut frames = Vec::with_capacity(live.len());
        for slot in &mut live {
            frames.push(match slot {
                Some(line) => match line.inlet.drain(&mut line.link.events).stop {
                    None => line.inlet.pull(),
                    Some(unexpected) => {
                        let call_sid = line.link.call_sid.clone();
                        *slot = None;
                        let hybrid = hybrid.clone();
                        tokio::spawn(
                            async move { hybrid.stream_ended(&call_sid, unexpected).await },
                        );
                        Frame::SILENCE
                    }
                },
                None => Frame::SILENCE,
            });
        }
        core.set_routing(&routing.borrow_and_update());
        let studio = input.first().copied().unwrap_or(Frame::SILENCE);
        let out = core.tick(studio, &frames);
        playback.write(&out.playback).await.context("playback")?;
        for (slot, frame) in live.iter().zip(out.to_lines) {
            if let Some(line) = slot {
                // Full: the call's sender is behind; drop this frame rather than build up delay.
                let _ = line.link.audio_out.try_send(StreamOut::Frame(frame));
            }
        }
        if tick % METER_TICKS == 0 {
            hybrid.set_levels(core.levels());
        }
        if tick % OVERDUE_TICKS == 0 {
            let hybrid = hybrid.clone();
            tokio::spawn(async move { hybrid.give_up_overdue().await });
        }
    }
    playback
        .close()
        .await
        .context("closing the playback device")?;
    Ok(())
}

/// A stream arrived: onto its line if piphone sent that caller there, else closed (the caller goes on to the
/// screened queue).
fn attach(hybrid: &Hybrid, live: &mut [Option<Live>], link: StreamLink) {
    let StreamOwner::Line(n) = link.owner else {
        return;
    };
    let Some(slot) = n.checked_sub(1).and_then(|i| live.get_mut(usize::from(i))) else {
        return;
    };
    if hybrid.stream_started(n, &link.call_sid) {
        tracing::info!(call_sid = %link.call_sid, line = n, "caller's stream on the line");
        *slot = Some(Live {
            link,
            inlet: Inlet::new(),
        });
    } else {
        tracing::warn!(call_sid = %link.call_sid, line = n, "stream for a caller not on that line: closed");
    }
}
