//! The sandbox as its own process: `piphone sandbox serve` keeps "Twilio" (its calls and queues) while piphone
//! is killed with SIGKILL and restarted on the same address; the waiting caller is still waiting, and shown again.

use std::io::BufRead;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::process::{self, Running, free_port, login, wait_healthy};

/// `piphone sandbox serve` on a free port (its webhooks go to `PIPHONE_LISTEN`, piphone's address); returns it
/// and the URL it printed as its first line.
pub async fn start_sandbox(dir: &Path, piphone_listen: &str) -> (Running, String) {
    let mut sandbox = process::spawn(
        &["sandbox", "serve", "--listen", "127.0.0.1:0"],
        dir,
        &[
            ("PIPHONE_LISTEN", piphone_listen),
            ("PIPHONE_SANDBOX_SPEED", "10"),
        ],
    );
    let stdout = sandbox.0.stdout.take().expect("piped stdout");
    let first_line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    });
    let line = tokio::time::timeout(Duration::from_secs(30), first_line)
        .await
        .expect("the sandbox printed its URL within 30 s")
        .unwrap()
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("sandbox listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    (sandbox, url)
}

fn start_piphone(dir: &Path, listen: &str, sandbox_url: &str) -> Running {
    process::spawn(
        &["serve"],
        dir,
        &[
            ("PIPHONE_LISTEN", listen),
            ("PIPHONE_SANDBOX_URL", sandbox_url),
            ("PIPHONE_QUEUE_POLL_SECS", "1"),
        ],
    )
}

/// Polls `/queue-status` (as admin) until `call_sid` is among the waiting callers.
async fn wait_until_shown(client: &reqwest::Client, base: &str, call_sid: &str) -> Value {
    let cookie = login(client, base).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = process::json(
            client
                .get(format!("{base}/queue-status"))
                .header("cookie", &cookie),
        )
        .await;
        let shown = status["members"]
            .as_array()
            .is_some_and(|m| m.iter().any(|c| c["call_sid"] == call_sid));
        if shown {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "{call_sid} not shown in /queue-status: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The sandbox's view of one call (control API).
pub async fn sandbox_call(
    client: &reqwest::Client,
    sandbox: &str,
    creds: &sandbox::Credentials,
    sid: &str,
) -> Value {
    process::json(
        client
            .get(format!("{sandbox}/sandbox/calls/{sid}"))
            .basic_auth(&creds.account_sid, Some(&creds.auth_token)),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_caller_survives_a_killed_piphone() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("https://{listen}");
    let client = process::client();

    let (_sandbox, sandbox_url) = start_sandbox(dir.path(), &listen).await;
    let creds = sandbox::Credentials::load(dir.path())
        .unwrap()
        .expect("the sandbox wrote its credentials");
    let mut piphone = start_piphone(dir.path(), &listen, &sandbox_url);
    wait_healthy(&client, &base).await;

    let placed = process::json(
        client
            .post(format!("{sandbox_url}/sandbox/call-in"))
            .basic_auth(&creds.account_sid, Some(&creds.auth_token))
            .json(&json!({ "from": "+15551230001" })),
    )
    .await;
    let sid = placed["calls"][0]["call_sid"]
        .as_str()
        .unwrap_or_else(|| panic!("no call placed: {placed}"))
        .to_owned();
    wait_until_shown(&client, &base, &sid).await;

    piphone.kill();
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "piphone is gone"
    );
    // "Twilio" keeps the caller waiting while piphone is away (its waitUrl requests fail and are retried).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let call = sandbox_call(&client, &sandbox_url, &creds, &sid).await;
    assert_eq!(call["status"], "in-progress", "{call}");
    assert!(call["queue"].is_string(), "still queued: {call}");

    let _piphone = start_piphone(dir.path(), &listen, &sandbox_url);
    wait_healthy(&client, &base).await;
    let status = wait_until_shown(&client, &base, &sid).await;
    assert_eq!(status["size"], 1, "{status}");
    let call = sandbox_call(&client, &sandbox_url, &creds, &sid).await;
    assert_eq!(call["status"], "in-progress", "{call}");
    assert!(call["queue"].is_string(), "still queued: {call}");
}
