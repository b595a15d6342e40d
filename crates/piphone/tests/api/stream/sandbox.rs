//! The whole path through the sandbox (a Media Streams client as Twilio's): a simulated caller with a 440 Hz
//! voice is moved by piphone's REST client to the ticket's `<Connect><Stream>` TwiML, arrives at
//! `/voice/stream` (TLS, signed), and its tone comes out of the link's events; a 1 kHz tone sent on
//! `audio_out` is what the caller hears.

use std::time::{Duration, Instant};

use audio::analyse::dominant_hz;
use audio::tone::Sine;
use piphone::media::streams::{OwnerKind, StreamEvent, StreamOut, StreamOwner};
use piphone::{AppState, Application};
use serde_json::{Value, json};
use twilio::rest::CallUpdate;
use twilio::twiml::VoiceResponse;

use super::{arrival, audio};

/// piphone in sandbox mode with TLS (streams are `wss://` only), on port 0.
async fn sandbox_app(dir: &tempfile::TempDir) -> (AppState, String) {
    let settings = crate::helpers::sandbox_settings(dir.path(), true);
    let app = Application::build(settings).await.unwrap();
    let url = app.local_url.as_str().trim_end_matches('/').to_owned();
    let state = app.state.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    (state, url)
}

/// A request to the sandbox's control API, with its credentials; the JSON answer.
async fn control(state: &AppState, req: reqwest::RequestBuilder) -> Value {
    let res = req
        .basic_auth(
            &state.twilio.account_sid,
            Some(state.twilio.auth_token.expose()),
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_caller_streams_its_tone_to_the_owner_and_hears_the_owners() {
    let dir = tempfile::tempdir().unwrap();
    let (state, base) = sandbox_app(&dir).await;
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let mut lines = state.streams.subscribe(OwnerKind::Line);

    let placed = control(
        &state,
        client
            .post(format!("{base}/sandbox/call-in"))
            .json(&json!({"from": "+15551230001", "voice": {"tone_hz": 440}, "wait": true})),
    )
    .await;
    let sid = placed["calls"][0]["call_sid"].as_str().unwrap().to_owned();

    let owner = StreamOwner::Line(2);
    let ticket = state.streams.expect(&sid, owner.clone());
    let twiml = VoiceResponse::new()
        .push(ticket.connect_twiml(&state.public_url, &owner))
        .to_xml();
    assert!(twiml.contains("wss://127.0.0.1:"), "{twiml}");
    state
        .rest
        .update_call(&sid, &CallUpdate::Twiml(twiml))
        .await
        .expect("call moved to the stream");

    let mut link = arrival(&mut lines).await;
    assert_eq!(
        (link.call_sid.as_str(), &link.owner),
        (sid.as_str(), &owner)
    );
    assert!(link.stream_sid.starts_with("MZ"), "{}", link.stream_sid);
    let said = audio(&mut link, 50).await;
    let hz = dominant_hz(&said[4000..], 8000).unwrap();
    assert!(
        (hz - 440.0).abs() < 5.0,
        "the owner hears the caller's 440 Hz: {hz}"
    );

    // Three seconds of 1 kHz to the caller, paced as an engine would send it.
    let out = link.audio_out.clone();
    let speaker = tokio::spawn(async move {
        let mut tone = Sine::new(1000.0, -10.0);
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        for _ in 0..150 {
            tick.tick().await;
            if out.send(StreamOut::Frame(tone.frame())).await.is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let heard = loop {
        // Keep reading, as an engine would, so the stream's queue never fills.
        while link.events.try_recv().is_ok() {}
        let call = control(&state, client.get(format!("{base}/sandbox/calls/{sid}"))).await;
        let hz = call["audio"]["heard"]["dominant_hz"].as_f64();
        if hz.is_some_and(|hz| (hz - 1000.0).abs() < 5.0) || Instant::now() > deadline {
            break call;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let hz = heard["audio"]["heard"]["dominant_hz"].as_f64();
    assert!(
        hz.is_some_and(|hz| (hz - 1000.0).abs() < 5.0),
        "the caller hears 1 kHz: {heard}"
    );
    speaker.abort();

    // Hanging up ends the stream with Twilio's stop.
    control(
        &state,
        client.post(format!("{base}/sandbox/calls/{sid}/hangup")),
    )
    .await;
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match link.events.recv().await {
                Some(StreamEvent::Stop { unexpected }) => return Some(unexpected),
                Some(_) => {}
                None => return None,
            }
        }
    })
    .await
    .expect("the stream ended");
    assert_eq!(end, Some(false), "a stop, as Twilio sends on hang-up");
}
