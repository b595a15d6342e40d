//! Call screening against a wiremock Twilio: the REST requests piphone sends (dequeue into the screener's TwiML,
//! redirect into the screened queue, end), the TwiML it answers, the host's priority, roles, messages, and the
//! log and history that follow.

use std::collections::HashMap;

use piphone::domain::{PhoneNumber, Role};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{listener, phones_and_waits, status, text, twiml, verbs, with};
use crate::helpers::{ACCOUNT_SID, ADMIN_PASSWORD, TestApp, client_call, spawn_app_with};

const QU: &str = "QU0123456789abcdef0123456789abcdef";
const PASSWORD: &str = "password-123";

fn api(rest: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT_SID}/{rest}")
}

/// A Twilio that accepts dequeues from the call-in queue and updates to any call; polls see nothing.
async fn twilio() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(api("Queues.json")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"queues": [], "next_page_uri": null})),
        )
        .mount(&server)
        .await;
    for sid in ["CA01", "CA02", "CA03"] {
        Mock::given(method("POST"))
            .and(path(api(&format!("Queues/{QU}/Members/{sid}.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "call_sid": sid, "queue_sid": QU, "position": 1, "wait_time": 9,
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(api(&format!("Calls/{sid}.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sid": sid, "from": "+14155550101", "to": "+14155550100", "status": "in-progress",
            })))
            .mount(&server)
            .await;
    }
    server
}

/// The form bodies of the POSTs Twilio received at `rest` (under the account).
async fn posts_to(server: &MockServer, rest: &str) -> Vec<HashMap<String, String>> {
    let want = api(rest);
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == want)
        .map(|r| url::form_urlencoded::parse(&r.body).into_owned().collect())
        .collect()
}

struct Show {
    app: TestApp,
    twilio: MockServer,
    sam: String,
    admin: String,
}

/// A show with a screener `sam`, a host `dj`, and two callers waiting (CA01, CA02), the queue's SID known.
async fn show(extra: &[(&str, &str)]) -> Show {
    let twilio = twilio().await;
    let mut env = vec![("PIPHONE_TWILIO_API_URL", twilio.uri())];
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    app.add_user("sam", Role::Screener, PASSWORD).await;
    app.add_user("dj", Role::Host, PASSWORD).await;
    for (sid, from) in [("CA01", "+14155550101"), ("CA02", "+14155550102")] {
        phones_and_waits(&app, sid, from, QU).await;
    }
    let sam = app.login("sam", PASSWORD).await.unwrap();
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    Show {
        app,
        twilio,
        sam,
        admin,
    }
}

async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// `sam` screens CA02; Twilio then requests the screener's TwiML.
async fn screen_ca02(s: &Show) {
    let body = json!({"call_sid": "CA02"});
    ok(s.app.post_json("/api/callin/screen", &s.sam, &body).await).await;
    let dequeued = with(
        listener("CA02", "+14155550102"),
        &[("QueueResult", "redirected"), ("QueueTime", "9")],
    );
    twiml(&s.app, "/voice/left", &dequeued).await;
    twiml(
        &s.app,
        "/voice/screen?screener=sam",
        &listener("CA02", "+14155550102"),
    )
    .await;
}

#[tokio::test]
async fn screen_dequeues_the_chosen_caller_into_twiml_that_rings_the_screener() {
    let s = show(&[]).await;
    let body = json!({"call_sid": "CA02"});
    ok(s.app.post_json("/api/callin/screen", &s.sam, &body).await).await;
    let dequeues = posts_to(&s.twilio, &format!("Queues/{QU}/Members/CA02.json")).await;
    assert_eq!(dequeues.len(), 1, "one dequeue of that CallSid");
    assert_eq!(
        dequeues[0]["Url"],
        format!("{}/voice/screen?screener=sam", s.app.url)
    );
    assert_eq!(dequeues[0]["Method"], "POST");
    let st = status(&s.app).await;
    assert_eq!(st["size"], 1, "out of the waiting list at once: {st}");
    assert_eq!(st["screening"][0]["call_sid"], "CA02");
    assert_eq!(st["screening"][0]["screener"], "sam");
    let again = s.app.post_json("/api/callin/screen", &s.admin, &body).await;
    assert_eq!(again.status(), 409, "another screener cannot take them too");
    let gone = json!({"call_sid": "CA99"});
    let res = s.app.post_json("/api/callin/screen", &s.admin, &gone).await;
    assert_eq!(res.status(), 404, "only waiting callers");
    twiml(&s.app, "/voice/incoming", &listener("CA03", "+14155550103")).await;
    let greeting = json!({"call_sid": "CA03"});
    let res = s
        .app
        .post_json("/api/callin/screen", &s.admin, &greeting)
        .await;
    assert_eq!(
        res.status(),
        409,
        "not while the greeting plays (Twilio has not enqueued them)"
    );
    assert_eq!(status(&s.app).await["members"][1]["in_queue"], false);

    // Twilio's action for the dequeue is no departure; then the screener's TwiML.
    let dequeued = with(
        listener("CA02", "+14155550102"),
        &[("QueueResult", "redirected"), ("QueueTime", "9")],
    );
    twiml(&s.app, "/voice/left", &dequeued).await;
    assert!(
        status(&s.app).await["recent"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let doc = twiml(
        &s.app,
        "/voice/screen?screener=sam",
        &listener("CA02", "+14155550102"),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say", "Dial"]);
    let dial = &doc.children[1];
    assert_eq!(dial.attr("action"), Some("/voice/screen-ended"));
    assert_eq!(dial.attr("timeout"), Some("20"));
    let client = &dial.children[0];
    assert_eq!(client.name, "Client");
    assert_eq!(text(&client.children[0]), "sam", "<Identity>");
    let param = &client.children[1];
    assert_eq!(
        (param.attr("name"), param.attr("value")),
        (Some("ScreeningCallSid"), Some("CA02"))
    );
    assert_eq!(status(&s.app).await["screening"][0]["connected"], true);
    let entry = s.app.state.store.call("CA02").await.unwrap().unwrap();
    assert_eq!(
        (entry.outcome.as_str(), entry.screener.as_deref()),
        ("screening", Some("sam"))
    );
}

#[tokio::test]
async fn ready_for_air_redirects_into_the_screened_queue_and_the_host_takes_them_first() {
    let s = show(&[]).await;
    screen_ca02(&s).await;
    let notes = json!({
        "call_sid": "CA02",
        "notes": {"name": "Bo", "location": "Leeds", "topic": "bins", "notes": "calm", "priority": "high"},
    });
    ok(s.app.post_json("/api/callin/ready", &s.sam, &notes).await).await;
    let redirects = posts_to(&s.twilio, "Calls/CA02.json").await;
    assert_eq!(redirects.len(), 1);
    assert_eq!(redirects[0]["Url"], format!("{}/voice/screened", s.app.url));
    assert_eq!(redirects[0]["Method"], "POST");
    assert!(
        !redirects[0].contains_key("Status"),
        "a redirect, not an end"
    );

    let doc = twiml(&s.app, "/voice/screened", &listener("CA02", "+14155550102")).await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    let enqueue = &doc.children[1];
    assert_eq!(text(enqueue), "radio-callin-queue-screened");
    assert_eq!(enqueue.attr("waitUrl"), Some("/voice/wait?line=screened"));
    assert_eq!(enqueue.attr("action"), Some("/voice/left?line=screened"));
    let hold = with(
        listener("CA02", "+14155550102"),
        &[("QueuePosition", "1"), ("QueueSid", "QUscreened")],
    );
    let doc = twiml(&s.app, "/voice/wait?line=screened", &hold).await;
    assert_eq!(verbs(&doc).last(), Some(&"Play"), "hold music");

    let st = status(&s.app).await;
    assert_eq!(st["size"], 1, "CA01 still unscreened: {st}");
    assert_eq!(st["screened"]["size"], 1);
    let card = &st["screened"]["members"][0];
    assert_eq!(card["call_sid"], "CA02");
    assert_eq!(card["caller"]["notes"]["name"], "Bo");
    assert_eq!(card["caller"]["notes"]["priority"], "high");
    assert_eq!(card["caller"]["screener"], "sam");

    // The host's line takes the screened queue before the call-in queue.
    let mut line = client_call("dj", "");
    line.push(("Queue".into(), "radio-callin-queue".into()));
    let doc = twiml(&s.app, "/voice", &line).await;
    let queue = &doc.children[0].children[0];
    assert_eq!(
        (queue.name.as_str(), text(queue)),
        ("Queue", "radio-callin-queue-screened")
    );
    let on_air = with(
        listener("CA02", "+14155550102"),
        &[("DequeingCallSid", "CA0123456789abcdef0123456789abcdef")],
    );
    twiml(&s.app, "/voice/on-air", &on_air).await;
    let st = status(&s.app).await;
    assert_eq!(st["on_air"][0]["caller"]["notes"]["topic"], "bins", "{st}");
    assert_eq!(st["on_air"][0]["host"], "dj");
    // Next: the call-in queue once nobody screened waits.
    let next = with(line.clone(), &[("DialCallStatus", "completed")]);
    let doc = twiml(&s.app, "/voice/next", &next).await;
    assert_eq!(text(&doc.children[0].children[0]), "radio-callin-queue");

    let bridged = with(
        listener("CA02", "+14155550102"),
        &[("QueueResult", "bridged")],
    );
    twiml(&s.app, "/voice/left?line=screened", &bridged).await;
    let entry = s.app.state.store.call("CA02").await.unwrap().unwrap();
    assert_eq!(entry.outcome, "aired");
    assert_eq!(entry.screener.as_deref(), Some("sam"));
    assert_eq!(entry.host.as_deref(), Some("dj"));
    assert_eq!(entry.notes.unwrap().notes.location, "Leeds");
}

#[tokio::test]
async fn with_screened_only_hosts_never_take_unscreened_callers() {
    let s = show(&[("PIPHONE_SCREENED_ONLY", "true")]).await;
    let mut line = client_call("dj", "");
    line.push(("Queue".into(), "radio-callin-queue".into()));
    let doc = twiml(&s.app, "/voice", &line).await;
    assert_eq!(
        verbs(&doc),
        ["Say", "Pause", "Redirect"],
        "waits for screened callers"
    );
    assert_eq!(status(&s.app).await["screened_only"], true);
}

#[tokio::test]
async fn drop_and_ban_end_the_call_and_a_banned_number_is_rejected_next_time() {
    let s = show(&[]).await;
    ok(s.app
        .post_json("/api/callin/drop", &s.sam, &json!({"call_sid": "CA01"}))
        .await)
    .await;
    let ends = posts_to(&s.twilio, "Calls/CA01.json").await;
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0]["Status"], "completed");
    let entry = s.app.state.store.call("CA01").await.unwrap().unwrap();
    assert_eq!(entry.outcome, "dropped");
    assert_eq!(entry.detail.as_deref(), Some("dropped by sam"));

    screen_ca02(&s).await;
    let ban = json!({"call_sid": "CA02", "reason": "abusive"});
    let body = ok(s.app.post_json("/api/callin/ban", &s.sam, &ban).await).await;
    assert_eq!(body["banned"], "+14155550102");
    assert_eq!(
        posts_to(&s.twilio, "Calls/CA02.json").await[0]["Status"],
        "completed"
    );
    let number = PhoneNumber::parse_caller("+14155550102", None).unwrap();
    assert!(s.app.state.store.is_banned(number.e164()).await.unwrap());
    let entry = s.app.state.store.call("CA02").await.unwrap().unwrap();
    assert_eq!(entry.outcome, "banned");
    assert!(entry.detail.unwrap().contains("abusive"));
    let st = status(&s.app).await;
    assert!(st["screening"].as_array().unwrap().is_empty(), "{st}");
    assert_eq!(st["recent"][0]["result"], "banned");

    let doc = twiml(&s.app, "/voice/incoming", &listener("CA03", "+14155550102")).await;
    assert_eq!(verbs(&doc), ["Reject"]);
    let entry = s.app.state.store.call("CA03").await.unwrap().unwrap();
    assert_eq!(entry.outcome, "banned");
    assert_eq!(
        status(&s.app).await["recent"][0]["call_sid"],
        "CA03",
        "shown to the console"
    );
}

/// A listener's fields without `CallStatus` (the test adds the one it needs).
fn in_progress(sid: &str, from: &str) -> Vec<(String, String)> {
    let mut params = listener(sid, from);
    params.retain(|(k, _)| k != "CallStatus");
    params
}

#[tokio::test]
async fn a_screener_who_does_not_answer_puts_the_caller_back_in_line() {
    let s = show(&[]).await;
    screen_ca02(&s).await;
    let ended = with(
        listener("CA02", "+14155550102"),
        &[
            ("DialCallStatus", "no-answer"),
            ("CallStatus", "in-progress"),
        ],
    );
    let doc = twiml(&s.app, "/voice/screen-ended", &ended).await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    assert_eq!(text(&doc.children[1]), "radio-callin-queue");
    let st = status(&s.app).await;
    assert_eq!(st["size"], 2, "{st}");
    assert!(st["screening"].as_array().unwrap().is_empty());

    // Back in Twilio's queue (a hold round), the caller can be screened again; one who hangs up while with the
    // screener is gone, and logged so.
    let hold = with(listener("CA02", "+14155550102"), &[("QueueSid", QU)]);
    twiml(&s.app, "/voice/wait", &hold).await;
    screen_ca02(&s).await;
    let hung_up = with(
        in_progress("CA02", "+14155550102"),
        &[("DialCallStatus", "completed"), ("CallStatus", "completed")],
    );
    let doc = twiml(&s.app, "/voice/screen-ended", &hung_up).await;
    assert_eq!(verbs(&doc), ["Hangup"]);
    let entry = s.app.state.store.call("CA02").await.unwrap().unwrap();
    assert_eq!(entry.outcome, "abandoned");
    assert_eq!(status(&s.app).await["size"], 1);
}

#[tokio::test]
async fn a_failed_dequeue_leaves_the_caller_waiting() {
    let s = show(&[]).await;
    s.twilio.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("down"))
        .mount(&s.twilio)
        .await;
    let res = s
        .app
        .post_json("/api/callin/screen", &s.sam, &json!({"call_sid": "CA02"}))
        .await;
    assert_eq!(res.status(), 502);
    let st = status(&s.app).await;
    assert_eq!(st["size"], 2, "back in the list: {st}");
    assert!(st["screening"].as_array().unwrap().is_empty());
    assert_eq!(
        s.twilio.received_requests().await.unwrap().len(),
        1,
        "a dequeue is never retried"
    );
}

#[tokio::test]
async fn screening_is_for_screeners_hosts_and_admins() {
    let s = show(&[]).await;
    s.app.add_user("lis", Role::Caller, PASSWORD).await;
    let lis = s.app.login("lis", PASSWORD).await.unwrap();
    let call = json!({"call_sid": "CA01"});
    for path in [
        "/api/callin/screen",
        "/api/callin/notes",
        "/api/callin/ready",
        "/api/callin/drop",
        "/api/callin/ban",
    ] {
        let res = s.app.post_json(path, &lis, &call).await;
        assert_eq!(res.status(), 403, "{path} as a caller");
    }
    let res = s.app.post_json("/api/callin/hangup", &s.sam, &call).await;
    assert_eq!(res.status(), 403, "screeners do not hang up the air");
    // A screener URL naming someone who may not screen sends the caller back in line.
    let doc = twiml(
        &s.app,
        "/voice/screen?screener=lis",
        &listener("CA01", "+14155550101"),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    assert!(
        posts_to(&s.twilio, &format!("Queues/{QU}/Members/CA01.json"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn notes_are_bounded_and_messages_reach_every_console() {
    let s = show(&[]).await;
    let long = json!({"call_sid": "CA01", "name": "x".repeat(101)});
    assert_eq!(
        s.app
            .post_json("/api/callin/notes", &s.sam, &long)
            .await
            .status(),
        400
    );
    let notes = json!({"call_sid": "CA01", "name": "<b>Ann</b>", "topic": "=1+1"});
    ok(s.app.post_json("/api/callin/notes", &s.sam, &notes).await).await;
    let st = status(&s.app).await;
    assert_eq!(
        st["members"][0]["caller"]["notes"]["name"], "<b>Ann</b>",
        "stored as text"
    );
    let gone = json!({"call_sid": "CA99", "name": "x"});
    assert_eq!(
        s.app
            .post_json("/api/callin/notes", &s.sam, &gone)
            .await
            .status(),
        404
    );

    let msg = json!({"text": "Line 2 is great, take them next"});
    ok(s.app.post_json("/api/callin/messages", &s.sam, &msg).await).await;
    let st = status(&s.app).await;
    assert_eq!(st["messages"][0]["from"], "sam");
    assert_eq!(st["messages"][0]["role"], "screener");
    assert_eq!(st["messages"][0]["text"], "Line 2 is great, take them next");
    let empty = json!({"text": "   "});
    assert_eq!(
        s.app
            .post_json("/api/callin/messages", &s.sam, &empty)
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn returning_callers_are_flagged_while_the_greeting_plays() {
    let s = show(&[]).await;
    let notes = json!({"call_sid": "CA01", "name": "Ann"});
    ok(s.app.post_json("/api/callin/notes", &s.sam, &notes).await).await;
    let hangup = with(
        listener("CA01", "+14155550101"),
        &[("QueueResult", "hangup")],
    );
    twiml(&s.app, "/voice/left", &hangup).await;
    twiml(&s.app, "/voice/incoming", &listener("CA05", "+14155550101")).await;
    let st = status(&s.app).await;
    let member = st["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["call_sid"] == "CA05")
        .unwrap()
        .clone();
    let history = &member["caller"]["history"];
    assert_eq!(history["calls"], 1, "{member}");
    assert_eq!(history["name"], "Ann");
    assert_eq!(history["banned"], false);
}

#[tokio::test]
async fn the_one_poll_covers_both_queues_and_recalls_notes_after_a_restart() {
    // Before the restart: CA07 was screened and has notes.
    let before = spawn_app_with(&[]).await;
    twiml(
        &before,
        "/voice/incoming",
        &listener("CA07", "+14155550107"),
    )
    .await;
    let store = &before.state.store;
    let notes = piphone::domain::CallerNotes {
        name: "Cy".into(),
        topic: "<img src=x onerror=alert(1)>".into(),
        ..Default::default()
    };
    store
        .save_notes("CA07", "+14155550107", &notes, "sam")
        .await
        .unwrap();

    let twilio = MockServer::start().await;
    let queue = |sid: &str, name: &str| json!({"sid": sid, "friendly_name": name, "current_size": 1, "average_wait_time": 4, "max_size": 100});
    let queues = [
        (QU, "radio-callin-queue", "CA01"),
        (
            "QU0123456789abcdef0123456789abcde5",
            "radio-callin-queue-screened",
            "CA07",
        ),
    ];
    Mock::given(method("GET"))
        .and(path(api("Queues.json")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queues": queues.iter().map(|(sid, name, _)| queue(sid, name)).collect::<Vec<_>>(),
            "next_page_uri": null,
        })))
        .mount(&twilio)
        .await;
    for (sid, name, member) in queues {
        Mock::given(method("GET"))
            .and(path(api(&format!("Queues/{sid}.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(queue(sid, name)))
            .mount(&twilio)
            .await;
        Mock::given(method("GET"))
            .and(path(api(&format!("Queues/{sid}/Members.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "queue_members": [{"call_sid": member, "queue_sid": sid, "position": 1, "wait_time": 30}],
                "next_page_uri": null,
            })))
            .mount(&twilio)
            .await;
        Mock::given(method("GET"))
            .and(path(api(&format!("Calls/{member}.json"))))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sid": member, "from": format!("+141555501{}", &member[2..]), "status": "queued",
            })))
            .mount(&twilio)
            .await;
    }
    let app = before
        .restart_with(&[
            ("PIPHONE_TWILIO_API_URL", &twilio.uri()),
            ("PIPHONE_QUEUE_POLL_SECS", "0.2"),
        ])
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let st = loop {
        let st = status(&app).await;
        if st["screened"]["members"][0]["caller"]["notes"]["name"] == "Cy" && st["size"] == 1 {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw both queues: {st}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(st["members"][0]["call_sid"], "CA01");
    assert_eq!(st["screened"]["members"][0]["from"], "+14155550107");
    assert_eq!(st["screened"]["average_wait_seconds"], 4);
    assert_eq!(
        st["screened"]["members"][0]["caller"]["notes"]["topic"],
        "<img src=x onerror=alert(1)>"
    );
    // Later polls fetch each queue by its SID: no more listings, and each number was looked up once.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let requests = twilio.received_requests().await.unwrap();
    let count = |p: &str| requests.iter().filter(|r| r.url.path() == api(p)).count();
    assert_eq!(count("Queues.json"), 1, "one listing to learn both SIDs");
    assert_eq!(count("Calls/CA07.json"), 1);
}

const DJ_CALL: &str = "CA0123456789abcdef0123456789abcdef";
const QUS: &str = "QU0123456789abcdef0123456789abcde5";

#[tokio::test]
async fn a_host_takes_a_particular_screened_caller_through_a_queue_of_their_own() {
    let s = show(&[("PIPHONE_SCREENED_ONLY", "true")]).await;
    for sid in ["CA01", "CA02", DJ_CALL] {
        let member = json!({"call_sid": sid, "queue_sid": QUS, "position": 1, "wait_time": 3});
        let call = json!({"sid": sid, "status": "in-progress"});
        for (rest, body) in [
            (format!("Queues/{QUS}/Members/{sid}.json"), member),
            (format!("Calls/{sid}.json"), call),
        ] {
            Mock::given(method("POST"))
                .and(path(api(&rest)))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .mount(&s.twilio)
                .await;
        }
    }
    // Both callers screened: CA01 first, then CA02.
    for (sid, from) in [("CA01", "+14155550101"), ("CA02", "+14155550102")] {
        let call = json!({"call_sid": sid});
        ok(s.app.post_json("/api/callin/screen", &s.sam, &call).await).await;
        twiml(&s.app, "/voice/screen?screener=sam", &listener(sid, from)).await;
        ok(s.app.post_json("/api/callin/ready", &s.sam, &call).await).await;
        twiml(&s.app, "/voice/screened", &listener(sid, from)).await;
        let hold = with(listener(sid, from), &[("QueueSid", QUS)]);
        twiml(&s.app, "/voice/wait?line=screened", &hold).await;
    }
    let dj = s.app.login("dj", PASSWORD).await.unwrap();
    let take = json!({"call_sid": "CA02"});
    let res = s.app.post_json("/api/callin/take", &dj, &take).await;
    assert_eq!(res.status(), 409, "the host's line must be open");
    assert_eq!(
        s.app
            .post_json("/api/callin/take", &s.sam, &take)
            .await
            .status(),
        403
    );

    let mut line = client_call("dj", "");
    line.push(("Queue".into(), "radio-callin-queue".into()));
    let doc = twiml(&s.app, "/voice", &line).await;
    assert_eq!(
        text(&doc.children[0].children[0]),
        "radio-callin-queue-screened"
    );
    ok(s.app.post_json("/api/callin/take", &dj, &take).await).await;
    let dequeues = posts_to(&s.twilio, &format!("Queues/{QUS}/Members/CA02.json")).await;
    assert_eq!(dequeues.len(), 1, "that caller, from the screened queue");
    assert_eq!(
        dequeues[0]["Url"],
        format!("{}/voice/picked?host=dj", s.app.url)
    );
    let st = status(&s.app).await;
    assert_eq!(st["picked"][0]["call_sid"], "CA02", "{st}");
    assert_eq!(st["screened"]["size"], 1);

    let dj_id = s
        .app
        .state
        .store
        .user_by_name("dj")
        .await
        .unwrap()
        .unwrap()
        .id;
    let own = format!("radio-callin-queue-h{dj_id}");
    let doc = twiml(
        &s.app,
        "/voice/picked?host=dj",
        &listener("CA02", "+14155550102"),
    )
    .await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    let enqueue = &doc.children[1];
    assert_eq!(text(enqueue), own);
    assert_eq!(
        enqueue.attr("waitUrl"),
        Some("/voice/wait?line=pick&host=dj")
    );
    assert_eq!(
        enqueue.attr("action"),
        Some("/voice/left?line=pick&host=dj")
    );
    // In the host's queue: the first hold round moves the host's line on.
    let doc = twiml(
        &s.app,
        "/voice/wait?line=pick&host=dj",
        &listener("CA02", "+14155550102"),
    )
    .await;
    assert_eq!(verbs(&doc), ["Play"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let redirect = loop {
        if let Some(r) = posts_to(&s.twilio, &format!("Calls/{DJ_CALL}.json"))
            .await
            .pop()
        {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the host's line was never redirected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(redirect["Url"], format!("{}/voice/next", s.app.url));
    twiml(
        &s.app,
        "/voice/wait?line=pick&host=dj",
        &listener("CA02", "+14155550102"),
    )
    .await;
    assert_eq!(
        posts_to(&s.twilio, &format!("Calls/{DJ_CALL}.json"))
            .await
            .len(),
        1,
        "once"
    );
    let doc = twiml(&s.app, "/voice/next", &line).await;
    assert_eq!(
        text(&doc.children[0].children[0]),
        own,
        "the host's line dials their own queue"
    );
    let on_air = with(
        listener("CA02", "+14155550102"),
        &[("DequeingCallSid", DJ_CALL)],
    );
    twiml(&s.app, "/voice/on-air", &on_air).await;
    let st = status(&s.app).await;
    assert_eq!(st["on_air"][0]["call_sid"], "CA02");
    assert!(st["picked"].as_array().unwrap().is_empty());
    let doc = twiml(&s.app, "/voice/next", &line).await;
    assert_eq!(
        text(&doc.children[0].children[0]),
        "radio-callin-queue-screened",
        "then the front again"
    );
}

#[tokio::test]
async fn a_chosen_caller_whose_host_left_goes_back_to_the_screened_queue() {
    let s = show(&[]).await;
    twiml(
        &s.app,
        "/voice/picked?host=dj",
        &listener("CA02", "+14155550102"),
    )
    .await;
    let doc = twiml(
        &s.app,
        "/voice/wait?line=pick&host=dj",
        &listener("CA02", "+14155550102"),
    )
    .await;
    assert_eq!(verbs(&doc), ["Leave"], "dj has no line open");
    let left = with(
        listener("CA02", "+14155550102"),
        &[("QueueResult", "leave")],
    );
    let doc = twiml(&s.app, "/voice/left?line=pick&host=dj", &left).await;
    assert_eq!(verbs(&doc), ["Say", "Enqueue"]);
    assert_eq!(text(&doc.children[1]), "radio-callin-queue-screened");
    let st = status(&s.app).await;
    assert_eq!(st["screened"]["members"][0]["call_sid"], "CA02", "{st}");
    assert!(st["picked"].as_array().unwrap().is_empty());
    // A host who may not take calls cannot be the target either.
    let doc = twiml(
        &s.app,
        "/voice/picked?host=sam",
        &listener("CA01", "+14155550101"),
    )
    .await;
    assert_eq!(text(&doc.children[1]), "radio-callin-queue-screened");
}
