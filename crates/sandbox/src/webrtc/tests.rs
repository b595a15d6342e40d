//! A str0m peer in the test (a normal, non-ICE-lite endpoint, as a browser is) against [`MediaServer`] over real
//! loopback UDP: tones both ways, DTMF as RFC 4733, and the call's state freed on close.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use audio::analyse::{dominant_hz, level_dbfs};
use audio::tone::Sine;
use audio::{FRAME_SAMPLES, Frame, SAMPLE_RATE};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, MediaTime, Mid, TelephoneEvent};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

use super::*;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const TONE_DBFS: f64 = -10.0;

/// The browser's side: a str0m peer on its own loopback socket.
struct Peer {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    mid: Option<Mid>,
    connected: bool,
    deadline: Instant,
    rtp_time: u64,
    heard: Vec<i16>,
}

impl Peer {
    async fn new() -> Peer {
        let socket = UdpSocket::bind((LOOPBACK, 0)).await.unwrap();
        let local = socket.local_addr().unwrap();
        let mut rtc = rtc_config().build(Instant::now());
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

    /// Offers PCMU and telephone-event, as the SDK does (with more codecs the server leaves out).
    fn offer(&mut self) -> (String, SdpPendingOffer) {
        let mut change = self.rtc.sdp_api();
        self.mid = Some(change.add_media(MediaKind::Audio, Direction::SendRecv, None, None, None));
        let (offer, pending) = change.apply().unwrap();
        (offer.to_sdp_string(), pending)
    }

    fn accept_answer(&mut self, pending: SdpPendingOffer, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).unwrap();
        self.rtc.sdp_api().accept_answer(pending, answer).unwrap();
        self.drain();
    }

    fn answer(&mut self, offer: &str) -> String {
        let offer = SdpOffer::from_sdp_string(offer).unwrap();
        let answer = self.rtc.sdp_api().accept_offer(offer).unwrap();
        self.drain();
        answer.to_sdp_string()
    }

    /// One 20 ms PCMU frame, with a telephone-event starting alongside it when `key` is given.
    fn send(&mut self, frame: &Frame, key: Option<u8>) {
        let time = MediaTime::new(self.rtp_time, Frequency::EIGHT_KHZ);
        self.rtp_time += FRAME_SAMPLES as u64;
        let Some(mut writer) = self.mid.and_then(|mid| self.rtc.writer(mid)) else {
            return;
        };
        let pt = writer
            .payload_params()
            .find(|p| p.spec().codec == Codec::PCMU)
            .unwrap()
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
    async fn run_until(&mut self, until: Instant) {
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

/// Runs the peer until both ends report the connection up.
async fn connect(peer: &mut Peer, call: &RtcCall) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while !(peer.connected && *call.state.borrow() == CallState::Connected) {
        assert!(Instant::now() < give_up, "ICE/DTLS did not connect");
        peer.run_until(Instant::now() + Duration::from_millis(20))
            .await;
    }
}

/// `seconds` of 20 ms ticks: the peer sends `peer_hz`, the server `server_hz`; `keys` are (tick, RFC 4733 event)
/// pairs. Returns what the server heard.
async fn exchange(
    peer: &mut Peer,
    call: &mut RtcCall,
    peer_hz: f64,
    server_hz: f64,
    keys: &[(u32, u8)],
) -> Vec<i16> {
    let (mut peer_tone, mut server_tone) = (
        Sine::new(peer_hz, TONE_DBFS),
        Sine::new(server_hz, TONE_DBFS),
    );
    let mut heard = Vec::new();
    let start = Instant::now();
    for tick in 0..75u32 {
        let key = keys.iter().find(|(at, _)| *at == tick).map(|(_, key)| *key);
        peer.send(&peer_tone.frame(), key);
        call.sender.send(server_tone.frame());
        peer.run_until(start + Duration::from_millis(20 * u64::from(tick + 1)))
            .await;
        while let Ok(frame) = call.audio.try_recv() {
            heard.extend(frame.samples());
        }
    }
    heard
}

/// The last half second: past any start-up, long enough for a sharp frequency estimate.
fn tail(samples: &[i16]) -> &[i16] {
    let n = SAMPLE_RATE as usize / 2;
    assert!(samples.len() >= n, "only {} samples arrived", samples.len());
    &samples[samples.len() - n..]
}

fn assert_tone(samples: &[i16], hz: f64, who: &str) {
    let tail = tail(samples);
    let found = dominant_hz(tail, SAMPLE_RATE).unwrap_or_else(|| panic!("{who}: no tone"));
    assert!(
        (found - hz).abs() < 15.0,
        "{who}: dominant {found} Hz, sent {hz} Hz"
    );
    let level = level_dbfs(tail);
    assert!(
        (level - TONE_DBFS).abs() < 1.0,
        "{who}: level {level} dBFS, sent {TONE_DBFS}"
    );
}

/// Waits until the socket task routes `n` calls (it takes commands asynchronously).
async fn wait_for_calls(server: &MediaServer, n: usize) {
    let give_up = Instant::now() + Duration::from_secs(2);
    while server.active_calls() != n {
        assert!(
            Instant::now() < give_up,
            "{} calls routed, not {n}",
            server.active_calls()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Closing frees the call: nothing routed any more, the audio channel ends, the state says so.
async fn assert_closes(server: &MediaServer, mut call: RtcCall) {
    call.close();
    wait_for_calls(server, 0).await;
    while call.audio.recv().await.is_some() {}
    assert_eq!(*call.state.borrow(), CallState::Closed);
}

#[tokio::test]
async fn browser_offer_carries_tones_both_ways_and_dtmf() {
    let server = MediaServer::new(LOOPBACK);
    let mut peer = Peer::new().await;
    let (offer, pending) = peer.offer();
    let (answer, mut call) = server.answer(&offer).await.unwrap();
    assert!(answer.contains("a=ice-lite"), "{answer}");
    assert!(
        answer.contains("PCMU/8000") && answer.contains("telephone-event/8000"),
        "{answer}"
    );
    let candidate = format!(
        "{} {} typ host",
        LOOPBACK,
        server.local_addr().unwrap().port()
    );
    assert!(answer.contains(&candidate), "{answer}");
    peer.accept_answer(pending, &answer);
    wait_for_calls(&server, 1).await;

    connect(&mut peer, &call).await;
    // `*` (event 10) after 0.4 s, `4` after 0.8 s: each held 100 ms, well apart.
    let heard = exchange(&mut peer, &mut call, 1000.0, 700.0, &[(20, 10), (40, 4)]).await;
    assert_tone(&heard, 1000.0, "server");
    assert_tone(&peer.heard, 700.0, "peer");
    let mut digits = String::new();
    while let Ok(d) = call.digits.try_recv() {
        digits.push(d);
    }
    assert_eq!(digits, "*4", "one digit per telephone-event");

    assert_closes(&server, call).await;
}

#[tokio::test]
async fn call_to_a_browser_carries_tones_both_ways() {
    let server = MediaServer::new(LOOPBACK);
    let mut peer = Peer::new().await;
    let (offer, pending) = server.offer().await.unwrap();
    assert!(
        offer.contains("a=ice-lite") && offer.contains("PCMU/8000"),
        "{offer}"
    );
    let answer = peer.answer(&offer);
    let mut call = pending.accept_answer(&answer).unwrap();

    connect(&mut peer, &call).await;
    let heard = exchange(&mut peer, &mut call, 440.0, 1200.0, &[]).await;
    assert_tone(&heard, 440.0, "server");
    assert_tone(&peer.heard, 1200.0, "peer");

    assert_closes(&server, call).await;
}

#[tokio::test]
async fn calls_share_one_socket() {
    let server = MediaServer::new(LOOPBACK);
    let (_, first) = server.offer().await.unwrap();
    let first_addr = server.local_addr();
    let (_, second) = server.offer().await.unwrap();
    assert_eq!(server.local_addr(), first_addr);
    drop((first, second));
}

#[tokio::test]
async fn bad_sdp_is_an_error() {
    let server = MediaServer::new(LOOPBACK);
    assert!(matches!(
        server.answer("not sdp").await,
        Err(MediaError::Sdp(_))
    ));
}

#[test]
fn servers_are_per_local_ip() {
    let servers = MediaServers::default();
    let a = servers.for_peer(Some(LOOPBACK));
    let b = servers.for_peer(None);
    assert!(
        Arc::ptr_eq(&a.inner, &b.inner),
        "loopback peer and no peer share the loopback server"
    );
    assert_eq!(a.inner.local_ip, LOOPBACK);
    let mapped = servers.for_peer(Some("::ffff:127.0.0.1".parse().unwrap()));
    assert!(
        Arc::ptr_eq(&a.inner, &mapped.inner),
        "an IPv4-mapped peer is an IPv4 peer"
    );
}
