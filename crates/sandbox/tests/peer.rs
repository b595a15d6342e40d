//! A browser's media end in the tests: a str0m peer (a full ICE agent, as Chromium is) on its own loopback UDP
//! socket that offers or answers PCMU + telephone-event, sends 20 ms frames (and RFC 4733 key presses) and keeps
//! everything it hears.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use audio::analyse::{dominant_hz, level_dbfs, tone_dbfs};
use audio::tone::Sine;
use audio::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, MediaKind, MediaTime, Mid, Pt, TelephoneEvent};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;

pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// The level every test tone is sent at.
pub const TONE_DBFS: f64 = -10.0;
/// RFC 4733 event code of `*`.
pub const STAR: u8 = 10;

pub struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Option<Mid>,
    pub connected: bool,
    deadline: Instant,
    rtp_time: u64,
    /// Every sample heard, in order.
    pub heard: Vec<i16>,
}

impl Peer {
    pub async fn new() -> Peer {
        let socket = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
        let local = socket.local_addr().unwrap();
        // Opus first, as Chromium offers; the sandbox must pick PCMU.
        let mut config = RtcConfig::new()
            .clear_codecs()
            .enable_opus(true, false)
            .enable_pcmu(true, false);
        config.codec_config().add_config(
            Pt::new_with_value(101),
            None,
            Codec::Tele,
            Frequency::EIGHT_KHZ,
            None,
            FormatParams::default(),
        );
        let mut rtc = config.build(Instant::now());
        rtc.add_local_candidate(Candidate::host(local, "udp").unwrap());
        Peer {
            rtc,
            socket,
            local,
            mid: None,
            connected: false,
            deadline: Instant::now(),
            rtp_time: 0,
            heard: Vec::new(),
        }
    }

    /// An offer of one send-receive audio m-line, as the SDK's `invite` carries.
    pub fn offer(&mut self) -> (String, SdpPendingOffer) {
        let mut change = self.rtc.sdp_api();
        self.mid = Some(change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None));
        let (offer, pending) = change.apply().unwrap();
        (offer.to_sdp_string(), pending)
    }

    pub fn accept_answer(&mut self, pending: SdpPendingOffer, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).unwrap();
        self.rtc.sdp_api().accept_answer(pending, answer).unwrap();
        self.drain();
    }

    /// The answer to the sandbox's offer, as the SDK's `answer` frame carries.
    pub fn answer(&mut self, offer: &str) -> String {
        let offer = SdpOffer::from_sdp_string(offer).unwrap();
        let answer = self.rtc.sdp_api().accept_offer(offer).unwrap();
        self.drain();
        answer.to_sdp_string()
    }

    /// One 20 ms PCMU frame, with a telephone-event (`end`, 100 ms) starting alongside it when `key` is given.
    pub fn send(&mut self, frame: &Frame, key: Option<u8>) {
        let time = MediaTime::new(self.rtp_time, Frequency::EIGHT_KHZ);
        self.rtp_time += FRAME_SAMPLES as u64;
        let Some(mut writer) = self.mid.and_then(|mid| self.rtc.writer(mid)) else {
            return;
        };
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::PCMU)
            .expect("PCMU negotiated")
            .pt();
        if let Some(event) = key {
            writer = writer.telephone_event(TelephoneEvent {
                event,
                end: true,
                volume: 10,
                duration: Duration::from_millis(100),
            });
        }
        writer
            .write(pt, Instant::now(), time, frame.to_ulaw().to_vec())
            .unwrap();
        self.drain();
    }

    /// Handles the network and str0m's timeouts until `until`.
    pub async fn run_until(&mut self, until: Instant) {
        let mut buf = vec![0u8; 2000];
        loop {
            let wake = self.deadline.min(until);
            tokio::select! {
                read = self.socket.recv_from(&mut buf) => {
                    let (n, source) = read.unwrap();
                    let input = Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp,
                        source,
                        destination: self.local,
                        contents: buf[..n].try_into().unwrap(),
                    });
                    self.rtc.handle_input(input).unwrap();
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    self.rtc.handle_input(Input::Timeout(Instant::now())).unwrap();
                }
            }
            self.drain();
            if Instant::now() >= until {
                return;
            }
        }
    }

    /// Runs until ICE and DTLS are up (10 s at most).
    pub async fn connect(&mut self) {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !self.connected {
            assert!(Instant::now() < give_up, "ICE/DTLS did not connect");
            self.run_until(Instant::now() + Duration::from_millis(20))
                .await;
        }
    }

    /// Says a `hz` tone for `secs` seconds, one frame every 20 ms, pressing `keys` ((frame, event) pairs) on
    /// the way; hears meanwhile. Returns the peer, so that a test can run it as a task while it polls the
    /// sandbox.
    pub async fn talk(mut self, hz: f64, secs: f64, keys: Vec<(u32, u8)>) -> Peer {
        self.connect().await;
        let mut tone = Sine::new(hz, TONE_DBFS);
        let start = Instant::now();
        let frames = (secs * 1000.0 / audio::FRAME_MS as f64) as u32;
        for n in 0..frames {
            let key = keys.iter().find(|(at, _)| *at == n).map(|(_, key)| *key);
            self.send(&tone.frame(), key);
            self.run_until(
                start + Duration::from_millis(u64::from(audio::FRAME_MS) * u64::from(n + 1)),
            )
            .await;
        }
        self
    }

    fn drain(&mut self) {
        loop {
            match self.rtc.poll_output().unwrap() {
                Output::Timeout(at) => {
                    self.deadline = at;
                    return;
                }
                Output::Transmit(t) => {
                    self.socket.try_send_to(&t.contents, t.destination).unwrap();
                }
                Output::Event(Event::Connected) => self.connected = true,
                Output::Event(Event::MediaAdded(m)) => self.mid = Some(m.mid),
                Output::Event(Event::MediaData(d)) if d.params.spec().codec == Codec::PCMU => {
                    self.heard.extend(Frame::from_ulaw(&d.data).samples());
                }
                Output::Event(_) => {}
            }
        }
    }
}

/// The last half second of `samples`: past any start-up, long enough for a sharp frequency estimate.
pub fn tail(samples: &[i16]) -> &[i16] {
    let n = SAMPLE_RATE as usize / 2;
    assert!(samples.len() >= n, "only {} samples arrived", samples.len());
    &samples[samples.len() - n..]
}

/// The last half second of `samples` is a `hz` tone (± 15 Hz) louder than −30 dBFS; returns its level.
pub fn assert_tone(samples: &[i16], hz: f64, who: &str) -> f64 {
    let tail = tail(samples);
    let found = dominant_hz(tail, SAMPLE_RATE).unwrap_or_else(|| panic!("{who}: no tone"));
    assert!(
        (found - hz).abs() < 15.0,
        "{who}: dominant {found} Hz, expected {hz} Hz"
    );
    let level = level_dbfs(tail);
    assert!(level > -30.0, "{who}: {hz} Hz at only {level} dBFS");
    level
}

/// Nothing at `hz` in the last half second of `samples` (40 dB below the tones).
pub fn assert_no_tone(samples: &[i16], hz: f64, who: &str) {
    let level = tone_dbfs(tail(samples), hz);
    assert!(level < TONE_DBFS - 40.0, "{who}: {hz} Hz at {level} dBFS");
}
