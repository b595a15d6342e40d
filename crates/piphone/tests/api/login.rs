use piphone::domain::Role;

use crate::helpers::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn healthz_is_public_and_names_the_mode() {
    let app = spawn_app().await;
    let res = app.get_with("/healthz", None).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["mode"], "twilio");
}

#[tokio::test]
async fn login_then_logout() {
    let app = spawn_app().await;
    let cookie = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .expect("admin logs in");
    let me: serde_json::Value = app
        .get_with("/api/me", Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["identity"], "admin");
    assert_eq!(me["role"], "admin");

    let res = app
        .client
        .post(app.at("/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        app.get_with("/api/me", Some(&cookie)).await.status(),
        401,
        "session ended"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let wrong = app
        .client
        .post(app.at("/login"))
        .form(&[("username", "admin"), ("password", "nope-nope")])
        .send()
        .await
        .unwrap();
    let unknown = app
        .client
        .post(app.at("/login"))
        .form(&[("username", "nobody"), ("password", "nope-nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), unknown.status());
    assert_eq!(wrong.headers()["location"], unknown.headers()["location"]);
    assert!(wrong.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn logins_are_rate_limited() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert!(app.login("admin", "wrong-password").await.is_none());
    }
    // Even the right password waits now.
    let res = app
        .client
        .post(app.at("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/login?error=rate");
}

#[tokio::test]
async fn each_login_gets_a_new_session_and_disabling_ends_them() {
    let app = spawn_app().await;
    app.add_user("dj", Role::Host, "dj-password").await;
    let a = app.login("dj", "dj-password").await.unwrap();
    let b = app.login("dj", "dj-password").await.unwrap();
    assert_ne!(a, b);
    app.state.store.set_disabled("dj", true).await.unwrap();
    assert_eq!(app.get_with("/api/me", Some(&a)).await.status(), 401);
    assert_eq!(app.get_with("/api/me", Some(&b)).await.status(), 401);
    assert!(
        app.login("dj", "dj-password").await.is_none(),
        "disabled users cannot log in"
    );
}

#[tokio::test]
async fn pages_redirect_and_json_answers_401_without_a_session() {
    let app = spawn_app().await;
    let page = app.get_with("/", None).await;
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/login");
    for path in ["/api/me", "/token", "/api/check-number?number=1"] {
        assert_eq!(app.get_with(path, None).await.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.at("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = app
        .client
        .post(app.at("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn security_headers_are_set() {
    let app = spawn_app().await;
    let res = app.get_with("/healthz", None).await;
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(
        res.headers()["permissions-policy"]
            .to_str()
            .unwrap()
            .split(',')
            .next(),
        Some("microphone=(self)")
    );
    assert!(res.headers().contains_key("referrer-policy"));
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(
        !res.headers().contains_key("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
    // Answers made by the layers themselves carry them as well: an oversized body's 413.
    let res = app
        .client
        .post(app.at("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a".repeat(300 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.headers().contains_key("content-security-policy"));
}

#[tokio::test]
async fn tls_by_default_with_hsts_and_secure_cookies() {
    let app = crate::helpers::spawn_app_with(&[("PIPHONE_TLS", "on")]).await;
    assert!(app.url.starts_with("https://"), "{}", app.url);
    let client = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = client.get(app.at("/healthz")).send().await.unwrap();
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let login = client
        .post(app.at("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("; Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}
