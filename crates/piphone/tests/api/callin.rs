//! The radio call-in's webhooks: TwiML checked as parsed XML, signatures enforced, bans, the host's line.

use piphone::domain::{PhoneNumber, Role};
use twilio::twiml::{Element, parse};

use crate::helpers::{TestApp, pairs, spawn_app, spawn_app_with};

/// A host's line: `/voice` with `Queue`, `/voice/next`, and who may have one.
mod host;
/// Call screening: the REST requests, TwiML, host priority, roles and messages.
mod screening;
/// `/queue-status`, `/events` and the hang-up action against a mock of Twilio's REST API.
mod status;

const QUEUE: &str = "radio-callin-queue";

/// Twilio's fields for a listener calling the station.
pub fn listener(call_sid: &str, from: &str) -> Vec<(String, String)> {
    vec![
        ("CallSid".into(), call_sid.into()),
        ("From".into(), from.into()),
        ("To".into(), "+14155550100".into()),
        ("CallStatus".into(), "ringing".into()),
        ("Direction".into(), "inbound".into()),
    ]
}

pub fn with(mut params: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    params.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    params
}

pub async fn twiml(app: &TestApp, path: &str, params: &[(String, String)]) -> Element {
    let res = app.post_signed(path, &pairs(params)).await;
    assert_eq!(res.status(), 200, "{path}: signed webhook accepted");
    let body = res.text().await.unwrap();
    parse(&body).unwrap_or_else(|e| panic!("{path}: TwiML parses ({e}): {body}"))
}

/// A listener phones the station (`/voice/incoming`) and waits in the queue `queue_sid` (their first
/// `/voice/wait`).
pub async fn phones_and_waits(app: &TestApp, call_sid: &str, from: &str, queue_sid: &str) {
    twiml(app, "/voice/incoming", &listener(call_sid, from)).await;
    let wait = with(listener(call_sid, from), &[("QueueSid", queue_sid)]);
    twiml(app, "/voice/wait", &wait).await;
}

pub fn verbs(doc: &Element) -> Vec<&str> {
    doc.children.iter().map(|c| c.name.as_str()).collect()
}

pub fn text(el: &Element) -> &str {
    el.text.as_deref().unwrap_or("")
}

pub async fn status(app: &TestApp) -> serde_json::Value {
    let cookie = app
        .login("admin", crate::helpers::ADMIN_PASSWORD)
        .await
        .unwrap();
    let res = app.get_with("/queue-status", Some(&cookie)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_station_number_greets_then_enqueues() {
    let app = spawn_app().await;
    let doc = twiml(&app, "/voice/incoming", &listener("CA01", "+14155550199")).await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    assert!(!text(&doc.children[0]).is_empty(), "a greeting");
    let enqueue = &doc.children[1];
    assert_eq!(text(enqueue), QUEUE);
    assert_eq!(enqueue.attr("waitUrl"), Some("/voice/wait"));
    assert_eq!(enqueue.attr("action"), Some("/voice/left"));

    let s = status(&app).await;
    assert_eq!(s["size"], 1, "shown at once: {s}");
    assert_eq!(s["members"][0]["from"], "+14155550199");
    assert_eq!(s["members"][0]["position"], 1);
}

#[tokio::test]
async fn greeting_and_queue_name_are_settings() {
    let app = spawn_app_with(&[
        ("PIPHONE_CALLIN_GREETING", "https://example.com/jingle.mp3"),
        ("PIPHONE_CALLIN_QUEUE", "late-show"),
    ])
    .await;
    let doc = twiml(&app, "/voice/incoming", &listener("CA01", "+14155550199")).await;
    assert_eq!(verbs(&doc), ["Play", "Enqueue"]);
    assert_eq!(text(&doc.children[0]), "https://example.com/jingle.mp3");
    assert_eq!(text(&doc.children[1]), "late-show");
}

#[tokio::test]
async fn banned_numbers_are_rejected_unanswered_in_both_modes() {
    for mode in ["queue", "ring"] {
        let app = spawn_app_with(&[("PIPHONE_INCOMING_MODE", mode)]).await;
        let n = PhoneNumber::parse_caller("(415) 555-0199", Some("US")).unwrap();
        assert!(app.state.store.add_ban(&n, Some("abusive")).await.unwrap());
        let doc = twiml(&app, "/voice/incoming", &listener("CA01", "+14155550199")).await;
        assert_eq!(verbs(&doc), ["Reject"], "{mode}: banned");
        let doc = twiml(&app, "/voice/incoming", &listener("CA02", "+14155550198")).await;
        assert_ne!(verbs(&doc), ["Reject"], "{mode}: others get through");
    }
}

#[tokio::test]
async fn a_full_queue_is_declined_politely() {
    let app = spawn_app_with(&[("PIPHONE_QUEUE_MAX_SIZE", "2")]).await;
    for sid in ["CA01", "CA02"] {
        let doc = twiml(&app, "/voice/incoming", &listener(sid, "+14155550199")).await;
        assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    }
    let doc = twiml(&app, "/voice/incoming", &listener("CA03", "+14155550199")).await;
    assert_eq!(verbs(&doc), ["Say", "Hangup"]);
    assert!(text(&doc.children[0]).contains("busy"));
    // Twilio's own limit answers at the Enqueue action.
    let doc = twiml(
        &app,
        "/voice/left",
        &with(listener("CA04", "+1"), &[("QueueResult", "queue-full")]),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say", "Hangup"]);
    assert!(text(&doc.children[0]).contains("busy"));
}

#[tokio::test]
async fn hold_tells_the_place_and_plays_music_from_the_public_url() {
    let app = spawn_app_with(&[("PIPHONE_QUEUE_ANNOUNCE_EVERY", "2")]).await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice/incoming", &listener("CA02", "+14155550102")).await;
    let wait = |pos: &str, time: &str| {
        with(
            listener("CA02", "+14155550102"),
            &[
                ("QueuePosition", pos),
                ("QueueTime", time),
                ("QueueSid", "QU01"),
                ("CurrentQueueSize", "2"),
                ("AvgQueueTime", "5"),
            ],
        )
    };
    let doc = twiml(&app, "/voice/wait", &wait("2", "30")).await;
    assert_eq!(verbs(&doc), ["Say", "Play"]);
    assert!(
        text(&doc.children[0]).contains("caller number 2"),
        "{doc:?}"
    );
    assert_eq!(
        text(&doc.children[1]),
        format!("{}/static/sounds/hold.wav", app.url)
    );
    let doc = twiml(&app, "/voice/wait", &wait("2", "40")).await;
    assert_eq!(verbs(&doc), ["Play"], "every second round only");
    let doc = twiml(&app, "/voice/wait", &wait("1", "50")).await;
    assert_eq!(verbs(&doc), ["Say", "Play"]);
    assert!(text(&doc.children[0]).contains("next"), "{doc:?}");

    let s = status(&app).await;
    assert_eq!(
        s["members"][0]["call_sid"], "CA02",
        "Twilio's place wins: {s}"
    );
    assert_eq!(s["members"][0]["position"], 1);
    assert!(s["members"][0]["wait_seconds"].as_u64().unwrap() >= 50);
    assert_eq!(s["members"][1]["position"], 2);
}

#[tokio::test]
async fn hold_music_url_is_a_setting() {
    let app = spawn_app_with(&[("PIPHONE_HOLD_MUSIC_URL", "https://cdn.example/hold.mp3")]).await;
    let doc = twiml(
        &app,
        "/voice/wait",
        &with(listener("CA01", "+1"), &[("QueuePosition", "1")]),
    )
    .await;
    assert_eq!(
        text(doc.children.last().unwrap()),
        "https://cdn.example/hold.mp3"
    );
}

#[tokio::test]
async fn leaving_records_why_and_says_goodbye() {
    let app = spawn_app().await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice/incoming", &listener("CA02", "+14155550102")).await;
    let doc = twiml(
        &app,
        "/voice/left",
        &with(
            listener("CA01", "+14155550101"),
            &[("QueueResult", "hangup"), ("QueueTime", "42")],
        ),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say", "Hangup"]);
    let s = status(&app).await;
    assert_eq!(s["size"], 1);
    assert_eq!(s["members"][0]["call_sid"], "CA02");
    assert_eq!(s["members"][0]["position"], 1, "moved up");
    assert_eq!(s["recent"][0]["result"], "hangup");
    assert_eq!(s["recent"][0]["queue_seconds"], 42);
    assert_eq!(s["recent"][0]["from"], "+14155550101");
}

#[tokio::test]
async fn on_air_marks_the_caller_and_greets_them() {
    let app = spawn_app().await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice", &host::host_line("admin", QUEUE)).await;
    let doc = twiml(
        &app,
        "/voice/on-air",
        &with(
            listener("CA01", "+14155550101"),
            &[
                ("QueueSid", "QU01"),
                ("QueueTime", "12"),
                ("DequeingCallSid", "CAdj000000000000000000000000000000"),
            ],
        ),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say"]);
    let s = status(&app).await;
    assert_eq!(s["size"], 0);
    assert_eq!(s["on_air"][0]["call_sid"], "CA01");
    assert_eq!(s["on_air"][0]["from"], "+14155550101");
    assert_eq!(s["on_air"][0]["host"], "admin");
}

#[tokio::test]
async fn every_callin_webhook_needs_a_signature() {
    let app = spawn_app().await;
    let params = listener("CA01", "+14155550101");
    for path in [
        "/voice/incoming",
        "/voice/wait",
        "/voice/left",
        "/voice/next",
        "/voice/on-air",
        "/voice",
    ] {
        let res = app.post_webhook(path, &pairs(&params), None).await;
        assert_eq!(res.status(), 403, "{path} unsigned");
        let res = app
            .post_webhook(path, &pairs(&params), Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
            .await;
        assert_eq!(res.status(), 403, "{path} forged");
    }
    let s = status(&app).await;
    assert_eq!(s["size"], 0, "refused webhooks change nothing");
}

#[tokio::test]
async fn queue_views_need_a_session_and_a_role() {
    let app = spawn_app().await;
    app.add_user("guest", Role::Caller, "guest-password").await;
    app.add_user("screen", Role::Screener, "screen-password")
        .await;
    for path in ["/queue-status", "/events"] {
        assert_eq!(app.get_with(path, None).await.status(), 401, "{path}");
    }
    let guest = app.login("guest", "guest-password").await.unwrap();
    let screen = app.login("screen", "screen-password").await.unwrap();
    for path in ["/queue-status", "/events"] {
        assert_eq!(
            app.get_with(path, Some(&guest)).await.status(),
            403,
            "{path}"
        );
    }
    assert_eq!(
        app.get_with("/queue-status", Some(&screen)).await.status(),
        200
    );
    let res = app.get_with("/console", Some(&guest)).await;
    assert_eq!(res.status(), 403, "the console is for hosts");
    assert!(res.text().await.unwrap().contains("for hosts"));
    assert_eq!(app.get_with("/console", None).await.status(), 303);
    let res = app
        .client
        .post(app.at("/api/callin/hangup"))
        .header("cookie", &screen)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "screeners may not hang up callers");
}
