//! The kiosk: one-time login links (here), and the command relay between the command line and the kiosk page
//! ([`relay`]).

mod relay;

use piphone::auth::session;
use piphone::domain::Role;
use piphone::kiosk::login_link;
use piphone::store::KioskOptions;

use crate::helpers::{TestApp, spawn_app};

/// `GET /login/kiosk?token=…` without following the redirect: `(status, location, session cookie)`.
pub async fn open_link(app: &TestApp, token: &str) -> (u16, String, Option<String>) {
    let res = app
        .get_with(&format!("/login/kiosk?token={token}"), None)
        .await;
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (res.status().as_u16(), location, cookie)
}

pub async fn kiosk_user(app: &TestApp) -> piphone::store::User {
    login_link::ensure_kiosk_user(&app.state.store, "kiosk")
        .await
        .unwrap()
}

#[tokio::test]
async fn the_kiosk_user_is_created_once_as_a_caller() {
    let app = spawn_app().await;
    let first = kiosk_user(&app).await;
    let again = kiosk_user(&app).await;
    assert_eq!(first, again);
    assert_eq!(first.role, Role::Caller);
    app.state.store.set_disabled("kiosk", true).await.unwrap();
    let err = login_link::ensure_kiosk_user(&app.state.store, "kiosk")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("disabled"), "{err}");
}

#[tokio::test]
async fn a_login_link_opens_a_kiosk_session_once() {
    let app = spawn_app().await;
    let user = kiosk_user(&app).await;
    let options = KioskOptions { auto_answer: true };
    let token = login_link::mint(&app.state.store, &user, &options)
        .await
        .unwrap();

    let (status, location, cookie) = open_link(&app, &token).await;
    assert_eq!(status, 303);
    assert_eq!(location, "/?kiosk", "lands on the phone page in kiosk mode");
    let cookie = cookie.expect("a session cookie");
    let me: serde_json::Value = app
        .get_with("/api/me", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["identity"], "kiosk");
    let session_token = cookie.split_once('=').unwrap().1;
    assert_eq!(
        app.state
            .store
            .kiosk_options(&session::hash_token(session_token))
            .await
            .unwrap(),
        Some(options),
        "the session carries the kiosk's options"
    );

    let (status, location, cookie) = open_link(&app, &token).await;
    assert_eq!(
        (status, location.as_str(), cookie),
        (303, "/login?error=link", None),
        "a used link is refused"
    );
}

#[tokio::test]
async fn expired_wrong_and_disabled_links_are_refused_alike() {
    let app = spawn_app().await;
    let user = kiosk_user(&app).await;

    let (expired, hash) = session::new_token();
    app.state
        .store
        .create_login_link(&hash, user.id, -1, &KioskOptions::default())
        .await
        .unwrap();
    let for_disabled = login_link::mint(&app.state.store, &user, &KioskOptions::default())
        .await
        .unwrap();
    app.state.store.set_disabled("kiosk", true).await.unwrap();
    let (wrong, _) = session::new_token();

    for (case, token) in [
        ("expired", expired.as_str()),
        ("wrong", wrong.as_str()),
        ("empty", ""),
        ("user disabled", for_disabled.as_str()),
    ] {
        let (status, location, cookie) = open_link(&app, token).await;
        assert_eq!(status, 303, "case {case}");
        assert_eq!(location, "/login?error=link", "case {case}");
        assert!(cookie.is_none(), "case {case}: no session");
    }
}

#[tokio::test]
async fn an_ordinary_session_is_not_a_kiosk_session() {
    let app = spawn_app().await;
    let cookie = app
        .login("admin", crate::helpers::ADMIN_PASSWORD)
        .await
        .unwrap();
    let token = cookie.split_once('=').unwrap().1;
    assert_eq!(
        app.state
            .store
            .kiosk_options(&session::hash_token(token))
            .await
            .unwrap(),
        None
    );
}
