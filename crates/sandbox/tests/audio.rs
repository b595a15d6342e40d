//! Tests that listen: what each simulated party hears and says, by frequency and level (`audio` in the call
//! view, `heard.wav`), at real speed so that sounds last as long as they would on a phone.

use audio::analyse::{dominant_hz, level_dbfs};
use audio::tone::Sine;
use audio::wav::Wav;
use serde_json::{Value, json};

use crate::helpers::{TestSandbox, events};

/// Real time: a `<Say>` of 40 characters lasts 2.4 s, a `<Play>` 3 s.
const REAL_TIME: f64 = 1.0;
/// A level a speaking party clearly exceeds.
const SPEAKING_DBFS: f64 = -30.0;
/// Below this a party hears silence.
const SILENCE_DBFS: f64 = -60.0;

/// `(dominant Hz, level dBFS)` of what the call's party heard (`"heard"`) or said (`"sent"`) in the last second.
fn listen(call: &Value, which: &str) -> (Option<f64>, f64) {
    let a = &call["audio"][which];
    (a["dominant_hz"].as_f64(), a["level_dbfs"].as_f64().unwrap())
}

fn near(hz: Option<f64>, want: f64, tolerance: f64) -> bool {
    hz.is_some_and(|hz| (hz - want).abs() <= tolerance)
}

/// A caller with a 440 Hz voice whose `<Dial {dial_attributes}>` reaches a phone answering with a 700 Hz voice.
async fn call_a_700_hz_phone(sb: &TestSandbox, dial_attributes: &str) -> String {
    sb.phone_with_voice("+15557770101", "answer", 200, json!({ "tone_hz": 700 }))
        .await;
    sb.twiml(
        "/voice/incoming",
        &format!(
            "<Response><Dial {dial_attributes}><Number>+15557770101</Number></Dial></Response>"
        ),
    );
    sb.call_in_with_voice("+15551230001", json!({ "tone_hz": 440 }))
        .await
}

#[tokio::test]
async fn bridged_parties_hear_each_others_voice_and_heard_wav_holds_it() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    let caller = call_a_700_hz_phone(&sb, "").await;
    let call = sb
        .wait_call(&caller, "a second of the far end's 700 Hz", |c| {
            let (hz, dbfs) = listen(c, "heard");
            near(hz, 700.0, 3.0)
                && dbfs > SPEAKING_DBFS
                && c["audio"]["heard"]["packets"].as_u64() >= Some(60)
        })
        .await;
    let (sent_hz, sent_dbfs) = listen(&call, "sent");
    assert!(
        near(sent_hz, 440.0, 3.0) && sent_dbfs > SPEAKING_DBFS,
        "{call:#}"
    );
    let callee = call["bridged_with"].as_str().unwrap().to_owned();
    sb.wait_hearing(&callee, 440.0).await;

    let wav = Wav::parse(&sb.heard_wav(&caller).await).unwrap();
    assert_eq!(
        (wav.spec.channels, wav.spec.sample_rate),
        (1, audio::SAMPLE_RATE)
    );
    let last_second = &wav.samples[wav.samples.len() - audio::SAMPLE_RATE as usize..];
    let hz = dominant_hz(last_second, audio::SAMPLE_RATE);
    assert!(near(hz, 700.0, 3.0), "heard.wav's last second: {hz:?}");
    assert!(level_dbfs(last_second) > SPEAKING_DBFS);
    sb.hang_up(&caller).await;
}

#[tokio::test]
async fn voices_outside_the_telephone_band_are_refused() {
    let sb = TestSandbox::spawn().await;
    for (case, voice) in [
        ("too low", json!({ "tone_hz": 10 })),
        ("too high", json!({ "tone_hz": 5000 })),
        ("empty speech", json!({ "speech": " " })),
    ] {
        for (route, body) in [
            (
                "/sandbox/call-in",
                json!({ "from": "+15551230001", "voice": voice }),
            ),
            (
                "/sandbox/phones",
                json!({ "number": "+15557770101", "voice": voice }),
            ),
        ] {
            let (status, answer) = sb.control(reqwest::Method::POST, route, Some(body)).await;
            assert_eq!(status, 400, "case {case} at {route}: {answer}");
            assert!(answer["error"].as_str().is_some(), "case {case} at {route}");
        }
    }
}

#[tokio::test]
async fn pause_is_silence_and_say_is_heard() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Pause length="2"/><Say>Welcome to the show, you are on the air.</Say><Pause length="5"/></Response>"#,
    );
    let sid = sb.call_in("+15551230001").await;
    let call = sb
        .wait_call(&sid, "a second of the pause", |c| {
            c["audio"]["heard"]["packets"].as_u64() >= Some(55)
        })
        .await;
    assert!(
        events(&call, "say").is_empty(),
        "still in the pause: {call:#}"
    );
    let (hz, dbfs) = listen(&call, "heard");
    assert!(
        dbfs < SILENCE_DBFS && hz.is_none(),
        "pause: {dbfs} dBFS, {hz:?}"
    );
    let call = sb
        .wait_call(&sid, "the Say heard", |c| listen(c, "heard").1 > -45.0)
        .await;
    assert_eq!(events(&call, "say").len(), 1, "{call:#}");
    assert!(listen(&call, "heard").0.is_some());
    sb.hang_up(&sid).await;
}

/// Two seconds of `hz` as a 16 kHz stereo WAV file, so the sandbox has to convert it.
fn tone_wav(hz: f64) -> Vec<u8> {
    let tone = Sine::at_rate(hz, -10.0, 16_000).take(32_000);
    let stereo: Vec<i16> = tone.iter().flat_map(|&s| [s, s]).collect();
    let mut wav = Wav::mono(stereo, 16_000);
    wav.spec.channels = 2;
    wav.to_bytes()
}

#[tokio::test]
async fn a_queued_caller_hears_hold_music_then_the_host_both_ways() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.file("/sounds/hold.wav", tone_wav(1500.0));
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Enqueue waitUrl="/app/wait">radio</Enqueue></Response>"#,
    );
    sb.twiml(
        "/app/wait",
        r#"<Response><Play loop="0">/sounds/hold.wav</Play></Response>"#,
    );
    let caller = sb
        .call_in_with_voice("+15551230001", json!({ "tone_hz": 440 }))
        .await;
    sb.wait_hearing(&caller, 1500.0).await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Dial><Queue>radio</Queue></Dial></Response>",
    );
    let host = sb
        .call_in_with_voice("+15551239999", json!({ "tone_hz": 900 }))
        .await;
    sb.wait_hearing(&host, 440.0).await;
    sb.wait_hearing(&caller, 900.0).await;
    sb.hang_up(&host).await;
}

#[tokio::test]
async fn play_of_a_wav_the_app_serves_is_heard_at_its_frequency() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    // 16 kHz stereo, so the sandbox has to convert it.
    sb.file("/sounds/tone.wav", tone_wav(1000.0));
    sb.twiml(
        "/voice/incoming",
        "<Response><Play>/sounds/tone.wav</Play></Response>",
    );
    let sid = sb.call_in("+15551230001").await;
    sb.wait_hearing(&sid, 1000.0).await;
    assert!(
        sb.call(&sid).await["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "unsupported")
    );
}

#[tokio::test]
async fn an_unplayable_play_is_a_short_tone_and_an_unsupported_event() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Play>/sounds/missing.mp3</Play></Response>",
    );
    let sid = sb.call_in("+15551230001").await;
    let call = sb.wait_hearing(&sid, 480.0).await;
    let call = if events(&call, "unsupported").is_empty() {
        sb.wait_call(&sid, "unsupported", |c| {
            !events(c, "unsupported").is_empty()
        })
        .await
    } else {
        call
    };
    assert_eq!(events(&call, "unsupported")[0]["verb"], "Play");
}

#[tokio::test]
async fn a_ringing_number_gives_ringback() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.phone("+15557770102", "answer", 20_000).await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Dial><Number>+15557770102</Number></Dial></Response>",
    );
    let sid = sb.call_in("+15551230001").await;
    let call = sb
        .wait_call(&sid, "ringback (440 + 480 Hz)", |c| {
            let (hz, dbfs) = listen(c, "heard");
            hz.is_some_and(|hz| (435.0..=485.0).contains(&hz)) && dbfs > -30.0
        })
        .await;
    let child = events(&call, "dial")[0]["call_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sb.call(&child).await["status"], "ringing");
    sb.hang_up(&sid).await;
}

#[tokio::test]
async fn an_in_band_star_in_a_hangup_on_star_bridge_drops_the_other_party() {
    let sb = TestSandbox::spawn_at(REAL_TIME).await;
    sb.twiml("/app/after", r#"<Response><Pause length="5"/></Response>"#);
    let caller = call_a_700_hz_phone(&sb, r#"hangupOnStar="true" action="/app/after""#).await;
    let call = sb.wait_hearing(&caller, 700.0).await;
    let callee = call["bridged_with"].as_str().unwrap().to_owned();
    let (status, body) = sb.press(&caller, "*", true).await;
    assert_eq!(status, 200, "{body}");
    let far_end = sb.wait_status(&callee, "completed").await;
    assert_eq!(events(&far_end, "hangup")[0]["by"], "bridge");
    // The far end heard the key's tones (697 + 1209 Hz) before it was dropped.
    let heard = Wav::parse(&sb.heard_wav(&callee).await).unwrap();
    assert_eq!(audio::dtmf::detect(&heard.samples), "*");
    let call = sb.call(&caller).await;
    let digits = events(&call, "digits");
    assert_eq!(
        (digits[0]["digits"].as_str(), digits[0]["inband"].as_bool()),
        (Some("*"), Some(true))
    );
    let action = &sb.wait_requests("/app/after", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    sb.hang_up(&caller).await;
}
