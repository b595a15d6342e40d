//! The command relay: the command line → the server → the kiosk page (a fake one here, reading the SSE stream) →
//! back, with its outcomes, timeouts and refusals.

use std::time::Duration;

use piphone::cli::kiosk::client::{Answer, Control};
use piphone::kiosk::ControlSecret;
use piphone::kiosk::login_link;
use piphone::kiosk::messages::Command;
use piphone::store::KioskOptions;
use serde_json::json;

use super::{kiosk_user, open_link};
use crate::helpers::{TestApp, spawn_app};

/// A fake kiosk page: a kiosk session with its command stream open.
struct FakePage {
    cookie: String,
    stream: reqwest::Response,
    buffer: String,
    id: u64,
}

impl FakePage {
    async fn connect(app: &TestApp) -> FakePage {
        let user = kiosk_user(app).await;
        let token = login_link::mint(&app.state.store, &user, &KioskOptions::default())
            .await
            .unwrap();
        let (_, _, cookie) = open_link(app, &token).await;
        let cookie = cookie.unwrap();
        let stream = app.get_with("/api/kiosk/commands", Some(&cookie)).await;
        assert_eq!(stream.status(), 200);
        let mut page = FakePage {
            cookie,
            stream,
            buffer: String::new(),
            id: 0,
        };
        let (event, data) = page.next_event().await;
        assert_eq!(event, "hello");
        page.id = data["page"].as_u64().unwrap();
        page
    }

    /// The next SSE event (keep-alive comments skipped): `(event, data)`.
    async fn next_event(&mut self) -> (String, serde_json::Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(|v| v.trim().to_owned())
                };
                if let (Some(event), Some(data)) = (field("event:"), field("data:")) {
                    return (event, serde_json::from_str(&data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.stream.chunk())
                .await
                .expect("an event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    async fn post(&self, app: &TestApp, path: &str, body: serde_json::Value) -> u16 {
        app.client
            .post(app.at(path))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// The command line's client for this test app (which listens on a port chosen at start).
fn control(app: &TestApp) -> Control {
    let mut settings = (*app.state.settings).clone();
    settings.listen = app.url.trim_start_matches("http://").parse().unwrap();
    Control::new(&settings).unwrap()
}

async fn post_command(app: &TestApp, body: serde_json::Value) -> (u16, serde_json::Value) {
    let secret = ControlSecret::load(&app.state.settings.data_dir).unwrap();
    let res = app
        .client
        .post(app.at("/api/kiosk/command"))
        .header("authorization", secret.bearer())
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_command_reaches_the_page_and_its_outcome_comes_back() {
    let app = spawn_app().await;
    let mut page = FakePage::connect(&app).await;
    let ctl = control(&app);

    let waiting = tokio::spawn(async move {
        ctl.command(
            &Command::Call {
                number: "(415) 555-2671".into(),
            },
            None,
        )
        .await
        .unwrap()
    });
    let (event, command) = page.next_event().await;
    assert_eq!(event, "command");
    assert_eq!(command["action"], "call");
    assert_eq!(
        command["number"], "+14155552671",
        "the page gets the number in E.164"
    );
    assert_eq!(command["page"], page.id);
    assert_eq!(command["timeout_ms"], 60_000);

    let posted = page
        .post(
            &app,
            "/api/kiosk/results",
            json!({
                "id": command["id"], "ok": true, "message": "In call with +14155552671", "state": "in-call",
                "page": page.id, "phone": {"state": "in-call", "text": "In call with +14155552671"},
            }),
        )
        .await;
    assert_eq!(posted, 204);
    match waiting.await.unwrap() {
        Answer::Done(outcome) => {
            assert!(outcome.ok);
            assert_eq!(outcome.message, "In call with +14155552671");
            assert_eq!(outcome.state.as_deref(), Some("in-call"));
        }
        Answer::Refused(status, message) => panic!("refused: {status} {message}"),
    }
    let Answer::Done(status) = control(&app).status().await.unwrap() else {
        panic!("status refused");
    };
    assert!(status.connected);
    assert_eq!(
        status.phone.unwrap().state,
        "in-call",
        "the state posted with the outcome is what status shows at once"
    );

    // A late answer for the same command finds nobody waiting.
    let again = page
        .post(
            &app,
            "/api/kiosk/results",
            json!({"id": command["id"], "ok": true, "message": "again"}),
        )
        .await;
    assert_eq!(again, 404);
}

#[tokio::test]
async fn a_failed_outcome_is_an_answer_not_an_error() {
    let app = spawn_app().await;
    let mut page = FakePage::connect(&app).await;
    let waiting = tokio::spawn({
        let ctl = control(&app);
        async move { ctl.command(&Command::Hangup, None).await.unwrap() }
    });
    let (_, command) = page.next_event().await;
    assert_eq!(command["action"], "hangup");
    page.post(
        &app,
        "/api/kiosk/results",
        json!({"id": command["id"], "ok": false, "message": "not in a call"}),
    )
    .await;
    match waiting.await.unwrap() {
        Answer::Done(outcome) => {
            assert!(!outcome.ok);
            assert_eq!(outcome.message, "not in a call");
        }
        Answer::Refused(status, message) => panic!("refused: {status} {message}"),
    }
}

#[tokio::test]
async fn a_silent_page_times_out_and_a_missing_page_is_unavailable() {
    let app = spawn_app().await;
    let (status, body) = post_command(&app, json!({"action": "answer"})).await;
    assert_eq!(status, 503, "no page: {body}");
    assert!(body["error"].as_str().unwrap().contains("not connected"));

    let mut page = FakePage::connect(&app).await;
    let started = std::time::Instant::now();
    let (status, body) = post_command(
        &app,
        json!({"action": "dtmf", "digits": "12#", "timeout_secs": 1}),
    )
    .await;
    assert_eq!(status, 504, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1 s")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let (_, command) = page.next_event().await;
    assert_eq!(command["digits"], "12#", "the page did get it");

    // A page that goes away fails the commands waiting on it at once.
    let waiting = tokio::spawn({
        let ctl = control(&app);
        async move { ctl.command(&Command::Answer, None).await.unwrap() }
    });
    let _ = page.next_event().await;
    drop(page);
    match tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("answered before the 60 s timeout")
        .unwrap()
    {
        Answer::Refused(status, message) => {
            assert_eq!(status, 503);
            assert!(message.contains("went away"), "{message}");
        }
        Answer::Done(o) => panic!("unexpected outcome {o:?}"),
    }
    let Answer::Done(status) = control(&app).status().await.unwrap() else {
        panic!("status refused");
    };
    assert!(!status.connected);
}

#[tokio::test]
async fn numbers_and_digits_are_checked_before_the_page_sees_them() {
    let app = spawn_app().await;
    let mut page = FakePage::connect(&app).await;
    for (case, body) in [
        ("not a number", json!({"action": "call", "number": "+4420"})),
        (
            "country not allowed",
            json!({"action": "call", "number": "+33 1 42 68 53 00"}),
        ),
        (
            "premium rate",
            json!({"action": "call", "number": "+1 900 555 0199"}),
        ),
        ("bad digits", json!({"action": "dtmf", "digits": "12x"})),
        ("no digits", json!({"action": "dtmf", "digits": ""})),
        ("unknown action", json!({"action": "reboot"})),
    ] {
        let (status, body) = post_command(&app, body).await;
        assert!(
            status == 400 || status == 422,
            "case {case}: {status} {body}"
        );
    }
    // Nothing reached the page: the next thing it hears is this hang-up.
    tokio::spawn({
        let ctl = control(&app);
        async move { ctl.command(&Command::Hangup, None).await }
    });
    let (_, command) = page.next_event().await;
    assert_eq!(command["action"], "hangup");
}

#[tokio::test]
async fn the_control_api_wants_the_local_secret_and_the_stream_a_kiosk_session() {
    let app = spawn_app().await;
    for auth in [None, Some("Bearer wrong"), Some("Basic YWRtaW46eA==")] {
        for (method, path) in [
            (reqwest::Method::GET, "/api/kiosk/status"),
            (reqwest::Method::POST, "/api/kiosk/command"),
        ] {
            let mut req = app
                .client
                .request(method.clone(), app.at(path))
                .json(&json!({"action": "hangup"}));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            assert_eq!(
                req.send().await.unwrap().status(),
                401,
                "{method} {path} with {auth:?}"
            );
        }
    }
    let admin = app
        .login("admin", crate::helpers::ADMIN_PASSWORD)
        .await
        .unwrap();
    for path in ["/api/kiosk/commands"] {
        assert_eq!(app.get_with(path, None).await.status(), 401, "{path}");
        assert_eq!(
            app.get_with(path, Some(&admin)).await.status(),
            403,
            "{path}: an ordinary session may not hold the kiosk's channel"
        );
    }
}

#[tokio::test]
async fn a_newer_page_replaces_the_older_one() {
    let app = spawn_app().await;
    let mut old = FakePage::connect(&app).await;
    let new = FakePage::connect(&app).await;
    assert!(new.id > old.id);
    let (event, _) = old.next_event().await;
    assert_eq!(event, "replaced");
    assert_eq!(
        old.post(
            &app,
            "/api/kiosk/state",
            json!({"page": old.id, "state": "idle"})
        )
        .await,
        409,
        "the old page's reports are refused"
    );
    assert_eq!(
        new.post(
            &app,
            "/api/kiosk/state",
            json!({"page": new.id, "state": "idle", "text": "Ready"})
        )
        .await,
        204
    );
    let Answer::Done(status) = control(&app).status().await.unwrap() else {
        panic!("status refused");
    };
    assert_eq!(status.phone.unwrap().text, "Ready");
}

#[tokio::test]
async fn the_command_line_pins_the_servers_own_certificate() {
    let app = crate::helpers::spawn_app_with(&[("PIPHONE_TLS", "on")]).await;
    let mut settings = (*app.state.settings).clone();
    settings.listen = app.url.trim_start_matches("https://").parse().unwrap();
    let ctl = Control::new(&settings).unwrap();
    assert!(
        matches!(ctl.status().await.unwrap(), Answer::Done(_)),
        "the pinned self-signed certificate is accepted"
    );

    // Another certificate in its place (say, a different server on that port) is refused.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert_path = settings.data_dir.join("tls").join("cert.pem");
    std::fs::write(&cert_path, other.cert.pem()).unwrap();
    let err = Control::new(&settings).unwrap().status().await.unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot reach"),
        "refused: {err:#}"
    );
}
