//! What the lines refuse, and the callers they must not lose, against a mock of Twilio's REST API: bad line
//! numbers, buttons and bodies; a caller who is not waiting; Twilio's documented limits (error 10004, 20429);
//! a stream that never comes.

use std::time::Duration;

use piphone::callin::{Line, Place};
use piphone::hybrid::lines::Mode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::file_devices;
use crate::callin::phones_and_waits;
use crate::helpers::{ACCOUNT_SID, ADMIN_PASSWORD, TestApp, spawn_app_with};

const QU: &str = "QU0123456789abcdef0123456789abcdef";
const CA: &str = "CA0123456789abcdef0123456789abcdef";
const FROM: &str = "+14155550101";

/// A piphone with four hybrid lines (file devices), Twilio's REST API mocked, one caller waiting.
struct Lines {
    app: TestApp,
    twilio: MockServer,
    cookie: String,
    _dir: tempfile::TempDir,
}

impl Lines {
    async fn start() -> Lines {
        let dir = tempfile::tempdir().unwrap();
        let (capture, playback, _) = file_devices(dir.path(), 1);
        let twilio = MockServer::start().await;
        let app = spawn_app_with(&[
            ("PIPHONE_TWILIO_API_URL", &twilio.uri()),
            ("PIPHONE_QUEUE_POLL_SECS", "3600"),
            ("PIPHONE_ONAIR", "hybrid"),
            ("PIPHONE_HYBRID_CAPTURE", &capture),
            ("PIPHONE_HYBRID_PLAYBACK", &playback),
        ])
        .await;
        phones_and_waits(&app, CA, FROM, QU).await;
        let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
        Lines {
            app,
            twilio,
            cookie,
            _dir: dir,
        }
    }

    /// Twilio answers a redirect of the caller's call with `status` and `body`.
    async fn twilio_answers(&self, status: u16, body: Value) {
        self.twilio.reset().await;
        Mock::given(method("POST"))
            .and(path(format!(
                "/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{CA}.json"
            )))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.twilio)
            .await;
    }

    /// POSTs `body` (JSON, or raw text) to `path`: status and the JSON answer.
    async fn post(&self, path: &str, body: Result<Value, &str>) -> (u16, Value) {
        let req = self
            .app
            .client
            .post(self.app.at(path))
            .header("cookie", &self.cookie);
        let req = match body {
            Ok(json) => req.json(&json),
            Err(raw) => req
                .header("content-type", "application/json")
                .body(raw.to_owned()),
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path}: the answer is JSON: {text}"));
        (status, body)
    }

    /// `/queue-status` without its clocks (which move between two reads).
    async fn picture(&self) -> Value {
        let res = self.app.get_with("/queue-status", Some(&self.cookie)).await;
        let mut status: Value = res.json().await.unwrap();
        for key in ["age_seconds", "stale"] {
            status.as_object_mut().unwrap().remove(key);
        }
        for member in status["members"].as_array_mut().into_iter().flatten() {
            member.as_object_mut().unwrap().remove("wait_seconds");
        }
        for line in status["lines"].as_array_mut().into_iter().flatten() {
            line.as_object_mut().unwrap().remove("level_dbfs");
        }
        status
    }

    fn waiting(status: &Value) -> bool {
        status["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|c| c["call_sid"] == CA))
    }
}

/// A bad request: what it is, path, body (JSON, or raw text), the status and words of the answer.
type Case<'a> = (&'a str, String, Result<Value, &'a str>, u16, &'a str);

#[tokio::test]
async fn bad_requests_are_refused_in_json_and_change_nothing() {
    let s = Lines::start().await;
    let take = |n: &str| format!("/api/lines/{n}/take");
    let caller = json!({ "call_sid": CA });
    let cases: Vec<Case> = vec![
        (
            "line 0",
            "/api/lines/0".into(),
            Ok(json!({"action": "air"})),
            400,
            "there is no line 0",
        ),
        (
            "line 5 of 4",
            "/api/lines/5".into(),
            Ok(json!({"action": "air"})),
            400,
            "there is no line 5",
        ),
        (
            "line 300",
            "/api/lines/300".into(),
            Ok(json!({"action": "air"})),
            400,
            "\"300\" is not a line number",
        ),
        (
            "line abc",
            "/api/lines/abc".into(),
            Ok(json!({"action": "air"})),
            400,
            "\"abc\" is not a line number",
        ),
        (
            "negative line",
            "/api/lines/-1".into(),
            Ok(json!({"action": "hold"})),
            400,
            "is not a line number",
        ),
        (
            "unknown button",
            "/api/lines/1".into(),
            Ok(json!({"action": "explode"})),
            422,
            "unknown variant",
        ),
        (
            "no button",
            "/api/lines/1".into(),
            Ok(json!({})),
            422,
            "missing field `action`",
        ),
        (
            "button not a string",
            "/api/lines/1".into(),
            Ok(json!({"action": 1})),
            400,
            "action",
        ),
        (
            "broken JSON",
            "/api/lines/1".into(),
            Err("{\"action\":"),
            400,
            "JSON",
        ),
        (
            "air on an empty line",
            "/api/lines/1".into(),
            Ok(json!({"action": "air"})),
            409,
            "line 1 has no caller",
        ),
        (
            "drop an empty line",
            "/api/lines/2".into(),
            Ok(json!({"action": "drop"})),
            409,
            "line 2 has no caller",
        ),
        (
            "lock an empty line",
            "/api/lines/3".into(),
            Ok(json!({"action": "lock"})),
            409,
            "line 3 has no caller",
        ),
        (
            "take to line 0",
            take("0"),
            Ok(caller.clone()),
            400,
            "there is no line 0",
        ),
        (
            "take to line 9",
            take("9"),
            Ok(caller.clone()),
            400,
            "there is no line 9",
        ),
        (
            "take to line x",
            take("x"),
            Ok(caller.clone()),
            400,
            "\"x\" is not a line number",
        ),
        (
            "take without a caller",
            take("1"),
            Ok(json!({})),
            422,
            "missing field `call_sid`",
        ),
        (
            "take, air not a boolean",
            take("1"),
            Ok(json!({"call_sid": CA, "air": "yes"})),
            422,
            "air",
        ),
        (
            "take broken JSON",
            take("1"),
            Err("call_sid=CA"),
            400,
            "JSON",
        ),
        (
            "take a caller who is not waiting",
            take("1"),
            Ok(json!({"call_sid": "CAffffffffffffffffffffffffffffffff"})),
            409,
            "not waiting",
        ),
        (
            "take nobody",
            take("1"),
            Ok(json!({"call_sid": ""})),
            409,
            "not waiting",
        ),
    ];
    let before = s.picture().await;
    assert!(Lines::waiting(&before), "{before}");
    for (case, path, body, status, said) in cases {
        let (got, answer) = s.post(&path, body).await;
        assert_eq!(got, status, "{case}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(said), "{case}: {said:?} in {answer}");
        assert_eq!(s.picture().await, before, "{case}: nothing changed");
    }
    let moved = s.twilio.received_requests().await.unwrap_or_default();
    assert!(
        !moved.iter().any(|r| r.url.path().contains("/Calls/")),
        "no caller was moved: {moved:?}"
    );

    // A caller already on a line is not taken again.
    s.twilio_answers(200, json!({ "sid": CA, "status": "in-progress" }))
        .await;
    let (got, answer) = s.post(&take("2"), Ok(caller.clone())).await;
    assert_eq!(got, 200, "{answer}");
    let on_line = s.picture().await;
    let (got, answer) = s.post(&take("3"), Ok(caller)).await;
    assert_eq!(got, 409, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("already on line 2"),
        "{answer}"
    );
    assert_eq!(s.picture().await, on_line, "nothing changed");
}

#[tokio::test]
async fn twilio_limits_are_said_in_words_and_leave_the_caller_waiting() {
    let s = Lines::start().await;
    let cases = [
        (
            "the account's concurrent-call limit",
            400,
            json!({"code": 10004, "message": "Call concurrency limit exceeded",
                   "more_info": "https://www.twilio.com/docs/errors/10004", "status": 400}),
            "limit of calls at once",
        ),
        (
            "too many requests at once",
            429,
            json!({"code": 20429, "message": "Too Many Requests",
                   "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}),
            "too many at once",
        ),
    ];
    let before = s.picture().await;
    for (case, status, body, said) in cases {
        s.twilio_answers(status, body).await;
        let (got, answer) = s
            .post(
                "/api/lines/1/take",
                Ok(json!({ "call_sid": CA, "air": true })),
            )
            .await;
        assert_eq!(got, 409, "{case}: {answer}");
        let error = answer["error"].as_str().unwrap_or_default();
        assert!(error.contains(said), "{case}: {said:?} in {answer}");
        assert!(
            !s.twilio.received_requests().await.unwrap().is_empty(),
            "{case}: Twilio was asked"
        );
        assert_eq!(
            s.picture().await,
            before,
            "{case}: line empty, caller waiting"
        );
    }
}

/// Take asked Twilio to move the caller, but their stream never reached piphone (here: the line is set as
/// Take leaves it, and no stream is sent). Once the timeout passes, the line gives up: the caller is back in the
/// screened queue (where Twilio's TwiML after `<Connect>` put them), flagged, and the call log says so.
#[tokio::test]
async fn a_stream_that_never_comes_sends_the_caller_back_to_the_screened_queue_flagged() {
    let s = Lines::start().await;
    let hybrid = s.app.state.hybrid.clone().expect("the hybrid is on");
    hybrid
        .update(|l| l.take(1, CA, Some(FROM), Mode::OnAir))
        .unwrap();
    s.app
        .state
        .callin
        .update(|b| b.on_air(CA, Some(FROM), None));
    piphone::call_log::on_air(&s.app.state.store, CA, None).await;
    let timeout = Duration::from_millis(300);

    hybrid.give_up_overdue(timeout).await;
    let status = s.picture().await;
    assert_eq!(
        status["lines"][0]["state"], "connecting",
        "still waiting: {status}"
    );
    assert_eq!(status["returned"], json!([]), "{status}");

    tokio::time::sleep(timeout + Duration::from_millis(100)).await;
    hybrid.give_up_overdue(timeout).await;
    let status = s.picture().await;
    assert_eq!(status["lines"][0]["state"], "empty", "{status}");
    assert_eq!(status["returned"][0]["call_sid"], CA, "flagged: {status}");
    assert_eq!(status["returned"][0]["line"], 1, "{status}");
    assert_eq!(status["returned"][0]["from"], FROM, "{status}");
    assert_eq!(
        s.app.state.callin.read(|b| b.place_of(CA)),
        Some(Place::Waiting(Line::Screened)),
        "back in the screened queue"
    );
    let log: Value = s
        .app
        .get_with("/api/calls", Some(&s.cookie))
        .await
        .json()
        .await
        .unwrap();
    let row = log["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_sid"] == CA)
        .unwrap_or_else(|| panic!("in the call log: {log}"));
    assert_eq!(row["outcome"], "screened", "{row}");

    // Once only.
    hybrid.give_up_overdue(Duration::ZERO).await;
    assert_eq!(
        s.picture().await["returned"].as_array().map(Vec::len),
        Some(1)
    );
}
