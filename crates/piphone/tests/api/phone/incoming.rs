//! A station call (`PIPHONE_INCOMING_MODE=ring`) rings the stream phone when its user may take calls: the speaker
//! rings, `piphone answer` (or auto-answer) connects the stream, `hangup` rejects.

use piphone::domain::Role;
use piphone::kiosk::messages::Command;
use serde_json::json;

use super::{FAR_HZ, LISTENER, PhoneTest, eventually, speaker_hz};

/// A phone whose kiosk user is a host (only they are rung for station calls, as with the browser).
async fn host_phone(extra: &[(&str, &str)]) -> PhoneTest {
    let mut env = vec![("PIPHONE_INCOMING_MODE", "ring")];
    env.extend_from_slice(extra);
    let t = PhoneTest::start(&env).await;
    t.app
        .state
        .store
        .set_role("kiosk", Role::Host)
        .await
        .unwrap();
    t
}

async fn call_in(t: &PhoneTest) -> String {
    let body = json!({"from": LISTENER, "count": 1, "voice": {"tone_hz": FAR_HZ}});
    let placed = t
        .sandbox(reqwest::Method::POST, "/sandbox/call-in", body)
        .await;
    placed["calls"][0]["call_sid"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_call_rings_and_answer_connects_audio_both_ways() {
    let t = host_phone(&[]).await;
    let sid = call_in(&t).await;
    let ringing = t.phone_is("incoming").await;
    let phone = ringing.phone.unwrap();
    assert!(
        phone.incoming_from.unwrap().contains("555"),
        "{}",
        phone.text
    );
    let text = piphone::cli::kiosk::describe(&t.status().await);
    assert!(text.contains("incoming call from: "), "{text}");
    // The speaker rings (440 + 480 Hz) while nobody answers.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;

    let answered = t.outcome(Command::Answer).await;
    assert!(answered.ok, "{answered:?}");
    assert!(answered.message.starts_with("In call with"), "{answered:?}");
    t.far_end_hears_the_microphone(&sid).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let ended = t.outcome(Command::Hangup).await;
    assert!(ended.ok, "{ended:?}");
    t.completed(&sid).await;
    let ring = speaker_hz(&t.speaker().await, 0.1);
    assert!(
        (430.0..=490.0).contains(&ring),
        "the speaker rang at {ring} Hz"
    );
    let voice = speaker_hz(&t.speaker().await, 2.2);
    assert!(
        (voice - FAR_HZ).abs() < FAR_HZ * 0.05,
        "then played the caller: {voice} Hz"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hangup_rejects_a_ringing_call_and_auto_answer_answers() {
    let t = host_phone(&[]).await;
    let sid = call_in(&t).await;
    t.phone_is("incoming").await;
    let rejected = t.outcome(Command::Hangup).await;
    assert_eq!(
        (rejected.ok, rejected.message.as_str()),
        (true, "rejected the incoming call")
    );
    t.completed(&sid).await;

    let auto = host_phone(&[("PIPHONE_KIOSK_AUTO_ANSWER", "true")]).await;
    let sid = call_in(&auto).await;
    let s = auto.phone_is("in-call").await;
    assert!(s.auto_answer);
    auto.far_end_hears_the_microphone(&sid).await;
    assert!(auto.outcome(Command::Hangup).await.ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_with_the_phone_user_not_a_host_is_not_rung_to_the_phone() {
    let t = PhoneTest::start(&[("PIPHONE_INCOMING_MODE", "ring")]).await;
    call_in(&t).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(t.status().await.phone.unwrap().state, "idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_for_a_call_the_phone_did_not_place_is_refused() {
    use piphone::media::streams::StreamOwner;
    use twilio::rest::CallUpdate;
    let t = PhoneTest::start(&[]).await;
    // A listener in the call-in queue, routed by REST to a stream for the phone with a valid ticket: the phone
    // has no such call, so it closes the stream and stays idle.
    let sid = call_in(&t).await;
    eventually(10, || async {
        (t.call(&sid).await["status"] == "in-progress").then_some(())
    })
    .await;
    let state = &t.app.state;
    let ticket = state.streams.expect(&sid, StreamOwner::Phone);
    let connect = twilio::twiml::VoiceResponse::new()
        .connect(ticket.connect_twiml(&state.public_url, &StreamOwner::Phone));
    state
        .rest
        .update_call(&sid, &CallUpdate::Twiml(connect.to_xml()))
        .await
        .unwrap();
    let stopped = eventually(10, || async {
        let c = t.call(&sid).await;
        super::events(&c, "stream")
            .iter()
            .any(|e| e["status"] == "stopped")
            .then_some(c)
    })
    .await;
    assert!(
        stopped.is_some(),
        "the stream was not closed: {}",
        t.call(&sid).await
    );
    assert_eq!(t.status().await.phone.unwrap().state, "idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_who_hangs_up_while_it_rings_stops_the_ringing() {
    let t = host_phone(&[]).await;
    let sid = call_in(&t).await;
    t.phone_is("incoming").await;
    let hung_up = std::time::Instant::now();
    t.sandbox(
        reqwest::Method::POST,
        &format!("/sandbox/calls/{sid}/hangup"),
        json!({}),
    )
    .await;
    t.completed(&sid).await;
    // No webhook tells the number's server that a caller hung up during `<Play>`: the ring loop stops asking,
    // and the phone gives up on the caller after 10 s of silence from it, well before the 30 s ring time.
    let s = eventually(20, || async {
        let s = t.status().await;
        (s.phone.as_ref().unwrap().state != "incoming").then_some(s)
    })
    .await
    .expect("the phone stopped ringing");
    let gone = hung_up.elapsed().as_secs_f64();
    let phone = s.phone.unwrap();
    assert_eq!(phone.state, "ended", "{}", phone.text);
    assert!(phone.text.starts_with("Missed call from"), "{}", phone.text);
    assert!(
        gone < 20.0,
        "stopped ringing {gone:.1} s after the caller left"
    );
}
