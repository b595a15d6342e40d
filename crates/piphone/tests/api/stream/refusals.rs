//! Refused before any audio is read: the upgrade without or with a wrong signature (403), a `start` for a call
//! piphone did not route, a wrong or missing secret, the wrong owner. And how an admitted stream ends.

use std::process::Command;
use std::time::Duration;

use piphone::media::streams::{StreamEvent, StreamOwner};
use tokio_tungstenite::tungstenite::Error as WsError;
use twilio::signature::{Algorithm, compute_signature};

use super::{Caller, arrival, as_refs, line_owner, open, routed, sign, stream_url};
use crate::helpers::{AUTH_TOKEN, spawn_app};

fn status_of(result: Result<super::Ws, WsError>) -> u16 {
    match result {
        Err(WsError::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("not an HTTP refusal: {e}"),
        Ok(_) => panic!("upgraded"),
    }
}

#[tokio::test]
async fn stream_upgrades_without_or_with_a_wrong_signature_get_403() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let url = stream_url(&app);
    let https_url = url.replacen("ws://", "http://", 1);
    for (case, signature) in [
        ("no signature", None),
        (
            "another account's token",
            Some(compute_signature(
                "x".repeat(32).as_str(),
                &url,
                &[],
                Algorithm::HmacSha1,
            )),
        ),
        (
            "signed for http://, not ws://",
            Some(compute_signature(
                AUTH_TOKEN,
                &https_url,
                &[],
                Algorithm::HmacSha1,
            )),
        ),
        (
            "signed with a parameter",
            Some(compute_signature(
                AUTH_TOKEN,
                &url,
                &[("a".into(), "b".into())],
                Algorithm::HmacSha1,
            )),
        ),
        ("garbage", Some("not base64 at all".to_owned())),
    ] {
        assert_eq!(
            status_of(open(&app, signature.as_deref()).await),
            403,
            "{case}"
        );
    }
    // Not an upgrade at all: still the signature's 403, not a WebSocket error.
    let plain = app
        .client
        .get(app.at("/voice/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 403);
    let signed_plain = app
        .client
        .get(app.at("/voice/stream"))
        .header("X-Twilio-Signature", sign(&url))
        .send()
        .await
        .unwrap();
    assert_ne!(
        signed_plain.status(),
        101,
        "a signed non-upgrade is still no socket"
    );
    assert!(lines.try_recv().is_err(), "nothing reached the owner");
    assert!(
        open(&app, Some(&sign(&url))).await.is_ok(),
        "the right signature upgrades"
    );
}

/// twilio-python, for the independent check.
fn python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("PIPHONE_TEST_PYTHON") {
        return p.into();
    }
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        p.exists(),
        "twilio-python is needed: set PIPHONE_TEST_PYTHON or create {} with `pip install twilio==9.13.0`",
        p.display()
    );
    p
}

#[tokio::test]
async fn twilio_pythons_request_validator_agrees_with_the_stream_signature() {
    let app = spawn_app().await;
    let url = stream_url(&app);
    let out = Command::new(python())
        .args([
            "-c",
            "import sys\nfrom twilio.request_validator import RequestValidator as V\n\
             v = V(sys.argv[1]); sig = v.compute_signature(sys.argv[2], {})\n\
             print(sig); print(v.validate(sys.argv[2], {}, sys.argv[3]))",
            AUTH_TOKEN,
            &url,
            &sign(&url),
        ])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let reference = lines.next().unwrap();
    assert_eq!(
        lines.next(),
        Some("True"),
        "twilio-python accepts our signature"
    );
    assert!(
        open(&app, Some(reference)).await.is_ok(),
        "piphone accepts twilio-python's"
    );
}

#[tokio::test]
async fn a_stream_start_for_a_call_piphone_did_not_route_is_closed() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let mut caller = Caller::start(
        &app,
        "CA00000000000000000000000000000001",
        &[("secret", "guess"), ("owner", "line:1")],
    )
    .await;
    caller.media(&[0xff; 160]).await;
    assert!(
        caller.closed_within(Duration::from_secs(5)).await,
        "closed after start"
    );
    assert!(lines.try_recv().is_err(), "nothing reached the owner");
}

#[tokio::test]
async fn a_stream_with_a_wrong_or_missing_secret_or_owner_is_closed() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let call = "CA00000000000000000000000000000002";
    let good = routed(&app, call, &StreamOwner::Line(1));
    let secret = good[0].1.clone();
    let mut flipped = secret.clone();
    flipped.replace_range(0..1, if secret.starts_with('0') { "1" } else { "0" });
    for (case, params) in [
        (
            "wrong secret",
            vec![("secret", flipped.as_str()), ("owner", "line:1")],
        ),
        ("no secret", vec![("owner", "line:1")]),
        (
            "other line",
            vec![("secret", secret.as_str()), ("owner", "line:2")],
        ),
        ("no parameters", vec![]),
    ] {
        let mut caller = Caller::start(&app, call, &params).await;
        caller.media(&[0xff; 160]).await;
        assert!(
            caller.closed_within(Duration::from_secs(5)).await,
            "{case}: closed"
        );
        assert!(
            lines.try_recv().is_err(),
            "{case}: nothing reached the owner"
        );
    }
    // The refusals did not use up the ticket: the real stream still gets in.
    let _caller = Caller::start(&app, call, &as_refs(&good)).await;
    let link = arrival(&mut lines).await;
    assert_eq!(
        (link.call_sid.as_str(), &link.owner),
        (call, &StreamOwner::Line(1))
    );
}

#[tokio::test]
async fn a_stream_ends_with_stop_expected_or_not() {
    let app = spawn_app().await;
    let mut lines = line_owner(&app);
    let ends = [
        ("forgotten by piphone", false),
        ("Twilio's stop", false),
        ("socket closed without stop", true),
    ];
    for (n, (case, unexpected)) in ends.into_iter().enumerate() {
        let call = format!("CA0000000000000000000000000000001{n}");
        let params = routed(&app, &call, &StreamOwner::Line(1));
        let mut caller = Caller::start(&app, &call, &as_refs(&params)).await;
        let mut link = arrival(&mut lines).await;
        match n {
            0 => {
                app.state.streams.forget(&call);
                assert!(
                    caller.closed_within(Duration::from_secs(5)).await,
                    "{case}: closed"
                );
            }
            1 => {
                caller
                    .raw(format!(
                        r#"{{"event":"stop","sequenceNumber":"9","streamSid":"{}","stop":{{"accountSid":"AC1","callSid":"{call}"}}}}"#,
                        caller.stream_sid
                    ))
                    .await;
            }
            _ => drop(caller),
        }
        let last = tokio::time::timeout(Duration::from_secs(5), link.events.recv())
            .await
            .unwrap_or_else(|_| panic!("{case}: an event"));
        assert_eq!(last, Some(StreamEvent::Stop { unexpected }), "{case}");
    }
    // The owner dropping its link closes the stream (Twilio then runs the TwiML after </Connect>).
    let call = "CA00000000000000000000000000000020";
    let params = routed(&app, call, &StreamOwner::Line(2));
    let mut caller = Caller::start(&app, call, &as_refs(&params)).await;
    drop(arrival(&mut lines).await);
    assert!(
        caller.closed_within(Duration::from_secs(5)).await,
        "owner gone: closed"
    );
}
