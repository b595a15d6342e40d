//! `spawn_app()` and typed helpers, so tests read as sentences.

use std::collections::BTreeMap;

use piphone::auth::password;
use piphone::domain::Role;
use piphone::store::NewUser;
use piphone::{AppState, Application, Settings};
use reqwest::redirect::Policy;
use twilio::signature::{Algorithm, compute_signature};

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const AUTH_TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const API_KEY_SID: &str = "SK0123456789abcdef0123456789abcdef";
pub const API_KEY_SECRET: &str = "test-api-key-secret-0123456789ab";
pub const APP_SID: &str = "AP0123456789abcdef0123456789abcdef";
pub const CALLER_ID: &str = "+14155550100";

pub struct TestApp {
    pub url: String,
    pub state: AppState,
    pub client: reqwest::Client,
    dir: std::sync::Arc<tempfile::TempDir>,
}

/// Settings for a piphone in sandbox mode (no Twilio credentials) on port 0 with its data in `dir`.
pub fn sandbox_settings(dir: &std::path::Path, tls: bool) -> Settings {
    let env: BTreeMap<String, String> = [
        ("PIPHONE_LISTEN", "127.0.0.1:0"),
        ("PIPHONE_DATA_DIR", dir.to_str().unwrap()),
        ("PIPHONE_TLS", if tls { "on" } else { "off" }),
        ("PIPHONE_ADMIN_PASSWORD", ADMIN_PASSWORD),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Settings::from_sources(&env).expect("settings").0
}

/// A piphone in real mode with made-up Twilio credentials, plain HTTP, port 0, a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_until(extra, std::future::pending()).await
}

/// Like [`spawn_app_with`], serving until `shutdown` completes.
pub async fn spawn_app_until(
    extra: &[(&str, &str)],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    let dir = std::sync::Arc::new(tempfile::tempdir().expect("temp dir"));
    spawn_app_in(dir, extra, shutdown).await
}

/// A piphone on an existing data directory (another app's: a restart).
async fn spawn_app_in(
    dir: std::sync::Arc<tempfile::TempDir>,
    extra: &[(&str, &str)],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> TestApp {
    let mut env: BTreeMap<String, String> = [
        ("PIPHONE_LISTEN", "127.0.0.1:0"),
        ("PIPHONE_DATA_DIR", dir.path().to_str().unwrap()),
        ("PIPHONE_TLS", "off"),
        ("PIPHONE_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("PIPHONE_TWILIO_ACCOUNT_SID", ACCOUNT_SID),
        ("PIPHONE_TWILIO_AUTH_TOKEN", AUTH_TOKEN),
        ("PIPHONE_TWILIO_API_KEY_SID", API_KEY_SID),
        ("PIPHONE_TWILIO_API_KEY_SECRET", API_KEY_SECRET),
        ("PIPHONE_TWILIO_APP_SID", APP_SID),
        ("PIPHONE_CALLER_ID", CALLER_ID),
        ("PIPHONE_DIAL_COUNTRIES", "US,GB"),
        // Never api.twilio.com from tests: a closed local port unless a test points it at a mock.
        ("PIPHONE_TWILIO_API_URL", "http://127.0.0.1:9"),
        // Test calls never end (no Twilio to send the Dial action): limits are tested where they are set low.
        ("PIPHONE_MAX_CONCURRENT_CALLS", "100000"),
        ("PIPHONE_MAX_CALLS_PER_DAY", "100000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    let (settings, _) = Settings::from_sources(&env).expect("settings");
    let app = Application::build(settings).await.expect("build app");
    let url = app.local_url.as_str().trim_end_matches('/').to_owned();
    let state = app.state.clone();
    tokio::spawn(app.run_until(shutdown));
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    TestApp {
        url,
        state,
        client,
        dir,
    }
}

impl TestApp {
    /// A second piphone on this one's data directory, as after a restart (this one keeps serving).
    pub async fn restart_with(&self, extra: &[(&str, &str)]) -> TestApp {
        spawn_app_in(self.dir.clone(), extra, std::future::pending()).await
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    pub async fn add_user(&self, name: &str, role: Role, pw: &str) {
        let hash = password::hash(pw.to_owned()).await.unwrap();
        self.state
            .store
            .create_user(NewUser {
                username: name,
                password_hash: &hash,
                role,
            })
            .await
            .unwrap();
    }

    /// Logs in and returns the session cookie (`name=value`), or `None` if refused.
    pub async fn login(&self, user: &str, pw: &str) -> Option<String> {
        let res = self
            .client
            .post(self.at("/login"))
            .form(&[("username", user), ("password", pw)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "login answers with a redirect");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        if location != "/" {
            return None;
        }
        let cookie = res.headers()["set-cookie"].to_str().unwrap();
        Some(cookie.split(';').next().unwrap().to_owned())
    }

    pub async fn get_with(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.at(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// POSTs JSON with a session cookie, as the console does.
    pub async fn post_json(
        &self,
        path: &str,
        cookie: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.at(path))
            .header("cookie", cookie)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a webhook signed as Twilio would sign it for this app's public URL.
    pub async fn post_signed(&self, path: &str, params: &[(&str, &str)]) -> reqwest::Response {
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let url = self.at(path);
        let sig = compute_signature(AUTH_TOKEN, &url, &owned, Algorithm::HmacSha1);
        self.post_webhook(path, params, Some(&sig)).await
    }

    pub async fn post_webhook(
        &self,
        path: &str,
        params: &[(&str, &str)],
        sig: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.at(path)).form(params);
        if let Some(s) = sig {
            req = req.header("X-Twilio-Signature", s);
        }
        req.send().await.unwrap()
    }
}

/// Twilio's form fields for a call placed by the browser of `identity` to `to`.
pub fn client_call(identity: &str, to: &str) -> Vec<(String, String)> {
    vec![
        ("AccountSid".into(), ACCOUNT_SID.into()),
        ("ApiVersion".into(), "2010-04-01".into()),
        ("ApplicationSid".into(), APP_SID.into()),
        (
            "CallSid".into(),
            "CA0123456789abcdef0123456789abcdef".into(),
        ),
        ("CallStatus".into(), "ringing".into()),
        ("Direction".into(), "inbound".into()),
        ("From".into(), format!("client:{identity}")),
        ("Caller".into(), format!("client:{identity}")),
        ("To".into(), to.into()),
    ]
}

pub fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
