//! The stream phone's audio task. Idle, it holds no device (no `arecord`/`aplay` child, no CPU). While a call
//! rings or talks it opens the capture and playback devices and ticks once per captured frame — **capture is
//! the clock**: the speaker gets the ring tone or the stream's audio (through a `media::line::Inlet`: jitter
//! buffer plus drift), the stream gets the microphone, or the DTMF tones `piphone dtmf` asked for.

use std::sync::Arc;

use audio::Frame;
use audio::tone::{DtmfSender, DtmfTiming};
use tokio::sync::mpsc;

use super::Phone;
use crate::media::device::{Capture, DeviceSpec, Playback};
use crate::media::line::Inlet;
use crate::media::streams::{StreamEvent, StreamLink, StreamOut};

/// What the phone tells its audio task.
#[derive(Debug)]
pub enum Order {
    /// Ring the speaker (an incoming call), or stop ringing.
    Ring(bool),
    /// Play these keys' tones into the call.
    Digits(String),
    /// The call is over: drop its stream.
    Hangup,
}

/// The sound card: where the microphone is read and the speaker written (`PIPHONE_PHONE_CAPTURE`/`_PLAYBACK`).
pub struct Devices {
    pub capture: DeviceSpec,
    pub playback: DeviceSpec,
}

/// The ring tone, looped (`sounds.rs`: 440 + 480 Hz, 2 s on, 4 s off).
struct Ringer {
    samples: Vec<i16>,
    at: usize,
}

impl Ringer {
    fn new() -> Ringer {
        let samples = crate::sounds::wav("incoming")
            .and_then(|bytes| audio::wav::Wav::parse(&bytes).ok())
            .map(|wav| wav.to_mono())
            .unwrap_or_default();
        Ringer { samples, at: 0 }
    }

    fn next_frame(&mut self) -> Frame {
        if self.samples.is_empty() {
            return Frame::SILENCE;
        }
        let mut frame = Frame::SILENCE;
        for s in &mut frame.0 {
            *s = self.samples[self.at];
            self.at = (self.at + 1) % self.samples.len();
        }
        frame
    }
}

/// One ringing or talking spell: what the devices play between opening and closing.
struct Session {
    ring: Option<Ringer>,
    link: Option<(StreamLink, Inlet)>,
    dtmf: DtmfSender,
}

impl Session {
    fn live(&self) -> bool {
        self.ring.is_some() || self.link.is_some()
    }

    fn apply(&mut self, order: Order) {
        match order {
            Order::Ring(true) => self.ring = Some(Ringer::new()),
            Order::Ring(false) => self.ring = None,
            Order::Digits(digits) => {
                if let Err(bad) = self.dtmf.push(&digits) {
                    tracing::warn!(%bad, "phone: not a DTMF key");
                }
            }
            Order::Hangup => {
                self.link = None;
                self.ring = None;
            }
        }
    }

    /// Takes a stream that arrived if it is the phone's current call; others are dropped (closing them).
    fn offer(&mut self, phone: &Phone, link: StreamLink) {
        if phone.wants_stream(&link.call_sid) {
            tracing::info!(call_sid = %link.call_sid, stream_sid = %link.stream_sid, "phone: stream connected");
            self.ring = None;
            self.link = Some((link, Inlet::new()));
            phone.stream_started();
        } else {
            tracing::warn!(call_sid = %link.call_sid, "phone: a stream for a call it did not place; closed");
        }
    }

    /// One tick: what the speaker plays now, after taking what the stream sent.
    fn tick(&mut self, phone: &Phone, mic: Frame) -> Frame {
        let mut stopped = false;
        if let Some((link, inlet)) = &mut self.link {
            while let Ok(event) = link.events.try_recv() {
                match event {
                    StreamEvent::Media { seq, frame } => inlet.push(seq, frame),
                    StreamEvent::Dtmf(digit) => phone.far_digit(digit),
                    StreamEvent::Mark(_) => {}
                    StreamEvent::Stop { .. } => stopped = true,
                }
            }
            let said = if self.dtmf.is_idle() {
                mic
            } else {
                self.dtmf.next_frame()
            };
            // A full queue means the socket is behind: drop this frame rather than add delay.
            let _ = link.audio_out.try_send(StreamOut::Frame(said));
        }
        let heard = match (&mut self.ring, &mut self.link) {
            (Some(ringer), _) => ringer.next_frame(),
            (None, Some((_, inlet))) => inlet.pull(),
            (None, None) => Frame::SILENCE,
        };
        if stopped {
            self.link = None;
            phone.stream_stopped();
        }
        heard
    }
}

/// The task: waits while idle, runs a session while the phone rings or talks.
pub async fn run(
    phone: Arc<Phone>,
    devices: Devices,
    mut links: mpsc::Receiver<StreamLink>,
    mut orders: mpsc::UnboundedReceiver<Order>,
) {
    let mut session = Session {
        ring: None,
        link: None,
        dtmf: DtmfSender::new(DtmfTiming::default()),
    };
    loop {
        tokio::select! {
            link = links.recv() => match link {
                Some(link) => session.offer(&phone, link),
                None => return,
            },
            order = orders.recv() => match order {
                Some(order) => session.apply(order),
                None => return,
            },
        }
        if session.live()
            && let Err(e) = talk(&phone, &devices, &mut session, &mut links, &mut orders).await
        {
            tracing::error!(error = %e, "phone: the sound card failed; the call goes on without it");
            session.ring = None;
            if session.link.take().is_some() {
                phone.stream_stopped();
            }
        }
    }
}

/// Opens the devices and ticks on the capture clock until nothing rings or talks.
async fn talk(
    phone: &Phone,
    devices: &Devices,
    session: &mut Session,
    links: &mut mpsc::Receiver<StreamLink>,
    orders: &mut mpsc::UnboundedReceiver<Order>,
) -> anyhow::Result<()> {
    let mut capture = Capture::open(&devices.capture, 1).await?;
    let mut playback = Playback::open(&devices.playback, 1).await?;
    while session.live() {
        let mic = capture
            .next()
            .await?
            .into_iter()
            .next()
            .unwrap_or(Frame::SILENCE);
        while let Ok(order) = orders.try_recv() {
            session.apply(order);
        }
        while let Ok(link) = links.try_recv() {
            session.offer(phone, link);
        }
        let heard = session.tick(phone, mic);
        playback.write(&[heard]).await?;
    }
    playback.close().await
}
