//! Media Streams: a TLS WebSocket server (self-signed, as piphone's own) receives the sandbox's
//! stream for `<Connect><Stream>` and `<Start><Stream>` calls and checks it against the documented
//! protocol, the upgrade's signature against twilio-python's `RequestValidator`.

mod server;

use std::time::{Duration, Instant};

use serde_json::json;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::calls_create::create;
use crate::helpers::{TestSandbox, events};
use crate::signatures::assert_python_accepts;
use server::{
    next_peer, num, payload, peer_start, python_accepts, str_field, stream_events, stream_server,
};

#[tokio::test]
async fn connect_stream_speaks_the_documented_protocol() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    let url = format!("{base}/media/stream");
    sb.twiml(
        "/voice/incoming",
        &format!(
            r#"<Response><Connect><Stream url="{url}" name="s1"><Parameter name="line" value="2" /><Parameter name="who" value="a &amp; b" /></Stream></Connect><Say>after</Say><Hangup /></Response>"#
        ),
    );
    let sid = sb.call_in("+15551230001").await;
    let mut peer = next_peer(&mut peers).await;

    assert_eq!(peer.upgrade.path, "/media/stream");
    assert_eq!(peer.upgrade.user_agent, "Twilio.TmeWs/1.0");
    assert_eq!(peer.upgrade.origin, None);
    assert!(
        python_accepts(&sb.creds.auth_token, &url, &peer.upgrade.signature),
        "twilio-python refuses the upgrade's signature for {url}"
    );
    assert!(!python_accepts(
        &sb.creds.auth_token,
        &format!("{url}x"),
        &peer.upgrade.signature
    ));

    assert_eq!(
        peer.recv().await,
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    );
    let start = peer.recv().await;
    let stream_sid = str_field(&start, "streamSid").to_owned();
    assert!(
        stream_sid.starts_with("MZ") && stream_sid.len() == 34,
        "{start}"
    );
    assert_eq!(
        start,
        json!({
            "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
            "start": {
                "accountSid": sb.creds.account_sid, "streamSid": stream_sid, "callSid": sid,
                "tracks": ["inbound"],
                "customParameters": {"line": "2", "who": "a & b"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        })
    );

    // 50 media messages: one counter, chunk from 1, 160 bytes each, about 20 ms apart.
    let first_at = Instant::now();
    let mut last_ts = 0;
    for i in 0..50u64 {
        let m = peer.recv().await;
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["event", "media", "sequenceNumber", "streamSid"],
            "{m}"
        );
        assert_eq!(m["event"], "media");
        assert_eq!(num(&m, "sequenceNumber"), i + 2, "{m}");
        assert_eq!(m["streamSid"], stream_sid.as_str());
        assert_eq!(m["media"]["track"], "inbound");
        assert_eq!(num(&m["media"], "chunk"), i + 1, "{m}");
        let ts = num(&m["media"], "timestamp");
        assert!(ts >= last_ts, "timestamps never go back: {m}");
        last_ts = ts;
        assert_eq!(payload(&m).len(), 160, "{m}");
    }
    let spacing = first_at.elapsed().as_millis() / 49;
    assert!((10..=40).contains(&spacing), "media every {spacing} ms");
    assert!(
        (700..=2000).contains(&last_ts),
        "50 frames span about a second: {last_ts}"
    );

    // Audio back, then a mark: echoed once the 100 ms before it have played.
    let audio = twilio::streams::encode_payload(&[0x55; 800]);
    let sent = Instant::now();
    peer.send(json!({"event": "media", "streamSid": stream_sid, "media": {"payload": audio}}));
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "m1"}}));
    let echo = peer.recv_event().await;
    let waited = sent.elapsed();
    assert_eq!(echo["event"], "mark", "{echo}");
    assert_eq!(echo["mark"], json!({"name": "m1"}));
    assert_eq!(echo["streamSid"], stream_sid.as_str());
    num(&echo, "sequenceNumber");
    assert!(
        waited >= Duration::from_millis(80),
        "m1 echoed after {waited:?}"
    );

    // Ten seconds queued, then clear: the pending mark comes back at once.
    let long = twilio::streams::encode_payload(&vec![0x55; 80_000]);
    peer.send(json!({"event": "media", "streamSid": stream_sid, "media": {"payload": long}}));
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "m2"}}));
    let cleared = Instant::now();
    peer.send(json!({"event": "clear", "streamSid": stream_sid}));
    let echo = peer.recv_event().await;
    assert_eq!(echo["mark"], json!({"name": "m2"}), "{echo}");
    assert!(
        cleared.elapsed() < Duration::from_secs(2),
        "clear returns marks at once"
    );

    // The caller presses 5: a dtmf message.
    let (status, body) = sb
        .control(
            reqwest::Method::POST,
            &format!("/sandbox/calls/{sid}/digits"),
            Some(json!({"digits": "5"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let dtmf = peer.recv_event().await;
    assert_eq!(
        dtmf["dtmf"],
        json!({"track": "inbound_track", "digit": "5"}),
        "{dtmf}"
    );
    num(&dtmf, "sequenceNumber");

    // The server closes: the TwiML after </Connect> runs.
    peer.close();
    let call = sb
        .wait_call(&sid, "the Say after </Connect>", |c| {
            !events(c, "say").is_empty()
        })
        .await;
    let streams = stream_events(&call);
    assert_eq!(streams[0]["status"], "started", "{call:#}");
    assert_eq!(streams[0]["stream_sid"], stream_sid.as_str());
    assert_eq!(streams[0]["name"], "s1");
    assert_eq!(streams[1]["status"], "stopped", "{call:#}");
    assert_eq!(streams[1]["by"], "server");
    assert_eq!(events(&call, "say")[0]["text"], "after");
}

#[tokio::test]
async fn hang_up_sends_stop_and_connect_action_follows_a_closed_stream() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    sb.twiml(
        "/voice/incoming",
        &format!(r#"<Response><Connect action="/voice/after"><Stream url="{base}/a" /></Connect></Response>"#),
    );
    sb.twiml(
        "/voice/after",
        r#"<Response><Connect><Stream url="{base}/b" name="b" statusCallback="/app/stream-status" /></Connect></Response>"#
            .replace("{base}", &base)
            .as_str(),
    );
    let sid = sb.call_in("+15551230002").await;
    let first = next_peer(&mut peers).await;
    assert_eq!(first.upgrade.path, "/a");
    first.close();
    let after = sb.wait_requests("/voice/after", 1).await;
    assert_eq!(after[0].param("CallSid"), Some(sid.as_str()));
    assert!(after[0].valid);
    let mut second = next_peer(&mut peers).await;
    assert_eq!(second.upgrade.path, "/b");
    let stream_sid = str_field(&peer_start(&mut second).await, "streamSid").to_owned();
    sb.hang_up(&sid).await;
    let stop = second.recv_event().await;
    assert_eq!(
        stop,
        json!({"event": "stop", "sequenceNumber": stop["sequenceNumber"], "streamSid": stream_sid,
               "stop": {"accountSid": sb.creds.account_sid, "callSid": sid}})
    );
    num(&stop, "sequenceNumber");
    let call = sb.wait_status(&sid, "completed").await;
    let streams = stream_events(&call);
    assert_eq!(streams.last().unwrap()["by"], "call", "{call:#}");

    // <Stream statusCallback>: started and stopped, signed, with the documented fields.
    let mut hooks = sb.wait_requests("/app/stream-status", 2).await;
    hooks.sort_by_key(|r| r.param("StreamEvent").map(str::to_owned));
    let kinds: Vec<_> = hooks
        .iter()
        .map(|r| r.param("StreamEvent").unwrap())
        .collect();
    assert_eq!(kinds, ["stream-started", "stream-stopped"]);
    for hook in &hooks {
        assert!(hook.valid, "{hook:?}");
        assert_eq!(
            hook.param("AccountSid"),
            Some(sb.creds.account_sid.as_str())
        );
        assert_eq!(hook.param("CallSid"), Some(sid.as_str()));
        assert_eq!(hook.param("StreamSid"), Some(stream_sid.as_str()));
        assert_eq!(hook.param("StreamName"), Some("b"));
        let ts = hook.param("Timestamp").unwrap();
        assert!(
            OffsetDateTime::parse(ts, &Rfc3339).is_ok(),
            "Timestamp {ts}"
        );
    }
    assert_python_accepts(&sb.creds.auth_token, &hooks);
}

#[tokio::test]
async fn start_stream_forks_listen_only_and_twiml_goes_on() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    sb.twiml(
        "/voice/incoming",
        &format!(r#"<Response><Start><Stream url="{base}/fork"><Parameter name="k" value="v" /></Stream></Start><Say>while streaming</Say><Pause length="60" /></Response>"#),
    );
    let sid = sb.call_in("+15551230003").await;
    let mut peer = next_peer(&mut peers).await;
    let start = peer_start(&mut peer).await;
    assert_eq!(start["start"]["customParameters"], json!({"k": "v"}));
    sb.wait_call(&sid, "the Say after <Start>", |c| {
        !events(c, "say").is_empty()
    })
    .await;
    // Listen-only: audio and marks sent back are ignored, digits are not streamed.
    let stream_sid = str_field(&start, "streamSid");
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "x"}}));
    sb.control(
        reqwest::Method::POST,
        &format!("/sandbox/calls/{sid}/digits"),
        Some(json!({"digits": "1"})),
    )
    .await;
    sb.hang_up(&sid).await;
    let last = peer.recv_event().await;
    assert_eq!(last["event"], "stop", "no mark echo, no dtmf: {last}");
}

#[tokio::test]
async fn refused_urls_record_the_error_and_twiml_continues() {
    let sb = TestSandbox::spawn().await;
    let (base, _peers) = stream_server().await;
    let http_base = base.replacen("wss://", "ws://", 1);
    for (url, code) in [
        (format!("{http_base}/media"), 31922),
        (format!("{base}/media?line=2"), 31920),
        ("wss://127.0.0.1:9/closed".to_string(), 31920),
    ] {
        sb.twiml(
            "/voice/incoming",
            &format!(
                r#"<Response><Connect><Stream url="{}" /></Connect><Say>after</Say></Response>"#,
                twilio::twiml::escape(&url, true)
            ),
        );
        let sid = sb.call_in("+15551230004").await;
        let call = sb
            .wait_call(&sid, "the Say after </Connect>", |c| {
                !events(c, "say").is_empty()
            })
            .await;
        let streams = stream_events(&call);
        assert_eq!(streams.len(), 1, "{url}: {call:#}");
        assert_eq!(streams[0]["status"], "error", "{url}");
        assert_eq!(streams[0]["code"], code, "{url}: {}", streams[0]);
        assert_eq!(streams[0]["url"], url.as_str());
    }
}

/// The studio hybrid's way in: a call created by REST whose TwiML connects a stream.
#[tokio::test]
async fn rest_created_call_streams_to_the_server() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    sb.phone("+15550003001", "answer", 100).await;
    let twiml = format!(
        r#"<Response><Connect><Stream url="{base}/line/1"><Parameter name="line" value="1" /></Stream></Connect></Response>"#
    );
    let sid = create(
        &sb,
        &[
            ("To", "+15550003001"),
            ("From", "+15557770000"),
            ("Twiml", twiml.as_str()),
        ],
    )
    .await;
    let mut peer = next_peer(&mut peers).await;
    let start = peer_start(&mut peer).await;
    assert_eq!(start["start"]["callSid"], sid.as_str());
    assert_eq!(start["start"]["customParameters"], json!({"line": "1"}));
    assert_eq!(peer.recv().await["event"], "media");
    peer.close();
    // Nothing after </Connect>: the call ends.
    sb.wait_status(&sid, "completed").await;
}

/// Sound through a `<Connect><Stream>`: the server hears the caller's 440 Hz voice in the `media` payloads,
/// and the caller hears the 700 Hz tone the server sends back (and not its own voice).
#[tokio::test]
async fn connect_stream_carries_the_party_s_voice_both_ways() {
    let sb = TestSandbox::spawn_at(1.0).await;
    let (base, mut peers) = stream_server().await;
    sb.twiml(
        "/voice/incoming",
        &format!(r#"<Response><Connect><Stream url="{base}/audio" /></Connect></Response>"#),
    );
    let sid = sb
        .call_in_with_voice("+15551230009", json!({"tone_hz": 440}))
        .await;
    let mut peer = next_peer(&mut peers).await;
    let start = peer_start(&mut peer).await;
    let stream_sid = str_field(&start, "streamSid").to_owned();

    // What the server hears: one second of the stream's media, after the first half second.
    let mut ulaw = Vec::new();
    while ulaw.len() < 8000 * 3 / 2 {
        let msg = peer.recv().await;
        if msg["event"] == "media" {
            ulaw.extend(payload(&msg));
        }
    }
    let heard_by_server = audio::g711::decode_ulaw(&ulaw[4000..]);
    let hz =
        audio::analyse::dominant_hz(&heard_by_server, 8000).expect("the stream carries a tone");
    assert!(
        (hz - 440.0).abs() < 5.0,
        "the server heard {hz} Hz, not the caller's 440 Hz"
    );
    assert!(audio::analyse::level_dbfs(&heard_by_server) > -30.0);

    // What the caller hears: the server's 700 Hz, sent as 2 s of μ-law in 100 ms messages.
    let mut tone = audio::tone::Sine::new(700.0, -12.0);
    for _ in 0..20 {
        let chunk = tone.take(800);
        let payload = twilio::streams::encode_payload(&audio::g711::encode_ulaw(&chunk));
        peer.send(
            json!({"event": "media", "streamSid": stream_sid, "media": {"payload": payload}}),
        );
    }
    let call = sb.wait_hearing(&sid, 700.0).await;
    let heard = &call["audio"]["heard"];
    assert!(heard["level_dbfs"].as_f64().unwrap() > -30.0, "{heard}");
    sb.hang_up(&sid).await;
}
