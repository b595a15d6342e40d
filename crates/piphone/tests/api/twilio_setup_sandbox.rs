//! Issue 16's acceptance against the sandbox, every part a real process: `piphone sandbox serve` plays the
//! Twilio account, `piphone twilio setup` connects piphone to it, and `piphone serve` with only the written
//! settings takes a simulated call-in and a browser call; `piphone doctor` passes, then fails with the fix once
//! the TwiML App's Voice URL is changed behind its back; `piphone twilio teardown` removes what setup created.
//! No command prints the auth token or the created key's secret.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::process::{self, Running, free_port, login, wait_healthy};

/// The piphone binary with a clean environment (`PATH` and `env` only) and no standard input.
fn piphone(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_piphone"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    cmd
}

/// Everything the commands of the test printed, to be searched for secrets at the end.
#[derive(Default)]
struct Transcript {
    texts: Vec<String>,
    logs: Vec<PathBuf>,
}

impl Transcript {
    /// Runs `piphone <args>` to its end; returns its exit code and standard output + error.
    async fn run(&mut self, args: &[&str], env: &[(&str, String)]) -> (i32, String) {
        let (code, text) = process::finish(piphone(args, env)).await;
        self.texts.push(text.clone());
        (code, text)
    }

    /// Starts a long-running `piphone <args>` whose standard output and error go to `<log>` (read at the end).
    fn start(&mut self, args: &[&str], env: &[(&str, String)], log: PathBuf) -> Running {
        let file = File::create(&log).unwrap();
        let child = piphone(args, env)
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("start piphone");
        self.logs.push(log);
        Running(child)
    }

    /// No output of any command contains one of `secrets`.
    fn assert_free_of(&self, secrets: &[&str]) {
        let logs = self
            .logs
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default());
        for text in self.texts.iter().cloned().chain(logs) {
            for secret in secrets {
                assert!(!text.contains(secret), "a secret was printed: {text}");
            }
        }
    }
}

/// The URL `piphone sandbox serve` announces as the first line of its log.
async fn sandbox_url(log: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(url) = text
            .lines()
            .find_map(|l| l.strip_prefix("sandbox listening on "))
        {
            return url.trim().trim_end_matches('/').to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox did not start: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls the sandbox's call list (control API) until `done` holds for a call; returns that call.
async fn wait_for_call(
    client: &reqwest::Client,
    sandbox: &str,
    creds: &sandbox::Credentials,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let calls = process::json(
            client
                .get(format!("{sandbox}/sandbox/calls"))
                .basic_auth(&creds.account_sid, Some(&creds.auth_token)),
        )
        .await;
        if let Some(call) = calls["calls"]
            .as_array()
            .and_then(|c| c.iter().find(|c| done(c)))
        {
            return call.clone();
        }
        assert!(Instant::now() < deadline, "no call {what}: {calls}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn events<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"]
        .as_array()
        .map(|e| e.iter().filter(|e| e["kind"] == kind).collect())
        .unwrap_or_default()
}

/// A top-level string of the settings file.
fn setting(file: &toml::Table, key: &str) -> String {
    file.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{key} missing from the settings file: {file}"))
        .to_owned()
}

/// A PStream 1.6 connection to the sandbox's `/signal`, trusting exactly the sandbox's certificate.
struct Signal(
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl Signal {
    async fn open(sandbox: &str, sandbox_dir: &Path) -> Signal {
        let cert =
            piphone::tls::first_certificate(&sandbox_dir.join("tls").join("cert.pem")).unwrap();
        let config = piphone::cli::kiosk::pin::client_config(cert).unwrap();
        let url = format!("{}/signal", sandbox.replacen("https://", "wss://", 1));
        let connector = tokio_tungstenite::Connector::Rustls(Arc::new(config));
        let (ws, _) =
            tokio_tungstenite::connect_async_tls_with_config(url, None, false, Some(connector))
                .await
                .expect("the sandbox's /signal over wss");
        Signal(ws)
    }

    async fn send(&mut self, kind: &str, payload: Value) {
        let frame = json!({ "type": kind, "version": "1.6", "payload": payload }).to_string();
        self.0.send(Message::Text(frame.into())).await.unwrap();
    }

    /// The next frame that is not a heartbeat must be `kind`; returns its payload.
    async fn expect(&mut self, kind: &str) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), self.0.next())
                .await
                .expect("a signaling frame within 10 s")
                .unwrap()
                .unwrap();
            let Message::Text(text) = msg else { continue };
            if text.trim().is_empty() {
                continue;
            }
            let frame: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(frame["type"], kind, "expected a {kind} frame, got {frame}");
            return frame["payload"].clone();
        }
    }
}

/// A Chromium-like offer with one audio m-line (as the sandbox's own gateway tests send).
const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\na=fingerprint:sha-256 \
00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n\
a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n";

/// The Voice URL the TwiML App gets behind piphone's back.
const ELSEWHERE: &str = "https://elsewhere.example/voice";

/// The number the browser dials: a real-looking US number (outside sandbox mode `+1 555` is refused).
const DIALLED: &str = "+14155552671";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_against_the_sandbox_gives_a_working_piphone_doctor_and_teardown() {
    piphone::tls::install_crypto_provider();
    let tmp = tempfile::tempdir().unwrap();
    let sandbox_dir = tmp.path().join("sandbox");
    let data_dir = tmp.path().join("data");
    let config = tmp.path().join("piphone.toml");
    std::fs::create_dir_all(&sandbox_dir).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let public = format!("https://{listen}");
    let client = process::client();
    let mut out = Transcript::default();

    // 1. The sandbox, webhooks signed for and delivered to piphone's address.
    let sandbox_log = tmp.path().join("sandbox.log");
    let _sandbox = out.start(
        &[
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--webhook-base",
            &public,
        ],
        &[("PIPHONE_DATA_DIR", sandbox_dir.display().to_string())],
        sandbox_log.clone(),
    );
    let sandbox = sandbox_url(&sandbox_log).await;
    let creds = sandbox::Credentials::load(&sandbox_dir)
        .unwrap()
        .expect("the sandbox wrote sandbox.json");

    // 2. `piphone twilio setup` with Twilio's variable names.
    let env = vec![
        ("PIPHONE_CONFIG", config.display().to_string()),
        ("PIPHONE_DATA_DIR", data_dir.display().to_string()),
        ("PIPHONE_TWILIO_API_URL", sandbox.clone()),
        ("PIPHONE_PUBLIC_URL", public.clone()),
    ];
    let mut setup_env = env.clone();
    setup_env.push(("TWILIO_ACCOUNT_SID", creds.account_sid.clone()));
    setup_env.push(("TWILIO_AUTH_TOKEN", creds.auth_token.clone()));
    // A dry run first: the plan, and not a single write (no settings file, no key, no app).
    let account = format!("{sandbox}/2010-04-01/Accounts/{}", creds.account_sid);
    // The account's Keys, Applications and IncomingPhoneNumbers lists (REST, with the auth token).
    let resources = || async {
        let mut lists = Vec::new();
        for list in ["Keys", "Applications", "IncomingPhoneNumbers"] {
            let request = client
                .get(format!("{account}/{list}.json"))
                .basic_auth(&creds.account_sid, Some(&creds.auth_token));
            lists.push(process::json(request).await);
        }
        lists
    };
    let before = resources().await;
    let (code, text) = out.run(&["twilio", "setup", "--dry-run"], &setup_env).await;
    assert_eq!(code, 0, "dry run failed: {text}");
    assert!(text.contains("Dry run: nothing was written"), "{text}");
    assert!(
        !config.exists() && !data_dir.exists(),
        "a dry run wrote files"
    );
    assert_eq!(resources().await, before, "a dry run changed the account");

    let (code, text) = out.run(&["twilio", "setup"], &setup_env).await;
    assert_eq!(code, 0, "setup failed: {text}");
    let mode = std::fs::metadata(&config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the settings file's mode");
    let written = std::fs::read_to_string(&config).unwrap();
    let file: toml::Table = written.parse().unwrap();
    assert_eq!(setting(&file, "twilio_account_sid"), creds.account_sid);
    assert_eq!(setting(&file, "twilio_auth_token"), creds.auth_token);
    let key_sid = setting(&file, "twilio_api_key_sid");
    let key_secret = setting(&file, "twilio_api_key_secret");
    let app_sid = setting(&file, "twilio_app_sid");
    assert!(
        key_sid.starts_with("SK") && app_sid.starts_with("AP"),
        "{written}"
    );

    let (code, text) = out.run(&["twilio", "setup"], &setup_env).await;
    assert_eq!(code, 0, "second setup failed: {text}");
    assert!(text.contains("Nothing to change"), "{text}");

    // 3. `piphone serve` with the written settings only.
    let mut serve_env = env.clone();
    serve_env.push(("PIPHONE_LISTEN", listen.clone()));
    serve_env.push(("PIPHONE_ADMIN_PASSWORD", process::ADMIN_PASSWORD.into()));
    let _piphone = out.start(&["serve"], &serve_env, tmp.path().join("serve.log"));
    wait_healthy(&client, &public).await;
    let cookie = login(&client, &public).await;

    // A simulated call-in: the number's webhook, the signature with the account's token, the poller with the key.
    let placed = process::json(
        client
            .post(format!("{sandbox}/sandbox/call-in"))
            .basic_auth(&creds.account_sid, Some(&creds.auth_token))
            .json(&json!({ "from": "+15551230001" })),
    )
    .await;
    let caller = placed["calls"][0]["call_sid"]
        .as_str()
        .unwrap_or_else(|| panic!("no call placed: {placed}"))
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = process::json(
            client
                .get(format!("{public}/queue-status"))
                .header("cookie", &cookie),
        )
        .await;
        let members = status["members"].as_array().cloned().unwrap_or_default();
        let shown = members.iter().any(|m| m["call_sid"] == caller.as_str());
        // `updated_at`: a reconcile poll (REST, with the created key) succeeded.
        let polled = status["updated_at"].is_string() && status["stale"] == false;
        if shown && polled {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the caller {caller} never showed in /queue-status, confirmed by a poll: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A browser call: the token signed with the created key, the TwiML App's Voice URL, then the dial.
    let token = process::json(
        client
            .get(format!("{public}/token"))
            .header("cookie", &cookie),
    )
    .await;
    let token = token["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {token}"))
        .to_owned();
    let mut ws = Signal::open(&sandbox, &sandbox_dir).await;
    ws.send(
        "listen",
        json!({ "token": token, "browserinfo": {}, "reconnectTimeout": 0 }),
    )
    .await;
    ws.expect("connected").await;
    let params = format!("To={}", DIALLED.replace('+', "%2B"));
    ws.send(
        "invite",
        json!({ "callsid": "TJSsetup", "sdp": OFFER, "twilio": { "params": params } }),
    )
    .await;
    let voice_url = format!("{public}/voice");
    let call = wait_for_call(&client, &sandbox, &creds, "that dialled", |c| {
        events(c, "dial").iter().any(|e| e["number"] == DIALLED)
    })
    .await;
    let webhooks = events(&call, "webhook");
    assert!(
        webhooks
            .iter()
            .any(|w| w["url"] == voice_url.as_str() && w["status"] == 200),
        "the Voice URL was not requested with success: {call}"
    );

    // 4. doctor passes, then fails with the fix once the app's Voice URL is changed behind its back.
    let (code, text) = out.run(&["doctor"], &serve_env).await;
    assert_eq!(code, 0, "doctor failed: {text}");
    for topic in ["twilio api key", "twiml app", "number webhook"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("OK") && l.contains(topic)),
            "no OK line for {topic}: {text}"
        );
    }
    let app_url = format!(
        "{sandbox}/2010-04-01/Accounts/{}/Applications/{app_sid}.json",
        creds.account_sid
    );
    let changed = client
        .post(&app_url)
        .basic_auth(&creds.account_sid, Some(&creds.auth_token))
        .form(&[("VoiceUrl", ELSEWHERE)])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "{}", changed.text().await.unwrap());
    let (code, text) = out.run(&["doctor"], &serve_env).await;
    assert_eq!(code, 1, "doctor passed a wrong Voice URL: {text}");
    let fail = text
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains("twiml app"))
        .unwrap_or_else(|| panic!("no FAIL line for the TwiML App: {text}"));
    for part in [ELSEWHERE, &voice_url, "piphone twilio setup"] {
        assert!(fail.contains(part), "the FAIL line lacks {part}: {fail}");
    }

    // 5. teardown removes the key and the app.
    let (code, text) = out.run(&["twilio", "teardown"], &setup_env).await;
    assert_eq!(code, 0, "teardown failed: {text}");
    let after = resources().await;
    let (keys, apps) = (&after[0], &after[1]);
    assert!(!keys.to_string().contains(&key_sid), "{keys}");
    assert!(!apps.to_string().contains(&app_sid), "{apps}");

    // Also as a basic-auth header would carry them.
    let b64 = |user: &str, pass: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    };
    let token_basic = b64(&creds.account_sid, &creds.auth_token);
    let key_basic = b64(&key_sid, &key_secret);
    out.assert_free_of(&[&creds.auth_token, &key_secret, &token_basic, &key_basic]);
}
