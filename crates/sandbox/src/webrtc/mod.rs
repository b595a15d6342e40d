//! Real WebRTC media for browser legs: the sandbox terminates the browser's peer connection the way a Twilio media
//! server does, with [str0m](https://docs.rs/str0m/0.24.1) (sans-IO) in ICE-lite mode.
//!
//! - **One UDP socket for all calls**, bound lazily on the IP the gateway gives ([`MediaServer::new`], port 0), read
//!   by one task (`driver.rs`) that routes each datagram to its call's `Rtc` ([`str0m::Rtc::accepts`]), drives
//!   str0m's timeouts and writes what str0m transmits. Nothing in it waits per packet: sends are `try_send_to`
//!   (UDP drops rather than blocks), frames to the application go through bounded channels and are dropped when
//!   the reader lags. A call's state is dropped as soon as it ends.
//! - **PCMU only** (plus RFC 4733 telephone-event/8000 when the offer has it): what the unmodified Voice SDK 2.18.5
//!   in Chromium negotiates when the answer offers nothing else (its codec preference is PCMU first). The SDK sends
//!   no trickle candidates: the whole SDP goes in `invite`/`answer`, our single host candidate with it. On loopback
//!   Chromium needs `--allow-loopback-in-peer-connection`.
//! - Audio is [`audio::Frame`]s both ways: decoded 20 ms frames from the browser on [`RtcCall::audio`], and frames
//!   the caller paces every 20 ms into [`FrameSender::send`] (μ-law encoded, RTP timestamp +160 per frame). Frames
//!   may be sent as soon as the call exists, so ringback can go as early media before the signaling `answer`;
//!   str0m drops them until ICE and DTLS are up.
//! - DTMF: each telephone-event becomes one digit on [`RtcCall::digits`] (see `tele.rs`).

mod driver;
mod tele;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use audio::Frame;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, Mid, Pt};
use str0m::{Candidate, Rtc, RtcConfig, RtcError};
use tokio::net::UdpSocket;
use tokio::sync::{OnceCell, mpsc, watch};

use driver::{CallEnds, Command};

/// Frames from the browser a reader may fall behind by before newer ones are dropped (1 s).
const AUDIO_QUEUE: usize = 50;

/// The payload type offered for telephone-event/8000 (the answer keeps the offerer's).
const TELEPHONE_EVENT_PT: u8 = 101;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("unusable SDP: {0}")]
    Sdp(String),
    #[error("no host candidate on {0}: {1}")]
    Address(SocketAddr, String),
    #[error("WebRTC: {0}")]
    Rtc(#[from] RtcError),
    #[error("media socket: {0}")]
    Io(#[from] std::io::Error),
}

/// Where a call's media stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// Negotiated; ICE and DTLS not (yet) up.
    New,
    /// ICE and DTLS are up: audio flows.
    Connected,
    /// Closed by [`FrameSender::close`], by the peer, or by an ICE timeout; its state is gone.
    Closed,
}

/// The sandbox's media server: one UDP socket and the task routing it. Cheap to clone.
#[derive(Clone)]
pub struct MediaServer {
    inner: Arc<Inner>,
}

struct Inner {
    local_ip: IpAddr,
    running: OnceCell<Running>,
    next_id: AtomicU64,
    calls: Arc<AtomicUsize>,
}

/// The bound socket's address and the way to its task.
struct Running {
    addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
}

impl MediaServer {
    /// A server that will bind its socket on `local_ip` (port 0) when the first call needs it: the IP the browser
    /// reached the signaling gateway on, so the host candidate is one the browser can reach.
    pub fn new(local_ip: IpAddr) -> MediaServer {
        MediaServer {
            inner: Arc::new(Inner {
                local_ip,
                running: OnceCell::new(),
                next_id: AtomicU64::new(1),
                calls: Arc::new(AtomicUsize::new(0)),
            }),
        }
    }

    /// The socket's address, once a call has bound it.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.running.get().map(|r| r.addr)
    }

    /// How many calls the socket task is routing media for.
    pub fn active_calls(&self) -> usize {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// Answers a browser's offer (a browser-originated call): PCMU, plus telephone-event when offered.
    pub async fn answer(&self, offer_sdp: &str) -> Result<(String, RtcCall), MediaError> {
        let offer =
            SdpOffer::from_sdp_string(offer_sdp).map_err(|e| MediaError::Sdp(e.to_string()))?;
        let running = self.running().await?;
        let mut rtc = new_rtc(running.addr)?;
        let answer = rtc.sdp_api().accept_offer(offer)?;
        let call = self.register(running, rtc, None);
        Ok((answer.to_sdp_string(), call))
    }

    /// An offer for a call to a browser, and the call waiting for the browser's answer.
    pub async fn offer(&self) -> Result<(String, PendingCall), MediaError> {
        let running = self.running().await?;
        let mut rtc = new_rtc(running.addr)?;
        let mut change = rtc.sdp_api();
        let mid = change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None);
        let (offer, pending) = change
            .apply()
            .ok_or_else(|| MediaError::Sdp("nothing to offer".into()))?;
        let pending = PendingCall {
            server: self.clone(),
            rtc: Box::new(rtc),
            pending,
            mid,
        };
        Ok((offer.to_sdp_string(), pending))
    }

    async fn running(&self) -> Result<&Running, MediaError> {
        self.inner
            .running
            .get_or_try_init(|| async {
                let socket = UdpSocket::bind((self.inner.local_ip, 0)).await?;
                let addr = socket.local_addr()?;
                let (commands, rx) = mpsc::unbounded_channel();
                tokio::spawn(driver::run(socket, rx, self.inner.calls.clone()));
                tracing::info!(%addr, "media socket bound");
                Ok::<_, MediaError>(Running { addr, commands })
            })
            .await
    }

    /// Hands `rtc` to the socket task and returns the application's end of the call.
    fn register(&self, running: &Running, rtc: Rtc, mid: Option<Mid>) -> RtcCall {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (audio_tx, audio) = mpsc::channel(AUDIO_QUEUE);
        let (digits_tx, digits) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(CallState::New);
        let ends = CallEnds {
            audio: audio_tx,
            digits: digits_tx,
            state: state_tx,
        };
        let rtc = Box::new(rtc);
        // A send fails only when the task has ended, which it does only once every sender is gone: not here.
        let _ = running.commands.send(Command::Add { id, rtc, mid, ends });
        let sender = FrameSender {
            id,
            commands: running.commands.clone(),
            _close_on_drop: Arc::new(CloseOnDrop {
                id,
                commands: running.commands.clone(),
            }),
        };
        RtcCall {
            audio,
            digits,
            state,
            sender,
        }
    }
}

/// One [`MediaServer`] per local IP, made on first use: browsers may reach the sandbox on loopback and on the LAN,
/// and each needs a host candidate on the address it used. Cheap to clone.
#[derive(Clone, Default)]
pub struct MediaServers(Arc<Mutex<HashMap<IpAddr, MediaServer>>>);

impl MediaServers {
    /// The server for browsers that reached us from `peer` (`None`: loopback, for servers that record no peer).
    /// An IPv4 peer seen through a dual-stack listener (`::ffff:a.b.c.d`) gets an IPv4 candidate.
    pub fn for_peer(&self, peer: Option<IpAddr>) -> MediaServer {
        let ip = peer.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |p| {
            local_ip_towards(p.to_canonical())
        });
        let mut servers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        servers
            .entry(ip)
            .or_insert_with(|| MediaServer::new(ip))
            .clone()
    }
}

/// The local IP the kernel routes `peer` from: the one its signaling connection reached (without NAT in between).
/// Connecting a UDP socket sends nothing; it only picks the route.
fn local_ip_towards(peer: IpAddr) -> IpAddr {
    let (any, fallback) = match peer {
        IpAddr::V4(_) => (
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V4(Ipv4Addr::LOCALHOST),
        ),
        IpAddr::V6(_) => (
            IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ),
    };
    std::net::UdpSocket::bind((any, 0))
        .and_then(|s| s.connect((peer, 9)).and_then(|()| s.local_addr()))
        .map_or(fallback, |a| a.ip())
}

/// PCMU at 8 kHz and telephone-event/8000, nothing else; ICE-lite (the server side).
fn new_rtc(addr: SocketAddr) -> Result<Rtc, MediaError> {
    let mut rtc = rtc_config().set_ice_lite(true).build(Instant::now());
    let candidate =
        Candidate::host(addr, "udp").map_err(|e| MediaError::Address(addr, e.to_string()))?;
    rtc.add_local_candidate(candidate);
    Ok(rtc)
}

/// The codecs both ends of a sandbox call use: PCMU and telephone-event/8000.
fn rtc_config() -> RtcConfig {
    let mut config = RtcConfig::new().clear_codecs().enable_pcmu(true, false);
    config.codec_config().add_config(
        Pt::new_with_value(TELEPHONE_EVENT_PT),
        None,
        Codec::Tele,
        Frequency::EIGHT_KHZ,
        None,
        FormatParams::default(),
    );
    config
}

/// A call to a browser whose answer has not arrived yet.
pub struct PendingCall {
    server: MediaServer,
    rtc: Box<Rtc>,
    pending: SdpPendingOffer,
    mid: Mid,
}

impl PendingCall {
    /// Applies the browser's answer; media starts once ICE and DTLS are up.
    pub fn accept_answer(self, answer_sdp: &str) -> Result<RtcCall, MediaError> {
        let answer =
            SdpAnswer::from_sdp_string(answer_sdp).map_err(|e| MediaError::Sdp(e.to_string()))?;
        let PendingCall {
            server,
            mut rtc,
            pending,
            mid,
        } = self;
        rtc.sdp_api().accept_answer(pending, answer)?;
        // The socket was bound when the offer was made.
        let running = server.inner.running.get().expect("bound by offer()");
        Ok(server.register(running, *rtc, Some(mid)))
    }
}

/// The application's end of one call's media.
pub struct RtcCall {
    /// Decoded PCMU from the browser, in 20 ms frames. Ends (`None`) when the call closes.
    pub audio: mpsc::Receiver<Frame>,
    /// DTMF digits the browser sent as RFC 4733 telephone-events (`0-9`, `*`, `#`, `A-D`), one per key press.
    pub digits: mpsc::UnboundedReceiver<char>,
    /// Where the call's media stands.
    pub state: watch::Receiver<CallState>,
    /// Audio to the browser. The call lives while this or a clone of it does.
    pub sender: FrameSender,
}

impl RtcCall {
    /// Ends the call now (as dropping every [`FrameSender`] would).
    pub fn close(&self) {
        self.sender.close();
    }
}

/// Sends audio to the browser. Dropping the last clone closes the call.
#[derive(Clone)]
pub struct FrameSender {
    id: u64,
    commands: mpsc::UnboundedSender<Command>,
    _close_on_drop: Arc<CloseOnDrop>,
}

impl FrameSender {
    /// Queues one 20 ms frame for the browser. The caller paces: one frame every 20 ms.
    pub fn send(&self, frame: Frame) {
        let _ = self.commands.send(Command::Frame { id: self.id, frame });
    }

    /// Ends the call: its state is dropped, [`RtcCall::audio`] ends, the state becomes [`CallState::Closed`].
    pub fn close(&self) {
        let _ = self.commands.send(Command::Close { id: self.id });
    }
}

struct CloseOnDrop {
    id: u64,
    commands: mpsc::UnboundedSender<Command>,
}

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Close { id: self.id });
    }
}
