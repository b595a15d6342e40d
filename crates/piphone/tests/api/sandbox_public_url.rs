//! Issue 16's defect: in sandbox mode with `PIPHONE_PUBLIC_URL` set, the sandbox posted its webhooks to the
//! public address, they failed, and `piphone sandbox call-in` still printed a CallSid and exited 0 while the
//! caller never appeared. Now webhooks are signed for the public URL and delivered to piphone's own listener,
//! and a call-in whose webhook cannot be delivered fails with a sentence naming the URL and the error.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::process::{self, client, free_port, login, wait_healthy};

/// `piphone sandbox call-in` run to its end with `dir` as the data directory and `env` on top.
async fn call_in(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_piphone"));
    cmd.args(["sandbox", "call-in", "--from", "+15551230001"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIPHONE_DATA_DIR", dir)
        .env("PIPHONE_LOG", "warn")
        .envs(env.iter().copied());
    tokio::task::spawn_blocking(move || cmd.output().expect("run piphone sandbox call-in"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_call_in_reaches_piphone_when_the_public_url_is_not_reachable_from_here() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("https://{listen}");
    let env = [
        ("PIPHONE_LISTEN", listen.as_str()),
        // Nothing answers there: the address a tunnel would give, not yet running.
        ("PIPHONE_PUBLIC_URL", "https://127.0.0.1:9"),
    ];
    let _piphone = process::spawn(&["serve"], dir.path(), &env);
    let client = client();
    wait_healthy(&client, &base).await;

    let out = call_in(dir.path(), &env).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "call-in failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sid = stdout.trim().to_owned();
    assert!(sid.starts_with("CA"), "{stdout}");

    let cookie = login(&client, &base).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status: Value = process::json(
            client
                .get(format!("{base}/queue-status"))
                .header("cookie", &cookie),
        )
        .await;
        let members = status["members"].as_array().cloned().unwrap_or_default();
        if members.iter().any(|m| m["call_sid"] == sid.as_str()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the caller {sid} never reached piphone's queue: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The panel shows the sandbox account's setup: piphone's public Voice URLs, key SIDs, no secrets.
    let setup: Value = process::json(
        client
            .get(format!("{base}/api/sandbox/setup"))
            .header("cookie", &cookie),
    )
    .await;
    let creds = sandbox::Credentials::load(dir.path()).unwrap().unwrap();
    assert_eq!(
        setup["applications"][0]["sid"],
        creds.app_sid.as_str(),
        "{setup}"
    );
    assert_eq!(
        setup["applications"][0]["voice_url"],
        "https://127.0.0.1:9/voice"
    );
    assert_eq!(
        setup["numbers"][0]["phone_number"],
        creds.station_number.as_str()
    );
    assert_eq!(
        setup["numbers"][0]["voice_url"],
        "https://127.0.0.1:9/voice/incoming"
    );
    assert_eq!(setup["keys"][0]["sid"], creds.api_key_sid.as_str());
    let shown = setup.to_string();
    assert!(!shown.contains(&creds.api_key_secret) && !shown.contains(&creds.auth_token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_call_in_fails_loudly_when_its_webhook_cannot_be_delivered() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    // A sandbox process whose webhooks go to a port nobody listens on.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let sandbox_listen = format!("127.0.0.1:{}", free_port());
    let mut sandbox = process::spawn(
        &[
            "sandbox",
            "serve",
            "--listen",
            &sandbox_listen,
            "--webhook-base",
            &nowhere,
        ],
        dir.path(),
        &[],
    );
    let sandbox_url = format!("https://{sandbox_listen}");
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.get(&sandbox_url).send().await.is_err() {
        assert!(Instant::now() < deadline, "the sandbox did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let out = call_in(dir.path(), &[("PIPHONE_SANDBOX_URL", &sandbox_url)]).await;
    sandbox.kill();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "call-in exited 0 for a call that never reached piphone: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let url = format!("{nowhere}/voice/incoming");
    assert!(
        stderr.contains(&url) && stderr.contains("could not be delivered"),
        "the error names the URL and what went wrong: {stderr}"
    );
}
