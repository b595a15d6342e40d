use std::time::{Duration, Instant};

use audio::tone::Sine;
use audio::wav::Wav;
use serde_json::{Value, json};

use crate::process::{self, free_port, login, wait_healthy};
use crate::sandbox_process::{sandbox_call, start_sandbox};

const SCREENED: &str = "radio-callin-queue-screened";

/// Polls `url` (as `cookie`) until `check` holds (20 s at most).
async fn until(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = process::json(client.get(url).header("cookie", cookie)).await;
        if check(&got) {
            return got;
        }
        assert!(Instant::now() < deadline, "{what}: {got}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `piphone line <args>` on this machine (the local control secret, the pinned certificate): exit code, output.
async fn line(dir: &std::path::Path, listen: &str, args: &[&str]) -> (i32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_piphone"));
    cmd.arg("line")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIPHONE_DATA_DIR", dir)
        .env("PIPHONE_LISTEN", listen)
        .env("PIPHONE_LOG", "warn");
    process::finish(cmd).await
}

fn lists(value: &Value, sid: &str) -> bool {
    value
        .as_array()
        .is_some_and(|a| a.iter().any(|c| c["call_sid"] == sid))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_on_lines_are_in_the_screened_queue_after_piphone_is_killed() {
    piphone::tls::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let studio = dir.path().join("studio.wav");
    Wav::mono(Sine::new(1800.0, -12.0).take(8000), 8000)
        .write(&studio)
        .unwrap();
    let capture = format!("file:{}", studio.display());
    let playback = format!("file:{}", dir.path().join("playback.wav").display());
    let listen = format!("127.0.0.1:{}", free_port());
    let base = format!("https://{listen}");
    let client = process::client();

    let (_sandbox, sandbox_url) = start_sandbox(dir.path(), &listen).await;
    let creds = sandbox::Credentials::load(dir.path()).unwrap().unwrap();
    let env = [
        ("PIPHONE_LISTEN", listen.as_str()),
        ("PIPHONE_SANDBOX_URL", sandbox_url.as_str()),
        ("PIPHONE_QUEUE_POLL_SECS", "1"),
        ("PIPHONE_ONAIR", "hybrid"),
        ("PIPHONE_HYBRID_CAPTURE", capture.as_str()),
        ("PIPHONE_HYBRID_PLAYBACK", playback.as_str()),
        ("PIPHONE_CALLIN_GREETING", "Hi."),
    ];
    let mut piphone = process::spawn(&["serve"], dir.path(), &env);
    wait_healthy(&client, &base).await;
    let cookie = login(&client, &base).await;
    let status_url = format!("{base}/queue-status");

    let mut sids = Vec::new();
    for (i, hz) in [500.0, 800.0].into_iter().enumerate() {
        let placed = process::json(
            client
                .post(format!("{sandbox_url}/sandbox/call-in"))
                .basic_auth(&creds.account_sid, Some(&creds.auth_token))
                .json(
                    &json!({ "from": format!("+1555123000{}", i + 1), "voice": { "tone_hz": hz } }),
                ),
        )
        .await;
        let sid = placed["calls"][0]["call_sid"].as_str().unwrap().to_owned();
        until(&client, &status_url, &cookie, "caller waiting", |s| {
            lists(&s["members"], &sid)
        })
        .await;
        let res = client
            .post(format!("{base}/api/lines/{}/take", i + 1))
            .header("cookie", &cookie)
            .json(&json!({ "call_sid": sid, "air": true }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        sids.push(sid);
    }
    until(&client, &status_url, &cookie, "both on the air", |s| {
        s["lines"]
            .as_array()
            .is_some_and(|l| l.iter().filter(|x| x["state"] == "on_air").count() == 2)
    })
    .await;

    // The command line's buttons: same transport and exit codes as the kiosk commands.
    let (code, out) = line(dir.path(), &listen, &["status", "--json"]).await;
    assert_eq!(code, 0, "{out}");
    let lines: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(lines["lines"][0]["call_sid"], sids[0].as_str(), "{out}");
    let (code, out) = line(dir.path(), &listen, &["status"]).await;
    assert!(
        code == 0 && out.contains("line 2: on_air +15551230002"),
        "{out}"
    );
    let (code, out) = line(dir.path(), &listen, &["3", "drop"]).await;
    assert_eq!((code, out.trim()), (1, "piphone: line 3 has no caller"));
    let (code, out) = line(dir.path(), &listen, &["9", "air"]).await;
    assert_eq!(code, 2, "no line 9: {out}");
    let (code, out) = line(dir.path(), &listen, &["2", "sideways"]).await;
    assert_eq!(code, 2, "{out}");
    let (code, out) = line(dir.path(), &listen, &["2", "lock"]).await;
    assert!(code == 0 && out.contains("line 2: locked"), "{out}");

    piphone.kill();
    // Twilio (the sandbox) runs the TwiML after <Connect> by itself: both callers in the screened queue.
    for sid in &sids {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let call = sandbox_call(&client, &sandbox_url, &creds, sid).await;
            let enqueued = call["events"]
                .as_array()
                .and_then(|e| e.iter().rev().find(|e| e["kind"] == "enqueued"))
                .map(|e| e["queue"].clone());
            if call["status"] == "in-progress"
                && call["queue"].is_string()
                && enqueued == Some(json!(SCREENED))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{sid} not in the screened queue: {} {} {enqueued:?}",
                call["status"],
                call["queue"]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let _piphone = process::spawn(&["serve"], dir.path(), &env);
    wait_healthy(&client, &base).await;
    let cookie = login(&client, &base).await;
    let status = until(
        &client,
        &status_url,
        &cookie,
        "both shown screened and flagged",
        |s| {
            sids.iter()
                .all(|sid| lists(&s["screened"]["members"], sid) && lists(&s["returned"], sid))
        },
    )
    .await;
    assert!(
        status["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["state"] == "empty"),
        "{status}"
    );
    let log = process::json(
        client
            .get(format!("{base}/api/calls"))
            .header("cookie", &cookie),
    )
    .await;
    for sid in &sids {
        let row = log["calls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["call_sid"] == sid.as_str())
            .unwrap_or_else(|| panic!("{sid} in the call log: {log}"));
        assert_eq!(row["outcome"], "screened", "{row}");
        assert!(row["ended_at"].is_null(), "still going: {row}");
        assert!(row["on_air_at"].is_i64(), "it was on the air: {row}");
    }
}
