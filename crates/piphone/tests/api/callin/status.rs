use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{listener, twiml};
use crate::helpers::{ACCOUNT_SID, ADMIN_PASSWORD, TestApp, spawn_app_with};

const QU: &str = "QU0123456789abcdef0123456789abcdef";

fn api(rest: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT_SID}/{rest}")
}

fn queue_json(size: usize) -> Value {
    json!({
        "sid": QU, "friendly_name": "radio-callin-queue", "current_size": size,
        "average_wait_time": 7, "max_size": 100, "account_sid": ACCOUNT_SID,
    })
}

/// A Twilio whose queue holds `members` (`(call_sid, from)`, front first).
async fn mount_twilio(server: &MockServer, members: &[(&str, &str)]) {
    Mock::given(method("GET"))
        .and(path(api("Queues.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queues": [queue_json(members.len())], "next_page_uri": null,
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(api(&format!("Queues/{QU}.json"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json(members.len())))
        .mount(server)
        .await;
    let list: Vec<Value> = members
        .iter()
        .enumerate()
        .map(|(i, (sid, _))| {
            json!({"call_sid": sid, "queue_sid": QU, "position": i + 1, "wait_time": 30 - i})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path(api(&format!("Queues/{QU}/Members.json"))))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queue_members": list, "next_page_uri": null,
        })))
        .mount(server)
        .await;
    for (sid, from) in members {
        Mock::given(method("GET"))
            .and(path(api(&format!("Calls/{sid}.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sid": sid, "from": from, "to": "+14155550100", "status": "queued",
            })))
            .mount(server)
            .await;
    }
}

async fn app_with_mock(server: &MockServer, poll_secs: &str) -> TestApp {
    spawn_app_with(&[
        ("PIPHONE_TWILIO_API_URL", &server.uri()),
        ("PIPHONE_QUEUE_POLL_SECS", poll_secs),
    ])
    .await
}

/// `/queue-status` until `want` holds (or a panic after `within`).
async fn wait_for(
    app: &TestApp,
    cookie: &str,
    within: Duration,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let s: Value = app
            .get_with("/queue-status", Some(cookie))
            .await
            .json()
            .await
            .unwrap();
        if want(&s) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "gave up waiting; last status {s}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_poll_lists_members_with_numbers_goes_stale_and_recovers() {
    let server = MockServer::start().await;
    mount_twilio(
        &server,
        &[("CA01", "+14155550101"), ("CA02", "+14155550102")],
    )
    .await;
    let app = app_with_mock(&server, "0.2").await;
    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let s = wait_for(&app, &cookie, Duration::from_secs(10), |s| {
        s["members"]
            .as_array()
            .is_some_and(|m| m.len() == 2 && m[1]["from"].is_string())
    })
    .await;
    assert_eq!(s["queue"], "radio-callin-queue");
    assert_eq!(s["size"], 2);
    assert_eq!(s["average_wait_seconds"], 7);
    assert_eq!(s["members"][0]["call_sid"], "CA01");
    assert_eq!(s["members"][0]["position"], 1);
    assert_eq!(s["members"][0]["from"], "+14155550101");
    assert!(s["members"][0]["wait_seconds"].as_u64().unwrap() >= 30);
    assert_eq!(s["stale"], false);
    assert!(s["updated_at"].is_string());

    // Each number was fetched once, however many polls ran.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let lookups = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().contains("/Calls/"))
        .count();
    assert_eq!(lookups, 2, "one fetch_call per caller");

    // Twilio fails: the view says so, keeping what it knew and its age.
    server.reset().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"code": 20500, "message": "down"})),
        )
        .mount(&server)
        .await;
    let s = wait_for(&app, &cookie, Duration::from_secs(10), |s| {
        s["stale"] == true
    })
    .await;
    assert_eq!(s["size"], 2, "the last known picture stays");
    assert!(s["updated_at"].is_string() && s["age_seconds"].is_u64());

    // Twilio is back: the view recovers by itself.
    server.reset().await;
    mount_twilio(&server, &[("CA02", "+14155550102")]).await;
    let s = wait_for(&app, &cookie, Duration::from_secs(10), |s| {
        s["stale"] == false
    })
    .await;
    let s = if s["size"] == 1 {
        s
    } else {
        wait_for(&app, &cookie, Duration::from_secs(5), |s| s["size"] == 1).await
    };
    assert_eq!(s["members"][0]["call_sid"], "CA02");
    assert_eq!(
        s["members"][0]["from"], "+14155550102",
        "the number stayed cached"
    );
}

/// Twilio requests in `window`.
async fn requests_during(server: &MockServer, window: Duration) -> usize {
    let before = server.received_requests().await.unwrap().len();
    tokio::time::sleep(window).await;
    server.received_requests().await.unwrap().len() - before
}

#[tokio::test]
async fn two_hundred_browsers_cost_twilio_no_more_than_one() {
    let server = MockServer::start().await;
    mount_twilio(&server, &[("CA01", "+14155550101")]).await;
    let app = app_with_mock(&server, "0.1").await;
    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    wait_for(&app, &cookie, Duration::from_secs(10), |s| {
        s["members"][0]["from"].is_string()
    })
    .await;
    let window = Duration::from_secs(2);

    let mut first = app.get_with("/events", Some(&cookie)).await;
    assert_eq!(first.status(), 200);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let chunk = String::from_utf8(first.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(
        chunk.contains("event: queue") && chunk.contains("\"members\""),
        "{chunk}"
    );
    let with_one = requests_during(&server, window).await;

    let mut streams = vec![first];
    for _ in 1..200 {
        let res = app.get_with("/events", Some(&cookie)).await;
        assert_eq!(res.status(), 200);
        streams.push(res);
    }
    assert_eq!(app.state.callin.subscribers(), 200, "all streams open");
    let with_many = requests_during(&server, window).await;
    eprintln!(
        "Twilio REST requests in {window:?}: {with_one} with 1 /events stream, {with_many} with 200"
    );

    assert!(
        with_one >= 10,
        "the poll runs: {with_one} requests in {window:?}"
    );
    assert!(
        with_many <= with_one + with_one / 4 + 2,
        "Twilio requests per {window:?}: {with_one} with 1 stream, {with_many} with 200"
    );
    // The streams still get changes.
    twiml(&app, "/voice/incoming", &listener("CA09", "+14155550109")).await;
    let last = streams.last_mut().unwrap();
    let mut seen = String::new();
    while !seen.contains("CA09") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), last.chunk())
            .await
            .expect("an update within 5 s")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn hang_up_caller_ends_the_on_air_call_through_the_rest_api() {
    let server = MockServer::start().await;
    mount_twilio(&server, &[]).await;
    Mock::given(method("POST"))
        .and(path(api("Calls/CA01.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sid": "CA01", "status": "completed",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let app = app_with_mock(&server, "5").await;
    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let hang_up = |body: &'static str| {
        app.client
            .post(app.at("/api/callin/hangup"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_eq!(
        hang_up("").await.unwrap().status(),
        404,
        "nobody on the air"
    );

    twiml(&app, "/voice/incoming", &listener("CA01", "+14155550101")).await;
    let mut on_air = listener("CA01", "+14155550101");
    on_air.push(("DequeingCallSid".into(), "CAdj".into()));
    twiml(&app, "/voice/on-air", &on_air).await;
    assert_eq!(
        hang_up(r#"{"call_sid":"CA99"}"#).await.unwrap().status(),
        404,
        "only callers in the queue or on the air"
    );
    let res = hang_up("").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["ended"], "CA01");
    let posts: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(posts, ["Status=completed"]);
}
