//! Real WebRTC media (the `webrtc` feature): str0m peers in the test stand for browsers, over loopback UDP.
//! First the media server alone (`sandbox::webrtc::MediaServer`), then calls through the signaling gateway and
//! the engine, checked by listening: each end hears the other's tone, and silence where it is due.

use std::time::{Duration, Instant};

use audio::tone::Sine;
use sandbox::webrtc::{CallState, MediaError, MediaServer, RtcCall};
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, Ws};
use crate::peer::{LOOPBACK, Peer, STAR, TONE_DBFS, assert_no_tone, assert_tone};

/// `secs` of 20 ms ticks with a connected `call`: the peer sends `peer_hz`, the server `server_hz`; `keys`
/// are (tick, RFC 4733 event) pairs. Returns what the server heard.
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

/// Runs the peer until both ends report the connection up.
async fn connect(peer: &mut Peer, call: &RtcCall) {
    let give_up = Instant::now() + Duration::from_secs(10);
    while !(peer.connected && *call.state.borrow() == CallState::Connected) {
        assert!(Instant::now() < give_up, "ICE/DTLS did not connect");
        peer.run_until(Instant::now() + Duration::from_millis(20))
            .await;
    }
}

/// A tone sent at [`TONE_DBFS`] arrives at that level (± 1 dB, G.711 on the way).
fn assert_level(samples: &[i16], hz: f64, who: &str) {
    let level = assert_tone(samples, hz, who);
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
        answer.contains("PCMU/8000")
            && answer.contains("telephone-event/8000")
            && !answer.contains("opus"),
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
    // `*` after 0.4 s, `4` after 0.8 s: each held 100 ms, well apart.
    let heard = exchange(&mut peer, &mut call, 1000.0, 700.0, &[(20, STAR), (40, 4)]).await;
    assert_level(&heard, 1000.0, "server");
    assert_level(&peer.heard, 700.0, "peer");
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
    assert_level(&heard, 440.0, "server");
    assert_level(&peer.heard, 1200.0, "peer");

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

// ---- through the gateway and the engine ---------------------------------------------------------------------

/// Real time: media is real time anyway, and ring timeouts stay long.
const REAL_TIME: f64 = 1.0;

/// A browser registered as `identity` takes the next `invite`: its peer answers the sandbox's offer in the
/// `answer` frame, as the SDK does. Returns the peer and the invited CallSid.
async fn answer_invite(ws: &mut Ws) -> (Peer, String) {
    let invite = ws.expect("invite").await;
    let sid = invite["callsid"].as_str().unwrap().to_owned();
    let offer = invite["sdp"].as_str().unwrap();
    assert!(
        offer.contains("a=ice-lite")
            && offer.contains("PCMU/8000")
            && offer.contains("telephone-event/8000")
            && offer.contains(" typ host"),
        "a real offer: {offer}"
    );
    let mut peer = Peer::new().await;
    let answer = peer.answer(offer);
    ws.send("answer", json!({ "callsid": sid, "sdp": answer }))
        .await;
    (peer, sid)
}

/// A browser places a call with its peer's offer and applies the sandbox's `answer`. Returns the peer and
/// the CallSid.
async fn place_call(ws: &mut Ws, temp_id: &str) -> (Peer, String) {
    let mut peer = Peer::new().await;
    let (offer, pending) = peer.offer();
    let sid = ws.invite_with(temp_id, None, &offer).await;
    let answer = ws.expect("answer").await;
    peer.accept_answer(pending, answer["sdp"].as_str().unwrap());
    (peer, sid)
}

fn heard_hz(call: &Value) -> Option<f64> {
    call["audio"]["heard"]["dominant_hz"].as_f64()
}

#[tokio::test]
async fn an_incoming_call_to_a_browser_carries_both_voices() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Dial><Client>alice</Client></Dial></Response>",
    );
    let mut ws = sb.registered("alice").await;
    let caller = sb
        .call_in_with_voice("+15551230001", json!({ "tone_hz": 440 }))
        .await;
    let (peer, child) = answer_invite(&mut ws).await;
    let talking = tokio::spawn(peer.talk(1000.0, 3.0, vec![]));
    // The caller hears the browser's 1 kHz.
    sb.wait_hearing(&caller, 1000.0).await;
    let peer = talking.await.unwrap();
    assert_tone(&peer.heard, 440.0, "the browser hears the caller");
    let call = sb.call(&child).await;
    assert_eq!(call["status"], "in-progress", "{call:#}");
    assert!(
        (heard_hz(&call).unwrap() - 440.0).abs() < 3.0,
        "the browser's leg: {call:#}"
    );
    sb.hang_up(&caller).await;
    sb.wait_status(&child, "completed").await;
}

#[tokio::test]
async fn browsers_bridged_by_dial_client_hear_each_other() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml(
        "/voice",
        "<Response><Dial><Client>bob</Client></Dial></Response>",
    );
    let mut alice_ws = sb.registered("alice").await;
    let mut bob_ws = sb.registered("bob").await;
    let (alice, alice_sid) = place_call(&mut alice_ws, "TJSalice").await;
    let (bob, bob_sid) = answer_invite(&mut bob_ws).await;
    let alice = tokio::spawn(alice.talk(1000.0, 3.0, vec![]));
    let bob = tokio::spawn(bob.talk(600.0, 3.0, vec![]));
    let (alice, bob) = (alice.await.unwrap(), bob.await.unwrap());
    assert_tone(&alice.heard, 600.0, "alice hears bob");
    assert_tone(&bob.heard, 1000.0, "bob hears alice");
    assert_no_tone(&alice.heard, 1000.0, "alice does not hear herself");
    let call = sb.call(&alice_sid).await;
    assert_eq!(call["bridged_with"], bob_sid.as_str(), "{call:#}");
}

#[tokio::test]
async fn an_rfc_4733_star_moves_the_host_to_the_next_caller() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Enqueue>radio</Enqueue></Response>",
    );
    let dial = r#"<Response><Dial hangupOnStar="true" action="/app/next"><Queue>radio</Queue></Dial></Response>"#;
    sb.twiml("/voice", dial);
    sb.twiml("/app/next", dial);
    // One after the other, so that caller 1 is at the front.
    let mut callers = Vec::new();
    for (from, hz) in [("+15551230001", 440), ("+15551230002", 880)] {
        let sid = sb.call_in_with_voice(from, json!({ "tone_hz": hz })).await;
        sb.wait_call(&sid, "a place in the queue", |c| !c["queue"].is_null())
            .await;
        callers.push(sid);
    }
    let [first, second] = &callers[..] else {
        unreachable!()
    };

    let mut ws = sb.registered("host").await;
    let (host, host_sid) = place_call(&mut ws, "TJShost").await;
    let talking = tokio::spawn(host.talk(300.0, 2.0, vec![]));
    sb.wait_hearing(first, 300.0).await;
    let host = talking.await.unwrap();
    assert_tone(&host.heard, 440.0, "the host hears caller 1");

    // `*` as an RFC 4733 telephone-event, 0.2 s into the next three seconds.
    let talking = tokio::spawn(host.talk(300.0, 3.0, vec![(10, STAR)]));
    sb.wait_status(first, "completed").await;
    sb.wait_hearing(second, 300.0).await;
    let host = talking.await.unwrap();
    assert_tone(&host.heard, 880.0, "the host hears caller 2");
    assert_no_tone(&host.heard, 440.0, "caller 1 is gone");
    assert_eq!(sb.requests_to("/app/next").len(), 1);
    assert_eq!(sb.call(&host_sid).await["bridged_with"], second.as_str());
}
