//! Audio device preferences: `GET/PUT /api/me/audio`, one choice per user, and the `/settings` page.

use piphone::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, TestApp, spawn_app};

async fn get_prefs(app: &TestApp, cookie: &str) -> Value {
    let res = app.get_with("/api/me/audio", Some(cookie)).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn put_prefs(app: &TestApp, cookie: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app.client.put(app.at("/api/me/audio")).json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn each_user_keeps_their_own_devices() {
    let app = spawn_app().await;
    app.add_user("kiosk", Role::Caller, "kiosk-password-1")
        .await;
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    let kiosk = app.login("kiosk", "kiosk-password-1").await.unwrap();
    let nothing = json!({"input": null, "output": null});
    assert_eq!(
        get_prefs(&app, &admin).await,
        nothing,
        "browser defaults at first"
    );

    let desk = json!({
        "input": {"id": "a1b2", "label": "Desk Microphone"},
        "output": {"id": "c3d4", "label": "Desk Speakers"},
    });
    let (status, stored) = put_prefs(&app, Some(&admin), desk.clone()).await;
    assert_eq!((status, &stored), (200, &desk));
    assert_eq!(get_prefs(&app, &admin).await, desk);
    assert_eq!(
        get_prefs(&app, &kiosk).await,
        nothing,
        "another user's choice is theirs"
    );

    let usb = json!({"input": {"id": "", "label": "USB Audio"}, "output": null});
    assert_eq!(put_prefs(&app, Some(&kiosk), usb.clone()).await.0, 200);
    assert_eq!(get_prefs(&app, &kiosk).await, usb);
    assert_eq!(
        get_prefs(&app, &admin).await,
        desk,
        "unchanged by the other user"
    );

    let fresh_session = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    assert_eq!(
        get_prefs(&app, &fresh_session).await,
        desk,
        "kept across sessions"
    );
}

#[tokio::test]
async fn bad_preferences_are_refused_and_strangers_are_turned_away() {
    let app = spawn_app().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await.unwrap();
    for (case, body) in [
        (
            "label too long",
            json!({"input": {"id": "x", "label": "m".repeat(201)}}),
        ),
        (
            "id too long",
            json!({"output": {"id": "x".repeat(257), "label": "ok"}}),
        ),
        (
            "control characters",
            json!({"input": {"id": "x", "label": "a\nb"}}),
        ),
    ] {
        let (status, body) = put_prefs(&app, Some(&admin), body).await;
        assert_eq!(status, 400, "case {case}: {body}");
    }
    let (status, _) = put_prefs(&app, None, json!({"input": null})).await;
    assert_eq!(status, 401);
    assert_eq!(app.get_with("/api/me/audio", None).await.status(), 401);

    let page = app.get_with("/settings", None).await;
    assert_eq!(page.status(), 303, "the settings page wants a login");
    let page = app.get_with("/settings", Some(&admin)).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Microphone and speaker")
    );
}
