//! Calls follow the setup resources (the number's and the TwiML App's Voice URLs), webhooks are signed for
//! piphone's public URL and delivered to its listener, and a call-in that waits says whether piphone got it.

use serde_json::{Value, json};

use crate::helpers::{OFFER, TestSandbox, events, now};

/// REST `POST` with the sandbox's API key; the answer's JSON (asserting a 2xx).
async fn post(sb: &TestSandbox, path: &str, form: &[(&str, &str)]) -> Value {
    let key = (
        sb.creds.api_key_sid.as_str(),
        sb.creds.api_key_secret.as_str(),
    );
    let (status, body) = sb.rest_as(key, reqwest::Method::POST, path, form).await;
    assert!((200..300).contains(&status), "POST {path}: {status} {body}");
    body
}

async fn station_sid(sb: &TestSandbox) -> String {
    let (_, setup) = sb
        .control(reqwest::Method::GET, "/sandbox/setup", None)
        .await;
    setup["numbers"][0]["sid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn call_ins_and_browser_calls_request_the_configured_voice_urls() {
    let sb = TestSandbox::spawn().await;
    let pn = station_sid(&sb).await;
    post(
        &sb,
        &format!("IncomingPhoneNumbers/{pn}.json"),
        &[("VoiceUrl", &sb.url("/app/number"))],
    )
    .await;
    sb.call_in("+15551230001").await;
    let first = &sb.wait_requests("/app/number", 1).await[0];
    assert!(first.valid, "signed for the URL requested: {first:?}");
    assert_eq!(first.param("To"), Some(sb.creds.station_number.as_str()));

    // A TwiML App of its own, for browsers and (VoiceApplicationSid) for the number.
    let app = post(
        &sb,
        "Applications.json",
        &[
            ("FriendlyName", "mine"),
            ("VoiceUrl", &sb.url("/app/browser")),
        ],
    )
    .await;
    let app_sid = app["sid"].as_str().unwrap();
    post(
        &sb,
        &format!("IncomingPhoneNumbers/{pn}.json"),
        &[("VoiceApplicationSid", app_sid)],
    )
    .await;
    sb.call_in("+15551230002").await;
    let via_app = &sb.wait_requests("/app/browser", 1).await[0];
    assert_eq!(via_app.param("From"), Some("+15551230002"));

    let key = (
        sb.creds.api_key_sid.as_str(),
        sb.creds.api_key_secret.as_str(),
    );
    let token = sb.token_by(key, app_sid, "dj", 3600, now());
    let mut ws = sb.listening(&token).await;
    ws.expect("connected").await;
    ws.invite("TJS1", Some("To=%2B15557770001")).await;
    let browser = &sb.wait_requests("/app/browser", 2).await[1];
    assert_eq!(browser.param("ApplicationSid"), Some(app_sid));
    assert_eq!(browser.param("From"), Some("client:dj"));
    assert!(
        sb.requests_to("/voice").is_empty(),
        "the default /voice is no longer asked"
    );

    // A token naming no app of the account: Twilio's 21218 for that call.
    let token = sb.token_by(key, "AP00000000000000000000000000000000", "dj", 3600, now());
    let mut ws = sb.listening(&token).await;
    ws.expect("connected").await;
    ws.send(
        "invite",
        json!({ "callsid": "TJS2", "sdp": OFFER, "twilio": {} }),
    )
    .await;
    let err = ws.expect("error").await;
    assert_eq!(
        (&err["error"]["code"], &err["callsid"]),
        (&json!(21218), &json!("TJS2")),
        "{err}"
    );
}

#[tokio::test]
async fn webhooks_are_signed_for_the_public_url_and_delivered_to_the_listener() {
    let public: url::Url = "https://phone.example.org/piphone".parse().unwrap();
    let sb = TestSandbox::spawn_with(Some(public), None).await;
    let (status, placed) = sb
        .control(
            reqwest::Method::POST,
            "/sandbox/call-in",
            Some(json!({ "from": "+15551230001", "wait": true })),
        )
        .await;
    assert_eq!(status, 200, "{placed}");
    let webhook = &placed["calls"][0]["webhook"];
    assert_eq!(
        webhook["url"], "https://phone.example.org/piphone/voice/incoming",
        "{placed}"
    );
    assert_eq!(
        webhook["delivered_to"],
        sb.url("/voice/incoming").as_str(),
        "{placed}"
    );
    assert_eq!(webhook["status"], 200, "{placed}");
    let got = &sb.requests_to("/voice/incoming")[0];
    assert_eq!(got.url, "https://phone.example.org/piphone/voice/incoming");
    assert!(got.valid, "the signature covers the public URL: {got:?}");
    let sid = placed["calls"][0]["call_sid"].as_str().unwrap();
    let call = sb.call(sid).await;
    assert_eq!(events(&call, "webhook")[0], &{
        let mut e = events(&call, "webhook")[0].clone();
        e["delivered_to"] = json!(sb.url("/voice/incoming"));
        e
    });
    // Without `wait` the answer is as it always was.
    let (_, plain) = sb
        .control(
            reqwest::Method::POST,
            "/sandbox/call-in",
            Some(json!({ "from": "+15551230002" })),
        )
        .await;
    assert!(plain["calls"][0].get("webhook").is_none(), "{plain}");
}

#[tokio::test]
async fn a_waiting_call_in_reports_an_undeliverable_or_refused_webhook() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead: url::Url = format!("http://{}", closed.local_addr().unwrap())
        .parse()
        .unwrap();
    drop(closed);
    let sb = TestSandbox::spawn_with(
        Some("https://phone.example.org".parse().unwrap()),
        Some(dead.clone()),
    )
    .await;
    let client = sandbox::ControlClient::new(sb.base.clone(), &sb.creds, false).unwrap();
    let placed = client
        .call_in_checked("+15551230001", 2, None)
        .await
        .unwrap();
    assert_eq!(placed.len(), 2);
    for call in &placed {
        let problem = call.problem().expect("not delivered");
        let target = format!(
            "{}voice/incoming (signed for https://phone.example.org/voice/incoming)",
            dead
        );
        assert!(problem.contains(&target), "{problem}");
        assert!(
            problem.contains(&call.call_sid) && problem.contains("could not be delivered"),
            "{problem}"
        );
    }

    // Delivered, but refused: piphone's answer is named.
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", "");
    let client = sandbox::ControlClient::new(sb.base.clone(), &sb.creds, false).unwrap();
    let ok = client
        .call_in_checked("+15551230001", 1, None)
        .await
        .unwrap();
    assert_eq!(ok[0].problem(), None, "{:?}", ok[0]);
}
