//! Secrets never reach logs, pages or error bodies: the real binary runs with distinctive secret values and
//! debug logging; everything it prints and every response body is searched for them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const AUTH_TOKEN: &str = "authtokenSECRET0123456789abcdef0";
const KEY_SECRET: &str = "apikeySECRETvalue0123456789abcde";
const ADMIN_PW: &str = "adminSECRETpassword";

fn envs(dir: &std::path::Path, port: u16) -> Vec<(String, String)> {
    [
        ("PIPHONE_LISTEN", format!("127.0.0.1:{port}")),
        ("PIPHONE_DATA_DIR", dir.display().to_string()),
        ("PIPHONE_TLS", "off".into()),
        ("PIPHONE_LOG", "debug".into()),
        ("PIPHONE_ADMIN_PASSWORD", ADMIN_PW.into()),
        (
            "PIPHONE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef".into(),
        ),
        ("PIPHONE_TWILIO_AUTH_TOKEN", AUTH_TOKEN.into()),
        (
            "PIPHONE_TWILIO_API_KEY_SID",
            "SK0123456789abcdef0123456789abcdef".into(),
        ),
        ("PIPHONE_TWILIO_API_KEY_SECRET", KEY_SECRET.into()),
        (
            "PIPHONE_TWILIO_APP_SID",
            "AP0123456789abcdef0123456789abcdef".into(),
        ),
        ("PIPHONE_CALLER_ID", "+14155550100".into()),
        ("PIPHONE_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn assert_clean(what: &str, text: &str) {
    for secret in [AUTH_TOKEN, KEY_SECRET, ADMIN_PW] {
        assert!(!text.contains(secret), "{what} contains a secret");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_pages_and_errors() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin = env!("CARGO_BIN_EXE_piphone");

    let check = Command::new(bin)
        .args(["config", "check"])
        .env_clear()
        .envs(envs(dir.path(), port))
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        printed.contains("twilio_auth_token"),
        "config check lists the setting: {printed}"
    );
    assert_clean("config check", &printed);

    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .envs(envs(dir.path(), port))
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut bodies = Vec::new();
    let bad = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    bodies.push(("bad login", bad.text().await.unwrap()));
    let good = client
        .post(format!("{base}/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PW)])
        .send()
        .await
        .unwrap();
    let cookie = good.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // One-time tokens travel in query strings (e.g. a kiosk login link): the log must not keep them.
    let res = client
        .get(format!("{base}/healthz?token=QUERYSECRET0123456789"))
        .send()
        .await
        .unwrap();
    bodies.push(("query token", res.text().await.unwrap()));
    for path in [
        "/",
        "/login",
        "/api/me",
        "/token",
        "/admin",
        "/api/admin/users",
        "/api/admin/refusals",
        "/nope",
        "/healthz",
    ] {
        let res = client
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        bodies.push((path, res.text().await.unwrap()));
    }
    let forged = client
        .post(format!("{base}/voice"))
        .header("X-Twilio-Signature", "forged")
        .form(&[("From", "client:admin"), ("To", "+14155552671")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    bodies.push(("forged webhook", forged.text().await.unwrap()));
    let bad_json = client
        .post(format!("{base}/api/admin/users"))
        .header("cookie", &cookie)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    bodies.push(("bad json", bad_json.text().await.unwrap()));

    child.kill().ok();
    child.wait().ok();
    for (what, body) in &bodies {
        assert_clean(what, body);
    }
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(logged.contains("piphone listening"), "the log was captured");
    assert_clean("server log", &logged);
    assert!(
        logged.contains("/healthz"),
        "requests are logged at debug level"
    );
    assert!(
        !logged.contains("QUERYSECRET"),
        "query strings stay out of the log"
    );
}
