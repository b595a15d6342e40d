//! Every webhook the sandbox sends is accepted by twilio-python's own `RequestValidator`, and a
//! one-byte change is refused.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use crate::helpers::{Recorded, TestSandbox, events};

const CHECK: &str = r#"
import json, sys
from twilio.request_validator import RequestValidator
data = json.load(open(sys.argv[1]))
v = RequestValidator(data["auth_token"])
bad = []
for r in data["requests"]:
    params = dict(r["params"])
    if not v.validate(r["url"], params, r["signature"]):
        bad.append(("refused", r["url"]))
    if params:
        tampered = dict(params)
        k = sorted(tampered)[0]
        tampered[k] = tampered[k][:-1] + chr(ord(tampered[k][-1]) ^ 1) if tampered[k] else "x"
        if v.validate(r["url"], tampered, r["signature"]):
            bad.append(("tampered field accepted", r["url"]))
    if v.validate(r["url"] + "x", params, r["signature"]):
        bad.append(("tampered url accepted", r["url"]))
print(json.dumps({"checked": len(data["requests"]), "bad": bad}))
sys.exit(1 if bad else 0)
"#;

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("PIPHONE_TEST_PYTHON") {
        return p.into();
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        p.exists(),
        "twilio-python is needed: set PIPHONE_TEST_PYTHON or create {} with `pip install twilio==9.13.0`",
        p.display()
    );
    p
}

#[tokio::test]
async fn twilio_python_accepts_every_webhook_signature() {
    let sb = TestSandbox::spawn().await;
    sb.twiml("/voice/incoming", r#"<Response><Enqueue action="/app/left?show=late&amp;x=1" waitUrl="/app/wait">radio</Enqueue></Response>"#);
    sb.twiml(
        "/app/wait",
        r#"<Response><Say>Hold ünïcode &amp; symbols +1 %20</Say></Response>"#,
    );
    sb.twiml("/voice", r#"<Response><Dial hangupOnStar="true" action="/app/next"><Queue url="/app/announce" method="GET">radio</Queue></Dial></Response>"#);
    sb.twiml("/app/next", "<Response><Hangup/></Response>");
    let caller = sb.call_in("+15551230001").await;
    sb.wait_requests("/app/wait", 2).await;
    let mut ws = sb.registered("dj").await;
    let dj = ws
        .invite("TJS1", Some("To=studio+A&Note=%C3%A9t%C3%A9%20%26%20more"))
        .await;
    sb.wait_call(&caller, "a bridge", |c| !events(c, "bridged").is_empty())
        .await;
    ws.send("dtmf", json!({ "callsid": dj, "dtmf": "*" })).await;
    sb.wait_requests("/app/next", 1).await;
    sb.wait_requests("/app/left", 1).await;

    let requests = sb.requests();
    let paths: std::collections::BTreeSet<_> = requests.iter().map(|r| r.path.as_str()).collect();
    for p in [
        "/voice/incoming",
        "/voice",
        "/app/wait",
        "/app/announce",
        "/app/next",
        "/app/left",
    ] {
        assert!(paths.contains(p), "no request to {p}: {paths:?}");
    }
    assert!(
        requests.iter().all(|r| r.valid),
        "the twilio crate refused some: {requests:#?}"
    );
    assert_python_accepts(&sb.creds.auth_token, &requests);
}

/// twilio-python's `RequestValidator` accepts every one of `requests` and refuses each with a
/// one-byte change.
pub fn assert_python_accepts(auth_token: &str, requests: &[Recorded]) {
    let python = python();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        json!({ "auth_token": auth_token, "requests": requests }).to_string(),
    )
    .unwrap();
    let out = Command::new(&python)
        .arg("-c")
        .arg(CHECK)
        .arg(file.path())
        .output()
        .expect("running twilio-python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "twilio-python: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("\"checked\": {}", requests.len())),
        "{stdout}"
    );
}
