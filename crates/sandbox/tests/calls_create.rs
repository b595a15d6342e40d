//! `POST Calls.json`: requests and responses checked by Prism against Twilio's OpenAPI
//! description, the leg ringing a simulated phone or a browser, and status callbacks (fields,
//! order, outcomes) accepted by twilio-python's validator.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::helpers::{OFFER, Recorded, TestSandbox, events};
use crate::rest::{Rest, prism_in_front_of};
use crate::signatures::assert_python_accepts;

/// The callbacks to `/app/status` for call `sid`, in `SequenceNumber` order (they may arrive out of order).
async fn callbacks(sb: &TestSandbox, sid: &str, n: usize) -> Vec<Recorded> {
    let mut got: Vec<Recorded> = sb
        .wait_requests("/app/status", n)
        .await
        .into_iter()
        .filter(|r| r.param("CallSid") == Some(sid))
        .collect();
    got.sort_by_key(|r| {
        r.param("SequenceNumber")
            .and_then(|s| s.parse::<u32>().ok())
    });
    got
}

fn statuses(cbs: &[Recorded]) -> Vec<&str> {
    cbs.iter().map(|r| r.param("CallStatus").unwrap()).collect()
}

#[tokio::test]
async fn rest_call_rings_a_phone_runs_its_twiml_and_reports_progress() {
    let sb = TestSandbox::spawn().await;
    let prism = prism_in_front_of(&sb).await;
    let rest = Rest {
        sb: &sb,
        base: prism.base.clone(),
        as_account: false,
    };
    sb.phone("+15550001111", "answer", 400).await;
    sb.twiml(
        "/app/outbound",
        "<Response><Say>hello</Say><Hangup/></Response>",
    );
    let (url, status_url) = (sb.url("/app/outbound"), sb.url("/app/status"));
    let form = [
        ("To", "+15550001111"),
        ("From", "+15557770000"),
        ("Url", url.as_str()),
        ("StatusCallback", status_url.as_str()),
        ("StatusCallbackEvent", "initiated"),
        ("StatusCallbackEvent", "ringing"),
        ("StatusCallbackEvent", "answered"),
        ("StatusCallbackEvent", "completed"),
        ("StatusCallbackMethod", "POST"),
        ("Timeout", "30"),
    ];
    let (status, call) = rest.post("Calls.json", &form).await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["status"], "queued");
    assert_eq!(call["direction"], "outbound-api");
    assert_eq!(
        (&call["to"], &call["from"]),
        (&json!("+15550001111"), &json!("+15557770000"))
    );
    let sid = call["sid"].as_str().unwrap().to_owned();

    let cbs = callbacks(&sb, &sid, 4).await;
    assert_eq!(
        statuses(&cbs),
        ["initiated", "ringing", "in-progress", "completed"]
    );
    for (i, cb) in cbs.iter().enumerate() {
        assert_eq!(cb.param("SequenceNumber"), Some(i.to_string().as_str()));
        for (k, v) in [
            ("AccountSid", sb.creds.account_sid.as_str()),
            ("From", "+15557770000"),
            ("To", "+15550001111"),
            ("ApiVersion", "2010-04-01"),
            ("Direction", "outbound-api"),
            ("CallbackSource", "call-progress-events"),
        ] {
            assert_eq!(cb.param(k), Some(v), "{k} in {cb:?}");
        }
        let ts = cb.param("Timestamp").unwrap();
        assert!(
            OffsetDateTime::parse(ts, &Rfc2822).is_ok(),
            "Timestamp {ts}"
        );
        assert_eq!(cb.param("CallDuration").is_some(), i == 3, "{cb:?}");
    }
    let twiml = &sb.requests_to("/app/outbound")[0];
    assert_eq!(twiml.param("Direction"), Some("outbound-api"));
    assert_eq!(twiml.param("CallStatus"), Some("in-progress"));
    let view = sb.wait_status(&sid, "completed").await;
    assert_eq!(events(&view, "say")[0]["text"], "hello");
    assert_eq!(
        rest.get(&format!("Calls/{sid}.json")).await["status"],
        "completed"
    );
    assert_python_accepts(&sb.creds.auth_token, &sb.requests());
    drop(prism);
}

#[tokio::test]
async fn unanswered_calls_report_their_outcome_under_completed() {
    let sb = TestSandbox::spawn().await;
    let status_url = sb.url("/app/status");
    let mut n = 0;
    for (number, behaviour, want) in [
        ("+15550002001", "busy", "busy"),
        ("+15550002002", "no-answer", "no-answer"),
        ("+15550002003", "failed", "failed"),
    ] {
        sb.phone(number, behaviour, 200).await;
        let sid = create(
            &sb,
            &[
                ("To", number),
                ("From", "+15557770000"),
                ("Twiml", "<Response><Say>never heard</Say></Response>"),
                ("StatusCallback", &status_url),
                ("Timeout", "5"),
            ],
        )
        .await;
        n += 1;
        let cbs = callbacks(&sb, &sid, n).await;
        assert_eq!(
            statuses(&cbs),
            [want],
            "{behaviour}: only completed by default"
        );
        assert_eq!(cbs[0].param("SequenceNumber"), Some("0"));
        assert_eq!(cbs[0].param("CallDuration"), Some("0"));
        let view = sb.wait_status(&sid, want).await;
        assert!(events(&view, "say").is_empty(), "{behaviour}: {view:#}");
    }
}

/// Creates a call through the REST API directly (no Prism), returning its CallSid.
pub async fn create(sb: &TestSandbox, form: &[(&str, &str)]) -> String {
    let (status, body) = post(sb, form).await;
    assert_eq!(status, 201, "{body}");
    body["sid"].as_str().unwrap().to_owned()
}

async fn post(sb: &TestSandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = sb
        .http
        .post(sb.url(&format!(
            "/2010-04-01/Accounts/{}/Calls.json",
            sb.creds.account_sid
        )))
        .basic_auth(&sb.creds.account_sid, Some(&sb.creds.auth_token))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn rest_call_to_a_client_rings_the_browser() {
    let sb = TestSandbox::spawn().await;
    let mut ws = sb.registered("host").await;
    let sid = create(
        &sb,
        &[
            ("To", "client:host"),
            ("From", "+15557770000"),
            (
                "Twiml",
                "<Response><Say>for the host</Say><Pause length=\"600\"/></Response>",
            ),
        ],
    )
    .await;
    let invite = ws.expect("invite").await;
    assert_eq!(invite["callsid"], sid.as_str());
    assert_eq!(invite["parameters"]["To"], "client:host");
    assert_eq!(invite["parameters"]["From"], "+15557770000");
    ws.send("answer", json!({ "callsid": sid, "sdp": OFFER }))
        .await;
    let view = sb
        .wait_call(&sid, "the Say", |c| !events(c, "say").is_empty())
        .await;
    assert_eq!(view["status"], "in-progress");
    ws.send("hangup", json!({ "callsid": sid })).await;
    sb.wait_status(&sid, "completed").await;

    let nobody = create(
        &sb,
        &[
            ("To", "client:nobody"),
            ("From", "+15557770000"),
            ("Twiml", "<Response/>"),
        ],
    )
    .await;
    sb.wait_status(&nobody, "no-answer").await;
}

#[tokio::test]
async fn bad_create_requests_are_refused_as_twilio_does() {
    let sb = TestSandbox::spawn().await;
    let url = sb.url("/app/x");
    let long = format!("<Response><Say>{}</Say></Response>", "a".repeat(4000));
    for (form, code) in [
        (vec![("From", "+15557770000"), ("Url", url.as_str())], 21201),
        (vec![("To", "+15550001111"), ("Url", url.as_str())], 21603),
        (
            vec![("To", "+15550001111"), ("From", "+15557770000")],
            21205,
        ),
        (
            vec![
                ("To", "+1555"),
                ("From", "+1555"),
                ("Url", url.as_str()),
                ("Twiml", "<Response/>"),
            ],
            20001,
        ),
        (
            vec![("To", "+1555"), ("From", "+1555"), ("Twiml", long.as_str())],
            20001,
        ),
        (
            vec![
                ("To", "+1555"),
                ("From", "+1555"),
                ("Url", url.as_str()),
                ("StatusCallback", url.as_str()),
                ("StatusCallbackEvent", "bogus"),
            ],
            21626,
        ),
    ] {
        let (status, body) = post(&sb, &form).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!(code)),
            "{form:?}: {body}"
        );
        assert_eq!(body["status"], 400);
    }
    assert!(sb.requests().is_empty(), "no call was placed");
}
