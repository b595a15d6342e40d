//! The same command lines, the same answers: `piphone call/answer/hangup/dtmf/status/kiosk` as processes against
//! a server with the stream phone, with the kiosk's words and exit codes.

use std::process::Command;

use super::{CALLEE, PhoneTest};

/// `piphone <args>` with the server's settings: (exit code, stdout, stderr).
async fn piphone(t: &PhoneTest, args: &[&str]) -> (i32, String, String) {
    let settings = &t.app.state.settings;
    let listen = t.app.url.trim_start_matches("https://").to_owned();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_piphone"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIPHONE_DATA_DIR", &settings.data_dir)
        .env("PIPHONE_LISTEN", listen)
        .env("PIPHONE_TLS", "on")
        .env("PIPHONE_KIOSK_ENGINE", "stream")
        .env("PIPHONE_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_written_for_the_kiosk_keep_working() {
    let t = PhoneTest::start(&[]).await;
    t.far_end(CALLEE, "answer").await;
    t.far_end("+15551230003", "busy").await;
    // (command line, exit code, what it prints: stdout when 0, stderr otherwise)
    for (args, code, says) in [
        (&["hangup"][..], 1, "piphone: not in a call"),
        (&["answer"], 1, "piphone: no incoming call"),
        (&["dtmf", "1"], 1, "piphone: not in a call"),
        (&["call", "+15551230003"], 1, "piphone: Call ended — busy"),
        (&["call", CALLEE], 0, "In call with +1 555-123-0001"),
        (&["dtmf", "42"], 0, "sent 42"),
        (&["hangup"], 0, "Call ended — you hung up"),
    ] {
        let (got, stdout, stderr) = piphone(&t, args).await;
        let said = if code == 0 { &stdout } else { &stderr };
        assert_eq!(
            (got, said.as_str()),
            (code, says),
            "piphone {args:?}: {stdout} {stderr}"
        );
    }
    for (args, why) in [
        (&["call", "+4420"][..], "not a number"),
        (&["dtmf", "12x"], "not a key"),
    ] {
        let (got, _, stderr) = piphone(&t, args).await;
        assert_eq!(got, 2, "{why}: bad input exits 2: {stderr}");
        assert!(stderr.starts_with("piphone: "), "{why}: {stderr}");
    }
    let (got, stdout, _) = piphone(&t, &["status"]).await;
    assert_eq!(got, 0);
    assert!(stdout.starts_with("kiosk: connected since "), "{stdout}");
    assert!(
        stdout.contains("\nphone: ended — Call ended — you hung up\n"),
        "{stdout}"
    );
    assert!(stdout.contains("microphone: file:"), "{stdout}");
    let (got, stdout, _) = piphone(&t, &["status", "--json"]).await;
    assert_eq!(got, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["phone"]["state"], "ended");

    let (got, stdout, _) = piphone(&t, &["kiosk"]).await;
    assert_eq!(got, 0, "nothing to run");
    assert!(stdout.contains("starts no Chromium"), "{stdout}");
}
