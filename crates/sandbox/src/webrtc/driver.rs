//! The socket task: owns every call's `Rtc`, reads the one UDP socket, routes each datagram to the call that
//! accepts it, feeds str0m its timeouts, and follows every mutation with a full drain of `poll_output`, as str0m
//! requires.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use audio::{FRAME_SAMPLES, Frame, g711};
use str0m::format::{Codec, CodecExtra};
use str0m::media::{Frequency, MediaData, MediaKind, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};

use super::CallState;
use super::tele::EventTracker;

/// Largest datagram read (str0m's MTU target is far below).
const MAX_DATAGRAM: usize = 2000;
/// How long the task sleeps when no call wants a timeout.
const IDLE: Duration = Duration::from_secs(3600);

#[expect(
    clippy::large_enum_variant,
    reason = "frames are nearly every message: boxing them would allocate 50 times a second per call"
)]
pub(super) enum Command {
    Add {
        id: u64,
        rtc: Box<Rtc>,
        mid: Option<Mid>,
        ends: CallEnds,
    },
    Frame {
        id: u64,
        frame: Frame,
    },
    Close {
        id: u64,
    },
}

/// The task's ends of a call's channels.
pub(super) struct CallEnds {
    pub audio: mpsc::Sender<Frame>,
    pub digits: mpsc::UnboundedSender<char>,
    pub state: watch::Sender<CallState>,
}

/// Runs until every [`super::MediaServer`] and call handle is gone.
pub(super) async fn run(
    socket: UdpSocket,
    mut commands: mpsc::UnboundedReceiver<Command>,
    count: Arc<AtomicUsize>,
) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut calls: HashMap<u64, Call> = HashMap::new();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let deadline = calls
            .values()
            .map(|c| c.deadline)
            .min()
            .unwrap_or_else(|| Instant::now() + IDLE);
        tokio::select! {
            read = socket.recv_from(&mut buf) => match read {
                Ok((n, source)) => route(&mut calls, &socket, local, source, &buf[..n]),
                Err(e) => tracing::debug!(error = %e, "media socket read"),
            },
            command = commands.recv() => match command {
                Some(command) => handle(&mut calls, &socket, command),
                None => break,
            },
            () = tokio::time::sleep_until(deadline.into()) => {
                let now = Instant::now();
                for call in calls.values_mut().filter(|c| c.deadline <= now) {
                    call.input(Input::Timeout(now), &socket);
                }
            }
        }
        calls.retain(|_, c| c.rtc.is_alive());
        count.store(calls.len(), Ordering::Relaxed);
    }
}

/// Gives a datagram to the first call whose `Rtc` accepts it (STUN by ufrag, the rest by source address).
fn route(
    calls: &mut HashMap<u64, Call>,
    socket: &UdpSocket,
    local: SocketAddr,
    source: SocketAddr,
    bytes: &[u8],
) {
    let Ok(contents) = bytes.try_into() else {
        return;
    };
    let input = Input::Receive(
        Instant::now(),
        Receive {
            proto: Protocol::Udp,
            source,
            destination: local,
            contents,
        },
    );
    match calls.values_mut().find(|c| c.rtc.accepts(&input)) {
        Some(call) => call.input(input, socket),
        None => tracing::trace!(%source, "datagram for no call"),
    }
}

fn handle(calls: &mut HashMap<u64, Call>, socket: &UdpSocket, command: Command) {
    match command {
        Command::Add { id, rtc, mid, ends } => {
            let mut call = Call {
                rtc,
                mid,
                ends,
                deadline: Instant::now(),
                rtp_time: rand::random::<u32>().into(),
                pending: Vec::with_capacity(2 * FRAME_SAMPLES),
                tele: EventTracker::default(),
            };
            call.drain(socket);
            calls.insert(id, call);
        }
        Command::Frame { id, frame } => {
            if let Some(call) = calls.get_mut(&id) {
                call.send(&frame, socket);
            }
        }
        Command::Close { id } => {
            if let Some(mut call) = calls.remove(&id) {
                call.rtc.disconnect();
            }
        }
    }
}

/// One call's media state. Dropping it closes the call for the application.
struct Call {
    rtc: Box<Rtc>,
    /// The audio m-line, once known (at once for our offers, from `MediaAdded` for the browser's).
    mid: Option<Mid>,
    ends: CallEnds,
    /// When str0m next wants `Input::Timeout`.
    deadline: Instant,
    /// RTP timestamp of the next frame we send (8 kHz units, random start as RFC 3550 asks).
    rtp_time: u64,
    /// Received samples not yet making a whole frame (the browser may packetise other than 20 ms).
    pending: Vec<i16>,
    tele: EventTracker,
}

impl Call {
    fn input(&mut self, input: Input, socket: &UdpSocket) {
        if let Err(e) = self.rtc.handle_input(input) {
            tracing::debug!(error = %e, "WebRTC input");
        }
        self.drain(socket);
    }

    /// Encodes and writes one frame; dropped by str0m before ICE and DTLS are up.
    fn send(&mut self, frame: &Frame, socket: &UdpSocket) {
        let time = MediaTime::new(self.rtp_time, Frequency::EIGHT_KHZ);
        self.rtp_time += FRAME_SAMPLES as u64;
        let Some(writer) = self.mid.and_then(|mid| self.rtc.writer(mid)) else {
            return;
        };
        let Some(pt) = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::PCMU)
            .map(|p| p.pt())
        else {
            return;
        };
        if let Err(e) = writer.write(pt, Instant::now(), time, frame.to_ulaw().to_vec()) {
            tracing::debug!(error = %e, "RTP write");
        }
        self.drain(socket);
    }

    /// Polls str0m until it names its next timeout: transmits go out, events go to the application.
    fn drain(&mut self, socket: &UdpSocket) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.deadline = at;
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    if let Err(e) = socket.try_send_to(&t.contents, t.destination) {
                        tracing::debug!(error = %e, destination = %t.destination, "media send");
                    }
                }
                Ok(Output::Event(event)) => self.on_event(event),
                Err(e) => {
                    tracing::debug!(error = %e, "WebRTC closed");
                    self.rtc.disconnect();
                    return;
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Connected => {
                tracing::info!("WebRTC media connected (ICE, DTLS-SRTP)");
                self.ends.state.send_replace(CallState::Connected);
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.rtc.disconnect()
            }
            Event::MediaAdded(m) if m.kind == MediaKind::Audio && self.mid.is_none() => {
                self.mid = Some(m.mid)
            }
            Event::MediaData(data) => self.on_media(&data),
            _ => {}
        }
    }

    fn on_media(&mut self, data: &MediaData) {
        if let CodecExtra::Tele(report) = data.codec_extra {
            for digit in self.tele.report(data.time.numer(), &report) {
                let _ = self.ends.digits.send(digit);
            }
        } else if data.params.spec().codec == Codec::PCMU {
            self.pending
                .extend(data.data.iter().map(|&b| g711::ulaw_to_linear(b)));
            while self.pending.len() >= FRAME_SAMPLES {
                let frame = Frame::from_samples(&self.pending[..FRAME_SAMPLES]);
                self.pending.drain(..FRAME_SAMPLES);
                // A reader that is a second behind loses the newest audio rather than stalling the socket.
                let _ = self.ends.audio.try_send(frame);
            }
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.ends.state.send_replace(CallState::Closed);
    }
}
