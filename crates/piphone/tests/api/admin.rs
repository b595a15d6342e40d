//! Admin user management, refusal log and the per-user toll-fraud limits.

use piphone::domain::Role;
use serde_json::{Value, json};
use twilio::twiml::parse;

use crate::helpers::{ADMIN_PASSWORD, TestApp, client_call, pairs, spawn_app, spawn_app_with};

async fn post_json(app: &TestApp, path: &str, cookie: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.at(path))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn dials(app: &TestApp, identity: &str, call_sid: &str) -> bool {
    let mut params = client_call(identity, "+14155552671");
    params.retain(|(k, _)| k != "CallSid");
    params.push(("CallSid".into(), call_sid.into()));
    let res = app.post_signed("/voice", &pairs(&params)).await;
    let doc = parse(&res.text().await.unwrap()).unwrap();
    doc.children.iter().any(|c| c.name == "Dial")
}

#[tokio::test]
async fn admins_create_and_disable_users_others_cannot() {
    let app = spawn_app().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let res = post_json(
        &app,
        "/api/admin/users",
        &admin,
        json!({"username": "dj", "password": "dj-password", "role": "host"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let dup = post_json(
        &app,
        "/api/admin/users",
        &admin,
        json!({"username": "dj", "password": "dj-password", "role": "host"}),
    )
    .await;
    assert_eq!(dup.status(), 400);
    let bad = post_json(
        &app,
        "/api/admin/users",
        &admin,
        json!({"username": "<b>x</b>", "password": "long-enough", "role": "host"}),
    )
    .await;
    assert_eq!(bad.status(), 400);

    let dj = app.login("dj", "dj-password").await.unwrap();
    assert!(
        dials(&app, "dj", "CA00000000000000000000000000000001").await,
        "an active host dials"
    );
    assert_eq!(
        app.get_with("/api/admin/users", Some(&dj)).await.status(),
        403,
        "hosts are not admins"
    );
    assert_eq!(app.get_with("/api/admin/users", None).await.status(), 401);

    let res = post_json(
        &app,
        "/api/admin/users/dj",
        &admin,
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_with("/api/me", Some(&dj)).await.status(),
        401,
        "sessions ended"
    );
    assert!(
        !dials(&app, "dj", "CA00000000000000000000000000000002").await,
        "a disabled user's token dials nothing"
    );

    let list: Value = app
        .get_with("/api/admin/users", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let dj_row = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dj")
        .unwrap();
    assert_eq!(dj_row["disabled"], true);
    let me = post_json(
        &app,
        "/api/admin/users/admin",
        &admin,
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(me.status(), 400, "an admin cannot lock themselves out");
}

#[tokio::test]
async fn concurrent_and_daily_limits_refuse_and_are_logged() {
    let app = spawn_app_with(&[
        ("PIPHONE_MAX_CONCURRENT_CALLS", "1"),
        ("PIPHONE_MAX_CALLS_PER_DAY", "2"),
    ])
    .await;
    app.add_user("anna", Role::Caller, "anna-password").await;
    assert!(dials(&app, "anna", "CA00000000000000000000000000000001").await);
    assert!(
        !dials(&app, "anna", "CA00000000000000000000000000000002").await,
        "second live call refused"
    );
    let ended = app
        .post_signed(
            "/voice/dial-ended",
            &[
                ("CallSid", "CA00000000000000000000000000000001"),
                ("DialCallStatus", "completed"),
            ],
        )
        .await;
    assert_eq!(ended.status(), 200);
    assert!(
        dials(&app, "anna", "CA00000000000000000000000000000003").await,
        "slot freed when the call ended"
    );
    app.post_signed(
        "/voice/dial-ended",
        &[("CallSid", "CA00000000000000000000000000000003")],
    )
    .await;
    assert!(
        !dials(&app, "anna", "CA00000000000000000000000000000004").await,
        "daily limit of 2 reached"
    );

    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let body: Value = app
        .get_with("/api/admin/refusals", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    let reasons: Vec<&str> = body["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["daily_limit", "concurrent_limit"], "newest first");
    assert_eq!(body["refusals"][0]["username"], "anna");
    assert_eq!(body["refusals"][0]["number"], "+14155552671");
}

#[tokio::test]
async fn policy_refusals_are_logged_with_the_number_as_typed() {
    let app = spawn_app().await;
    let res = app
        .post_signed("/voice", &pairs(&client_call("admin", "+1 900 555 0199")))
        .await;
    assert_eq!(res.status(), 200);
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let body: Value = app
        .get_with("/api/admin/refusals", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["refusals"][0]["reason"], "high_cost_type");
    assert_eq!(body["refusals"][0]["number"], "+1 900 555 0199");
}

#[tokio::test]
async fn a_burst_of_simultaneous_calls_cannot_exceed_the_concurrent_limit() {
    let app = spawn_app_with(&[
        ("PIPHONE_MAX_CONCURRENT_CALLS", "1"),
        ("PIPHONE_MAX_CALLS_PER_DAY", "1000"),
    ])
    .await;
    app.add_user("burst", Role::Caller, "burst-password").await;
    let sids: Vec<String> = (0..20).map(|i| format!("CA{i:032}")).collect();
    let results =
        futures_util::future::join_all(sids.iter().map(|sid| dials(&app, "burst", sid))).await;
    let dialled = results.iter().filter(|d| **d).count();
    assert_eq!(
        dialled, 1,
        "20 simultaneous calls with a limit of 1 live call: {dialled} dialled"
    );
}

#[tokio::test]
async fn refused_request_bodies_get_a_json_error_that_says_what_is_wrong() {
    let app = spawn_app().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let send = |content_type: &'static str, body: &'static str| {
        app.client
            .post(app.at("/api/admin/users"))
            .header("cookie", &admin)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases = [
        ("application/json", "{\"username\": ", 400, "JSON"),
        (
            "application/json",
            "{\"username\": \"dj\", \"role\": \"host\"}",
            422,
            "password",
        ),
        ("text/plain", "{}", 415, "Content-Type"),
    ];
    for (content_type, body, status, mentions) in cases {
        let res = send(content_type, body).await.unwrap();
        assert_eq!(res.status(), status, "{content_type} {body}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let error: Value = res.json().await.unwrap();
        let message = error["error"].as_str().unwrap_or_default();
        assert!(message.contains(mentions), "{body}: {message}");
    }
    let users: Value = app
        .client
        .get(app.at("/api/admin/users"))
        .header("cookie", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !users.to_string().contains("\"dj\""),
        "nothing was created: {users}"
    );
}
