//! The call engine through the control API: TwiML verbs, Dial outcomes, queues.

use serde_json::json;

use crate::helpers::{TestSandbox, events};

const STATION_APP: &str =
    r#"<Response><Enqueue action="/app/left" waitUrl="/app/wait">radio</Enqueue></Response>"#;

#[tokio::test]
async fn call_in_reaches_voice_incoming_and_say_is_recorded() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", "<Response><Say>Welcome to the show</Say><Play>https://example.com/jingle.mp3</Play></Response>");
    let sid = sb.call_in("+15551230001").await;
    let call = sb.wait_status(&sid, "completed").await;
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["to"], sb.creds.station_number.as_str());
    assert_eq!(events(&call, "say")[0]["text"], "Welcome to the show");
    assert_eq!(
        events(&call, "play")[0]["url"],
        "https://example.com/jingle.mp3"
    );
    assert_eq!(events(&call, "webhook")[0]["status"], 200);
    let req = &sb.requests_to("/voice/incoming")[0];
    for (name, value) in [
        ("From", "+15551230001"),
        ("Caller", "+15551230001"),
        ("To", sb.creds.station_number.as_str()),
        ("Called", sb.creds.station_number.as_str()),
        ("Direction", "inbound"),
        ("CallStatus", "ringing"),
        ("CallSid", sid.as_str()),
        ("AccountSid", sb.creds.account_sid.as_str()),
    ] {
        assert_eq!(req.param(name), Some(value), "field {name}");
    }
    assert!(req.valid);
}

#[tokio::test]
async fn call_in_count_uses_consecutive_numbers() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", "<Response><Hangup/></Response>");
    let (status, body) = sb
        .control(
            reqwest::Method::POST,
            "/sandbox/call-in",
            Some(json!({ "from": "+15551230009", "count": 3 })),
        )
        .await;
    assert_eq!(status, 200);
    let froms: Vec<_> = body["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["from"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(froms, ["+15551230009", "+15551230010", "+15551230011"]);
}

#[tokio::test]
async fn dial_number_records_caller_id_bridges_and_reports_completed() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", r#"<Response><Dial callerId="+15005550100" action="/app/dialled"><Number>+15557770001</Number></Dial></Response>"#);
    sb.twiml("/app/dialled", "<Response><Say>Call ended</Say></Response>");
    let sid = sb.call_in("+15551230001").await;
    let call = sb
        .wait_call(&sid, "a bridge", |c| !c["bridged_with"].is_null())
        .await;
    let dial = events(&call, "dial")[0].clone();
    assert_eq!(dial["caller_id"], "+15005550100");
    assert_eq!(dial["number"], "+15557770001");
    let child = call["bridged_with"].as_str().unwrap().to_owned();
    let leg = sb.call(&child).await;
    assert_eq!(
        (
            leg["direction"].as_str(),
            leg["parent_call_sid"].as_str(),
            leg["from"].as_str()
        ),
        (
            Some("outbound-dial"),
            Some(sid.as_str()),
            Some("+15005550100")
        )
    );
    sb.hang_up(&child).await;
    let action = &sb.wait_requests("/app/dialled", 1).await[0];
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    assert_eq!(action.param("DialCallSid"), Some(child.as_str()));
    assert!(action.param("DialCallDuration").is_some());
    let call = sb.wait_status(&sid, "completed").await;
    assert_eq!(events(&call, "say")[0]["text"], "Call ended");
}

#[tokio::test]
async fn unanswered_numbers_give_the_right_dial_call_status() {
    let sb = TestSandbox::spawn().await;
    let cases = [
        ("busy", "+15557770002", "busy"),
        ("no-answer", "+15557770003", "no-answer"),
        ("failed", "+15557770004", "failed"),
    ];
    for (i, (behaviour, number, expected)) in cases.into_iter().enumerate() {
        sb.phone(number, behaviour, 200).await;
        let path = format!("/app/dialled{i}");
        sb.twiml("/voice/incoming", &format!(r#"<Response><Dial timeout="5" action="{path}"><Number>{number}</Number></Dial></Response>"#));
        sb.call_in("+15551230001").await;
        let action = &sb.wait_requests(&path, 1).await[0];
        assert_eq!(
            action.param("DialCallStatus"),
            Some(expected),
            "case {behaviour}"
        );
    }
}

#[tokio::test]
async fn enqueue_requests_wait_url_with_queue_fields_and_action_on_hangup() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", STATION_APP);
    sb.twiml("/app/wait", "<Response><Say>Please hold</Say></Response>");
    let first = sb.call_in("+15551230001").await;
    sb.wait_requests("/app/wait", 1).await;
    let second = sb.call_in("+15551230002").await;
    let waits = sb.wait_requests("/app/wait", 6).await;
    let of = |sid: &str| {
        waits
            .iter()
            .filter(|r| r.param("CallSid") == Some(sid))
            .cloned()
            .collect::<Vec<_>>()
    };
    let (a, b) = (of(&first), of(&second));
    assert!(
        a.len() >= 2,
        "the wait URL is requested again and again: {a:?}"
    );
    let last_b = b.last().expect("second caller waited");
    assert_eq!(last_b.param("QueuePosition"), Some("2"));
    assert_eq!(last_b.param("CurrentQueueSize"), Some("2"));
    assert_eq!(a.last().unwrap().param("QueuePosition"), Some("1"));
    let qsid = last_b.param("QueueSid").unwrap().to_owned();
    assert!(qsid.starts_with("QU"), "{qsid}");
    for r in &waits {
        for f in [
            "QueueTime",
            "AvgQueueTime",
            "QueueSid",
            "CurrentQueueSize",
            "QueuePosition",
        ] {
            assert!(r.param(f).is_some(), "{f} missing in {r:?}");
        }
    }
    let call = sb.call(&first).await;
    assert_eq!(call["queue"], qsid.as_str());
    assert_eq!(events(&call, "enqueued")[0]["queue"], "radio");

    sb.hang_up(&first).await;
    let left = &sb.wait_requests("/app/left", 1).await[0];
    assert_eq!(left.param("QueueResult"), Some("hangup"));
    assert_eq!(left.param("QueueSid"), Some(qsid.as_str()));
    assert!(left.param("QueueTime").is_some());
    let call = sb.wait_status(&first, "completed").await;
    assert_eq!(events(&call, "left_queue")[0]["result"], "hangup");
    assert_eq!(events(&call, "hangup")[0]["by"], "caller");
}

#[tokio::test]
async fn dial_queue_bridges_the_front_caller_and_star_continues_at_action() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", STATION_APP);
    sb.twiml("/app/wait", r#"<Response><Pause length="2"/></Response>"#);
    sb.twiml(
        "/app/announce",
        "<Response><Say>You are live</Say></Response>",
    );
    sb.twiml(
        "/app/left",
        "<Response><Say>Thanks for calling, goodbye</Say><Hangup/></Response>",
    );
    sb.twiml("/voice", r#"<Response><Dial hangupOnStar="true" action="/app/next"><Queue url="/app/announce">radio</Queue></Dial></Response>"#);
    sb.twiml("/app/next", r#"<Response><Pause length="600"/></Response>"#);
    let caller = sb.call_in("+15551230001").await;
    sb.wait_requests("/app/wait", 1).await;

    let mut ws = sb.registered("dj").await;
    let dj = ws.invite("TJSdj", None).await;
    ws.expect("answer").await;
    let announce = &sb.wait_requests("/app/announce", 1).await[0];
    assert_eq!(announce.param("CallSid"), Some(caller.as_str()));
    assert_eq!(announce.param("DequeingCallSid"), Some(dj.as_str()));
    assert!(announce.param("QueueSid").is_some() && announce.param("QueueTime").is_some());
    let call = sb
        .wait_call(&caller, "a bridge with the DJ", |c| {
            !events(c, "bridged").is_empty()
        })
        .await;
    assert_eq!(call["bridged_with"], dj.as_str());
    assert_eq!(events(&call, "say")[0]["text"], "You are live");
    assert_eq!(events(&call, "dequeued")[0]["by"], dj.as_str());

    ws.send("dtmf", json!({ "callsid": dj, "dtmf": "*" })).await;
    let next = &sb.wait_requests("/app/next", 1).await[0];
    assert_eq!(next.param("DialCallStatus"), Some("completed"));
    assert_eq!(next.param("DialCallSid"), Some(caller.as_str()));
    assert_eq!(next.param("QueueSid"), announce.param("QueueSid"));
    assert!(next.param("DialCallDuration").is_some());
    let left = &sb.wait_requests("/app/left", 1).await[0];
    assert_eq!(left.param("QueueResult"), Some("bridged"));
    let call = sb.wait_status(&caller, "completed").await;
    let said: Vec<_> = events(&call, "say")
        .iter()
        .map(|e| e["text"].clone())
        .collect();
    assert_eq!(
        said,
        [json!("You are live"), json!("Thanks for calling, goodbye")]
    );
    assert_eq!(events(&call, "unbridged").len(), 1);
    assert_eq!(
        sb.call(&dj).await["status"],
        "in-progress",
        "the DJ stays on the line"
    );
}

#[tokio::test]
async fn redirect_hangup_reject_and_a_redirect_loop() {
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice/incoming",
        "<Response><Say>One</Say><Redirect>/app/two</Redirect></Response>",
    );
    sb.twiml(
        "/app/two",
        r#"<Response><Pause length="1"/><Hangup/><Say>never</Say></Response>"#,
    );
    let sid = sb.call_in("+15551230001").await;
    let call = sb.wait_status(&sid, "completed").await;
    let kinds: Vec<&str> = call["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "ringing", "webhook", "answered", "say", "redirect", "webhook", "pause", "hangup"
        ],
        "{call:#}"
    );
    assert_eq!(events(&call, "hangup")[0]["by"], "twiml");
    assert_eq!(
        sb.requests_to("/app/two")[0].param("CallStatus"),
        Some("in-progress")
    );

    sb.twiml(
        "/voice/incoming",
        r#"<Response><Reject reason="busy"/></Response>"#,
    );
    let sid = sb.call_in("+15551230002").await;
    let call = sb.wait_status(&sid, "busy").await;
    assert_eq!(events(&call, "reject")[0]["reason"], "busy");
    assert!(events(&call, "answered").is_empty());

    sb.twiml(
        "/voice/incoming",
        "<Response><Redirect>/voice/incoming</Redirect></Response>",
    );
    let sid = sb.call_in("+15551230003").await;
    let call = sb.wait_status(&sid, "completed").await;
    assert_eq!(events(&call, "error")[0]["message"], "redirect loop");
}

#[tokio::test]
async fn control_digits_with_hangup_on_star_and_time_limit_end_the_dial() {
    let sb = TestSandbox::spawn().await;
    sb.twiml(
        "/voice/incoming",
        r#"<Response><Dial hangupOnStar="true" action="/app/star"><Number>+15557770005</Number></Dial></Response>"#,
    );
    sb.twiml("/app/star", r#"<Response><Dial timeLimit="2" action="/app/limit"><Number>+15557770006</Number></Dial></Response>"#);
    sb.twiml("/app/limit", "<Response><Hangup/></Response>");
    let sid = sb.call_in("+15551230001").await;
    let call = sb
        .wait_call(&sid, "a bridge", |c| !events(c, "bridged").is_empty())
        .await;
    let first = call["bridged_with"].as_str().unwrap().to_owned();
    let (status, body) = sb.press(&sid, "1*", false).await;
    assert_eq!((status, body["delivered"].as_bool()), (200, Some(true)));
    let star = &sb.wait_requests("/app/star", 1).await[0];
    assert_eq!(star.param("DialCallStatus"), Some("completed"));
    assert_eq!(star.param("DialCallSid"), Some(first.as_str()));
    assert_eq!(sb.call(&first).await["status"], "completed");
    let limit = &sb.wait_requests("/app/limit", 1).await[0];
    assert_eq!(limit.param("DialCallStatus"), Some("completed"));
    let call = sb.wait_status(&sid, "completed").await;
    assert_eq!(events(&call, "digits")[0]["digits"], "1*");
    assert_eq!(events(&call, "bridged").len(), 2);
}
