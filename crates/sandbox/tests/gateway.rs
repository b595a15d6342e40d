//! The signaling gateway spoken to as `@twilio/voice-sdk` 2.18.5 speaks (PStream 1.6).

use serde_json::json;

use crate::helpers::{OFFER, TestSandbox, events, now};

#[tokio::test]
async fn listen_answers_connected_and_register_answers_ready() {
    let sb = TestSandbox::spawn().await;
    let mut ws = sb.ws().await;
    ws.send(
        "listen",
        json!({ "token": sb.token("alice", 600, now()), "browserinfo": {}, "reconnectTimeout": 0 }),
    )
    .await;
    let connected = ws.expect("connected").await;
    assert_eq!(connected["token"]["identity"], "alice");
    let ttl = connected["token"]["ttl"].as_i64().unwrap();
    assert!((595..=600).contains(&ttl), "ttl {ttl}");
    ws.send("register", json!({ "media": { "audio": true } }))
        .await;
    ws.expect("ready").await;
    // A token update is a second `listen`.
    ws.send(
        "listen",
        json!({ "token": sb.token("alice", 900, now()), "browserinfo": {}, "reconnectTimeout": 0 }),
    )
    .await;
    let renewed = ws.expect("connected").await["token"]["ttl"]
        .as_i64()
        .unwrap();
    assert!(
        (895..=900).contains(&renewed),
        "ttl after renewal {renewed}"
    );
    ws.send("register", json!({ "media": { "audio": false } }))
        .await;
    ws.expect("offline").await;
}

#[tokio::test]
async fn bad_tokens_get_twilios_error_codes() {
    let sb = TestSandbox::spawn().await;
    let good = sb.valid_token("alice");
    let mut forged = good.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let other_key = twilio::token::AccessToken::new(
        &sb.creds.account_sid,
        &sb.creds.api_key_sid,
        "0".repeat(32),
        "alice",
    )
    .voice(Default::default())
    .to_jwt_at(now())
    .unwrap();
    let cases = [
        ("expired", sb.token("alice", 60, now() - 3600), 31205),
        ("forged signature", forged, 31204),
        ("signed with another secret", other_key, 31204),
        ("not yet valid", sb.token("alice", 3600, now() + 600), 31204),
        ("not a JWT", "garbage".to_owned(), 31204),
    ];
    for (case, token, code) in cases {
        let mut ws = sb.ws().await;
        ws.send(
            "listen",
            json!({ "token": token, "browserinfo": {}, "reconnectTimeout": 0 }),
        )
        .await;
        let err = ws.expect("error").await;
        assert_eq!(err["error"]["code"], code, "case {case}: {err}");
        ws.send("register", json!({ "media": { "audio": true } }))
            .await;
        assert_eq!(
            ws.expect("error").await["error"]["code"],
            31204,
            "case {case}: register without a valid token"
        );
        ws.close().await;
    }
}

#[tokio::test]
async fn outgoing_call_rings_answers_takes_dtmf_and_hangs_up() {
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice",
        r#"<Response><Say>You are on the air</Say><Pause length="600"/></Response>"#,
    );
    let mut ws = sb.registered("alice").await;
    let sid = ws.invite("TJSabc", Some("To=%2B15557770001&Mode=dj")).await;
    assert!(sid.starts_with("CA") && sid.len() == 34, "{sid}");
    let answer = ws.expect("answer").await;
    assert_eq!(answer["callsid"], sid.as_str());
    let sdp = answer["sdp"].as_str().unwrap();
    // The synthetic answer (default build): derived from the browser's offer.
    #[cfg(not(feature = "webrtc"))]
    assert!(
        sdp.contains("a=mid:0") && sdp.contains("opus/48000/2") && sdp.contains("a=setup:active"),
        "{sdp}"
    );
    #[cfg(feature = "webrtc")]
    // Real media (the sandbox's `webrtc` module): PCMU only, ICE-lite, one host candidate.
    assert!(
        sdp.contains("a=mid:0")
            && sdp.contains("m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n")
            && sdp.contains("a=rtpmap:0 PCMU/8000")
            && sdp.contains("a=ice-lite")
            && sdp.contains(" 127.0.0.1 ")
            && sdp.contains(" typ host"),
        "{sdp}"
    );

    let voice = &sb.wait_requests("/voice", 1).await[0];
    for (name, value) in [
        ("AccountSid", sb.creds.account_sid.as_str()),
        ("ApiVersion", "2010-04-01"),
        ("ApplicationSid", sb.creds.app_sid.as_str()),
        ("CallSid", sid.as_str()),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("From", "client:alice"),
        ("Caller", "client:alice"),
        ("To", "+15557770001"),
        ("Mode", "dj"),
    ] {
        assert_eq!(voice.param(name), Some(value), "field {name} in {voice:?}");
    }
    assert!(voice.valid, "signature refused: {voice:?}");

    ws.send("dtmf", json!({ "callsid": sid, "dtmf": "12" }))
        .await;
    sb.wait_call(&sid, "digits 12", |c| {
        events(c, "digits").iter().any(|e| e["digits"] == "12")
    })
    .await;
    ws.send("hangup", json!({ "callsid": "TJSabc" })).await;
    let call = sb.wait_status(&sid, "completed").await;
    assert_eq!(events(&call, "say")[0]["text"], "You are on the air");
    assert_eq!(events(&call, "hangup")[0]["by"], "client");
}

#[tokio::test]
async fn server_hangs_up_when_twiml_ends() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice", "<Response><Say>Bye</Say></Response>");
    let mut ws = sb.registered("alice").await;
    let sid = ws.invite("TJS1", None).await;
    ws.expect("answer").await;
    assert_eq!(ws.expect("hangup").await["callsid"], sid.as_str());
}

#[tokio::test]
async fn incoming_call_rings_every_listed_client_and_the_first_to_accept_wins() {
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Dial action="/app/after"><Client>dj</Client><Client>producer</Client></Dial></Response>"#,
    );
    sb.twiml("/app/after", "<Response><Say>Thanks</Say></Response>");
    let mut ws = sb.registered("dj").await;
    let mut producer = sb.registered("producer").await;
    let caller = sb.call_in("+15551230001").await;
    let other = producer.expect("invite").await;
    assert_eq!(other["parameters"]["To"], "client:producer");
    let invite = ws.expect("invite").await;
    let child = invite["callsid"].as_str().unwrap().to_owned();
    assert_eq!(invite["parameters"]["CallSid"], child.as_str());
    assert_eq!(invite["parameters"]["From"], "+15551230001");
    assert_eq!(invite["parameters"]["To"], "client:dj");
    assert_eq!(
        invite["parameters"]["AccountSid"],
        sb.creds.account_sid.as_str()
    );
    let offer = invite["sdp"].as_str().unwrap();
    assert!(
        offer.contains("a=setup:actpass") && offer.contains("m=audio"),
        "{offer}"
    );
    ws.send("answer", json!({ "callsid": child, "sdp": OFFER }))
        .await;
    sb.wait_call(&caller, "bridged", |c| c["bridged_with"] == child.as_str())
        .await;
    assert_eq!(producer.expect("cancel").await["callsid"], child.as_str());
    assert_eq!(sb.call(&child).await["to"], "client:dj");
    sb.hang_up(&caller).await;
    assert_eq!(ws.expect("hangup").await["callsid"], child.as_str());
    let after = sb.wait_requests("/app/after", 1).await;
    assert_eq!(after[0].param("DialCallStatus"), Some("completed"));
    assert_eq!(after[0].param("DialCallSid"), Some(child.as_str()));
}

#[tokio::test]
async fn rejected_incoming_call_is_busy_and_unanswered_is_cancelled() {
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Dial action="/app/after" timeout="10"><Client>dj</Client></Dial></Response>"#,
    );
    let mut ws = sb.registered("dj").await;
    sb.call_in("+15551230001").await;
    let child = ws.expect("invite").await["callsid"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.send("reject", json!({ "callsid": child })).await;
    assert_eq!(
        sb.wait_requests("/app/after", 1).await[0].param("DialCallStatus"),
        Some("busy")
    );

    let caller = sb.call_in("+15551230002").await;
    let child = ws.expect("invite").await["callsid"]
        .as_str()
        .unwrap()
        .to_owned();
    sb.hang_up(&caller).await;
    assert_eq!(ws.expect("cancel").await["callsid"], child.as_str());
}

#[tokio::test]
async fn answer_on_bridge_holds_the_answer_until_the_far_end_picks_up() {
    let sb = TestSandbox::spawn().await;
    sb.phone("+15557770009", "answer", 2000).await;
    sb.twiml(
        "/voice",
        r#"<Response><Dial answerOnBridge="true"><Number>+15557770009</Number></Dial></Response>"#,
    );
    let mut ws = sb.registered("alice").await;
    let sid = ws.invite("TJS2", None).await;
    let ringing = sb.call(&sid).await;
    assert_eq!(ringing["status"], "ringing", "{ringing:#}");
    ws.expect("answer").await;
    let call = sb.call(&sid).await;
    let kinds: Vec<&str> = call["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let (dial, answered) = (
        kinds.iter().position(|k| *k == "dial").unwrap(),
        kinds.iter().position(|k| *k == "answered").unwrap(),
    );
    assert!(dial < answered, "answered only once bridged: {kinds:?}");
    assert!(!call["bridged_with"].is_null(), "{call:#}");
}

#[tokio::test]
async fn the_gateway_sends_a_heartbeat_within_15_seconds() {
    use futures_util::StreamExt;
    let sb = TestSandbox::spawn().await;
    let url = format!("ws://{}/signal", sb.base.authority());
    let (mut stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = tokio::time::timeout(std::time::Duration::from_secs(1), stream.next())
        .await
        .expect("a heartbeat right after the upgrade")
        .unwrap()
        .unwrap();
    assert_eq!(first.into_text().unwrap().as_str(), "\n");
    let next = tokio::time::timeout(std::time::Duration::from_secs(15), stream.next())
        .await
        .expect("another heartbeat within 15 s")
        .unwrap()
        .unwrap();
    assert_eq!(next.into_text().unwrap().as_str(), "\n");
}

#[tokio::test]
async fn a_token_that_runs_out_unregisters_with_31205_until_the_next_listen() {
    let sb = TestSandbox::spawn().await;
    let mut ws = sb.ws().await;
    ws.send(
        "listen",
        json!({ "token": sb.token("alice", 2, now()), "browserinfo": {}, "reconnectTimeout": 0 }),
    )
    .await;
    ws.expect("connected").await;
    ws.send("register", json!({ "media": { "audio": true } }))
        .await;
    ws.expect("ready").await;
    assert_eq!(ws.expect("error").await["error"]["code"], 31205);
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Dial timeout="1" action="/app/after"><Client>alice</Client></Dial></Response>"#,
    );
    sb.call_in("+15551230001").await;
    let after = &sb.wait_requests("/app/after", 1).await[0];
    assert_eq!(
        after.param("DialCallStatus"),
        Some("no-answer"),
        "no longer registered"
    );
    ws.send(
        "listen",
        json!({ "token": sb.valid_token("alice"), "browserinfo": {}, "reconnectTimeout": 0 }),
    )
    .await;
    ws.expect("connected").await;
}
