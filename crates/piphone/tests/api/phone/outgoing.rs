//! `piphone call` on the stream phone: audio both ways, DTMF both ways, hang-up from either side, and the
//! refusals and failures with the kiosk's words.

use std::time::Duration;

use piphone::cli::kiosk::client::Answer;
use piphone::kiosk::messages::Command;
use serde_json::json;

use super::{CALLEE, FAR_HZ, PhoneTest, events, eventually, speaker_hz};

fn call(number: &str) -> Command {
    Command::Call {
        number: number.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_carries_audio_and_keys_both_ways_and_hangs_up() {
    let t = PhoneTest::start(&[]).await;
    t.far_end(CALLEE, "answer").await;
    let placed = t.outcome(call(CALLEE)).await;
    assert!(placed.ok, "{placed:?}");
    assert!(placed.message.starts_with("In call with"), "{placed:?}");
    assert_eq!(t.status().await.phone.unwrap().state, "in-call");
    let far = t.call_with(CALLEE).await;
    let sid = far["call_sid"].as_str().unwrap().to_owned();
    assert_eq!(far["direction"], "outbound-api");

    // The far end hears the phone's microphone.
    t.far_end_hears_the_microphone(&sid).await;

    // `piphone dtmf 42` reaches the far end as in-band digits, as an exchange hears them.
    let sent = t
        .outcome(Command::Dtmf {
            digits: "42".into(),
        })
        .await;
    assert_eq!((sent.ok, sent.message.as_str()), (true, "sent 42"));
    let digits = eventually(10, || async {
        let c = t.call(&sid).await;
        let got: String = events(&c, "digits")
            .iter()
            .filter(|e| e["heard"] == true)
            .filter_map(|e| e["digits"].as_str())
            .collect();
        got.contains("42").then_some(got)
    })
    .await;
    assert!(
        digits.is_some(),
        "no digits 42 heard: {}",
        t.call(&sid).await
    );

    // The far end pressing a key shows in `status`.
    let path = format!("/sandbox/calls/{sid}/digits");
    t.sandbox(reqwest::Method::POST, &path, json!({"digits": "7"}))
        .await;
    let pressed = eventually(10, || async {
        let s = t.status().await;
        (s.phone?.far_end_digits.as_deref() == Some("7")).then_some(())
    })
    .await;
    assert!(pressed.is_some(), "status: {:?}", t.status().await);
    let text = piphone::cli::kiosk::describe(&t.status().await);
    assert!(text.contains("far end pressed: 7\n"), "{text}");

    let ended = t.outcome(Command::Hangup).await;
    assert_eq!(
        (ended.ok, ended.message.as_str()),
        (true, "Call ended — you hung up")
    );
    t.completed(&sid).await;

    // The speaker file holds the far end's voice (and was closed with the call).
    let hz = speaker_hz(&t.speaker().await, 0.5);
    assert!(
        (hz - FAR_HZ).abs() < FAR_HZ * 0.05,
        "the speaker played {hz} Hz"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_far_end_hanging_up_ends_the_call() {
    let t = PhoneTest::start(&[]).await;
    t.far_end(CALLEE, "answer").await;
    assert!(t.outcome(call(CALLEE)).await.ok);
    let sid = t.call_with(CALLEE).await["call_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    t.sandbox(
        reqwest::Method::POST,
        &format!("/sandbox/calls/{sid}/hangup"),
        json!({}),
    )
    .await;
    let s = t.phone_is("ended").await;
    assert!(
        s.phone.unwrap().text.ends_with("hung up"),
        "the far end hung up"
    );
    let none = t.outcome(Command::Hangup).await;
    assert_eq!((none.ok, none.message.as_str()), (false, "not in a call"));
}

/// The kiosk CLI's failure list, as the stream phone answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_have_the_kiosks_answers() {
    let t = PhoneTest::start(&[("PIPHONE_MAX_CALLS_PER_DAY", "3")]).await;
    t.far_end("+15551230003", "busy").await;
    t.far_end("+15551230004", "no-answer").await;
    t.far_end("+15551230005", "failed").await;
    for (case, command, message) in [
        ("no call to hang up", Command::Hangup, "not in a call"),
        ("nothing to answer", Command::Answer, "no incoming call"),
        (
            "no call for keys",
            Command::Dtmf { digits: "1".into() },
            "not in a call",
        ),
        ("busy", call("+15551230003"), "Call ended — busy"),
        ("failed", call("+15551230005"), "Call failed"),
    ] {
        let o = t.outcome(command).await;
        assert_eq!((o.ok, o.message.as_str()), (false, message), "case {case}");
    }
    // No answer within the command's timeout: hung up, as the page does.
    let o = match t
        .control
        .command(&call("+15551230004"), Some(Duration::from_secs(4)))
        .await
    {
        Ok(Answer::Done(o)) => o,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (o.ok, o.message.as_str()),
        (false, "no answer within 4 s; hung up")
    );
    // The fourth call of the day: refused by the toll-fraud limit, logged for the admins.
    let o = t.outcome(call(CALLEE)).await;
    assert_eq!(
        (o.ok, o.message.as_str()),
        (
            false,
            "Sorry, this account has reached its daily call limit."
        )
    );
    // Refused by the dial policy before the phone sees it: 400, as for the kiosk page.
    for (case, number) in [("not a number", "+4420"), ("premium", "+1 900 555 0199")] {
        match t.command(call(number)).await {
            Answer::Refused(status, _) => assert_eq!(status, 400, "case {case}"),
            Answer::Done(o) => panic!("case {case}: {o:?}"),
        }
    }
}
