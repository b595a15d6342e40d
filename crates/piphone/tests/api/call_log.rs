//! The call log: every call recorded from the webhooks with its outcome and who handled it; the page's JSON and
//! the CSV export (admins and hosts only, formulas neutralised); a number's history; retention at start-up.

use piphone::domain::{CallerNotes, PhoneNumber, Priority, Role};
use piphone::store::{CallEntry, CallFilter, CallKind, NewCall};
use serde_json::Value;

use crate::callin::{listener, twiml, with};
use crate::helpers::{ADMIN_PASSWORD, TestApp, client_call, pairs, spawn_app, spawn_app_with};

const DJ_CALL: &str = "CA0123456789abcdef0123456789abcdef";

async fn log(app: &TestApp) -> Vec<CallEntry> {
    app.state
        .store
        .list_calls(&CallFilter {
            limit: 100,
            ..CallFilter::default()
        })
        .await
        .unwrap()
}

async fn entry(app: &TestApp, sid: &str) -> CallEntry {
    app.state
        .store
        .call(sid)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{sid} is in the log"))
}

/// A host `dj` whose browser line takes calls (CallSid [`DJ_CALL`]).
async fn host_line(app: &TestApp) {
    app.add_user("dj", Role::Host, "dj-password-1").await;
    let mut params = client_call("dj", "");
    params.push(("Queue".into(), "radio-callin-queue".into()));
    twiml(app, "/voice", &params).await;
}

#[tokio::test]
async fn station_calls_are_logged_with_outcome_times_and_host() {
    let app = spawn_app().await;
    host_line(&app).await;
    let banned = PhoneNumber::parse_caller("+14155550177", None).unwrap();
    app.state
        .store
        .add_ban(&banned, Some("abusive"))
        .await
        .unwrap();

    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice/incoming", &listener("CA02", "(415) 555-0102")).await;
    twiml(&app, "/voice/incoming", &listener("CA03", "+14155550177")).await;
    assert_eq!(entry(&app, "CA01").await.outcome, "waiting");
    assert_eq!(entry(&app, "CA02").await.number, "+14155550102", "E.164");

    let on_air = with(
        listener("CA01", "+14155550101"),
        &[("DequeingCallSid", DJ_CALL), ("QueueTime", "12")],
    );
    twiml(&app, "/voice/on-air", &on_air).await;
    assert_eq!(entry(&app, "CA01").await.outcome, "on-air");
    let left = |sid: &str, from: &str, result: &str| {
        with(
            listener(sid, from),
            &[("QueueResult", result), ("QueueTime", "20")],
        )
    };
    twiml(
        &app,
        "/voice/left",
        &left("CA01", "+14155550101", "bridged"),
    )
    .await;
    twiml(&app, "/voice/left", &left("CA02", "+14155550102", "hangup")).await;

    let aired = entry(&app, "CA01").await;
    assert_eq!(
        (
            aired.kind.as_str(),
            aired.outcome.as_str(),
            aired.host.as_deref()
        ),
        ("queue", "aired", Some("dj"))
    );
    assert!(aired.ended_at.is_some() && aired.on_air_at.is_some());
    assert!(aired.on_air_seconds.is_some() && aired.duration_seconds.is_some());
    let gone = entry(&app, "CA02").await;
    assert_eq!(
        (gone.outcome.as_str(), gone.detail.as_deref()),
        ("abandoned", Some("hangup"))
    );
    let refused = entry(&app, "CA03").await;
    assert_eq!(refused.outcome, "banned");
    assert_eq!(refused.ended_at, Some(refused.started_at), "over at once");
    assert_eq!(
        log(&app).await.len(),
        3,
        "one row per call, the host's line is not a call"
    );

    // A repeated webhook (Twilio retried) changes nothing that ended.
    twiml(&app, "/voice/left", &left("CA02", "+14155550102", "hangup")).await;
    assert_eq!(entry(&app, "CA02").await.ended_at, gone.ended_at);
}

#[tokio::test]
async fn a_full_queue_is_logged() {
    let app = spawn_app_with(&[("PIPHONE_QUEUE_MAX_SIZE", "1")]).await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice/incoming", &listener("CA02", "+14155550102")).await;
    assert_eq!(entry(&app, "CA02").await.outcome, "queue-full");
}

#[tokio::test]
async fn outgoing_calls_and_refusals_are_logged_with_the_user() {
    let app = spawn_app().await;
    let mut dial = client_call("admin", "+14155552671");
    twiml(&app, "/voice", &dial).await;
    let e = entry(&app, DJ_CALL).await;
    assert_eq!(
        (e.kind.as_str(), e.outcome.as_str(), e.username.as_deref()),
        ("outgoing", "dialling", Some("admin"))
    );
    assert_eq!(e.number, "+14155552671");
    dial.push(("DialCallStatus".into(), "busy".into()));
    let res = app.post_signed("/voice/dial-ended", &pairs(&dial)).await;
    assert_eq!(res.status(), 200);
    let e = entry(&app, DJ_CALL).await;
    assert_eq!(e.outcome, "busy");
    assert!(e.ended_at.is_some());

    let mut premium = client_call("admin", "+19005550123");
    premium[3].1 = "CA99".into();
    twiml(&app, "/voice", &premium).await;
    let e = entry(&app, "CA99").await;
    assert_eq!(e.outcome, "refused");
    assert!(e.detail.is_some(), "with the reason");
}

#[tokio::test]
async fn ring_mode_calls_are_answered_or_missed() {
    let app = spawn_app_with(&[("PIPHONE_INCOMING_MODE", "ring")]).await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    assert_eq!(entry(&app, "CA01").await.outcome, "missed", "nobody online");

    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(app.get_with("/token", Some(&cookie)).await.status(), 200);
    let doc = twiml(&app, "/voice/incoming", &listener("CA02", "+14155550102")).await;
    let dial = &doc.children[0];
    assert_eq!(dial.attr("action"), Some("/voice/ring-ended"));
    assert_eq!(entry(&app, "CA02").await.outcome, "ringing");
    let ended = with(
        listener("CA02", "+14155550102"),
        &[("DialCallStatus", "completed"), ("DialCallDuration", "30")],
    );
    twiml(&app, "/voice/ring-ended", &ended).await;
    let e = entry(&app, "CA02").await;
    assert_eq!(
        (e.kind.as_str(), e.outcome.as_str()),
        ("incoming", "answered")
    );
}

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    app.get_with(path, cookie).await
}

#[tokio::test]
async fn the_log_and_its_export_are_for_admins_and_hosts_only() {
    let app = spawn_app().await;
    for (name, role) in [
        ("dj", Role::Host),
        ("sam", Role::Screener),
        ("lis", Role::Caller),
    ] {
        app.add_user(name, role, "password-123").await;
    }
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let dj = app.login("dj", "password-123").await.unwrap();
    let sam = app.login("sam", "password-123").await.unwrap();
    let lis = app.login("lis", "password-123").await.unwrap();
    for path in ["/calls", "/calls.csv", "/api/calls"] {
        for (who, cookie, want) in [
            ("admin", &admin, 200),
            ("host", &dj, 200),
            ("screener", &sam, 403),
            ("caller", &lis, 403),
        ] {
            let status = get(&app, path, Some(cookie)).await.status();
            assert_eq!(status, want, "{path} as {who}");
        }
        let anonymous = get(&app, path, None).await.status().as_u16();
        assert!(
            matches!(anonymous, 401 | 303),
            "{path} anonymous: {anonymous}"
        );
    }
    // Screeners read one caller's history (they see it while screening); callers do not.
    let path = "/api/callers/%2B14155550101";
    assert_eq!(get(&app, path, Some(&sam)).await.status(), 200);
    assert_eq!(get(&app, path, Some(&lis)).await.status(), 403);

    let res = get(&app, "/api/calls?q=0101", Some(&dj)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["calls"].as_array().unwrap().len(), 1);
    assert_eq!(body["calls"][0]["call_sid"], "CA01");
    assert_eq!(body["retention_days"], 90);
    let res = get(&app, "/api/calls?kind=outgoing", Some(&dj)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["calls"].as_array().unwrap().len(),
        0,
        "filtered by kind"
    );
    assert_eq!(
        get(&app, "/api/calls?kind=bogus", Some(&dj)).await.status(),
        400
    );
}

/// Parses RFC 4180 CSV where every cell is quoted (as piphone writes it).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn the_csv_lists_every_call_with_notes_and_neutralises_formulas() {
    let app = spawn_app().await;
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    twiml(&app, "/voice/incoming", &listener("CA02", "+14155550102")).await;
    let hostile = CallerNotes {
        name: "=HYPERLINK(\"http://evil\",\"x\")".into(),
        location: "@SUM(1+1)".into(),
        topic: "-2+3".into(),
        notes: "line one\n\"quoted\", with comma".into(),
        priority: Priority::High,
    };
    let store = &app.state.store;
    store
        .save_notes("CA01", "+14155550101", &hostile, "sam")
        .await
        .unwrap();
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let res = get(&app, "/calls.csv", Some(&admin)).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let rows = parse_csv(&res.text().await.unwrap());
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 3, "header and two calls: {rows:?}");
    let ca01 = rows.iter().find(|r| r[col("call_sid")] == "CA01").unwrap();
    assert_eq!(ca01[col("name")], "'=HYPERLINK(\"http://evil\",\"x\")");
    assert_eq!(ca01[col("location")], "'@SUM(1+1)");
    assert_eq!(ca01[col("topic")], "'-2+3");
    assert_eq!(ca01[col("notes")], "line one\n\"quoted\", with comma");
    assert_eq!(ca01[col("priority")], "high");
    assert_eq!(
        ca01[col("number")],
        "'+14155550101",
        "a leading + is neutralised too"
    );
    assert_eq!(ca01[col("outcome")], "waiting");
    for row in &rows[1..] {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "no cell starts a formula: {cell:?}"
            );
        }
    }
    let res = get(&app, "/calls.csv?q=HYPERLINK", Some(&admin)).await;
    assert_eq!(
        parse_csv(&res.text().await.unwrap()).len(),
        2,
        "search applies"
    );
}

#[tokio::test]
async fn retention_purges_old_calls_at_start_and_history_survives_a_restart() {
    let app = spawn_app().await;
    let old = piphone::store::now_unix() - 40 * 86_400;
    let store = &app.state.store;
    store
        .log_call(NewCall {
            at: old,
            ..NewCall::now("CAOLD", CallKind::Queue, "+14155550101", "aired")
        })
        .await
        .unwrap();
    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    let notes = CallerNotes {
        name: "Ann".into(),
        ..CallerNotes::default()
    };
    store
        .save_notes("CA01", "+14155550101", &notes, "sam")
        .await
        .unwrap();

    let kept = app.restart_with(&[]).await;
    assert!(
        kept.state.store.call("CAOLD").await.unwrap().is_some(),
        "90 days by default"
    );
    let forever = app.restart_with(&[("PIPHONE_CALL_LOG_DAYS", "0")]).await;
    assert!(
        forever.state.store.call("CAOLD").await.unwrap().is_some(),
        "0 keeps all"
    );

    let purged = app.restart_with(&[("PIPHONE_CALL_LOG_DAYS", "30")]).await;
    assert!(
        purged.state.store.call("CAOLD").await.unwrap().is_none(),
        "older than 30 days"
    );
    let cookie = purged.login("admin", ADMIN_PASSWORD).await.unwrap();
    let res = get(&purged, "/api/callers/+14155550101", Some(&cookie)).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["number"], "+14155550101");
    assert_eq!(body["history"]["calls"], 1, "{body}");
    assert_eq!(body["history"]["name"], "Ann", "notes survive the restart");
    assert_eq!(body["calls"][0]["notes"]["name"], "Ann");
}
