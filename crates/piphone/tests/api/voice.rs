//! `/voice` and `/voice/incoming`: TwiML checked as parsed XML, signatures enforced.

use piphone::domain::Role;
use twilio::twiml::{Element, parse};

use crate::helpers::{
    AUTH_TOKEN, CALLER_ID, TestApp, client_call, pairs, spawn_app, spawn_app_with,
};

async fn twiml_for(app: &TestApp, path: &str, params: &[(String, String)]) -> Element {
    let res = app.post_signed(path, &pairs(params)).await;
    assert_eq!(res.status(), 200, "signed webhook accepted");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let body = res.text().await.unwrap();
    parse(&body).unwrap_or_else(|e| panic!("TwiML parses ({e}): {body}"))
}

fn verbs(doc: &Element) -> Vec<&str> {
    doc.children.iter().map(|c| c.name.as_str()).collect()
}

fn assert_no_dial(doc: &Element, case: &str) {
    assert!(
        !verbs(doc).contains(&"Dial"),
        "{case}: no Dial expected, got {:?}",
        doc
    );
    assert_eq!(
        verbs(doc).last(),
        Some(&"Hangup"),
        "{case}: ends with Hangup"
    );
    assert!(
        !doc.children[0].text.as_deref().unwrap_or("").is_empty(),
        "{case}: a spoken reason"
    );
}

#[tokio::test]
async fn allowed_number_is_read_out_and_dialled_with_the_caller_id() {
    let app = spawn_app().await;
    let doc = twiml_for(&app, "/voice", &client_call("admin", "(415) 555-2671")).await;
    assert_eq!(doc.name, "Response");
    assert_eq!(verbs(&doc), ["Say", "Dial"]);
    assert_eq!(
        doc.children[0].text.as_deref(),
        Some("Calling plus 1 4 1 5 5 5 5 2 6 7 1")
    );
    let dial = &doc.children[1];
    assert_eq!(dial.attr("callerId"), Some(CALLER_ID));
    assert_eq!(dial.attr("answerOnBridge"), Some("true"));
    assert_eq!(dial.children.len(), 1);
    assert_eq!(dial.children[0].name, "Number");
    assert_eq!(dial.children[0].text.as_deref(), Some("+14155552671"));
}

#[tokio::test]
async fn refused_calls_get_a_reason_and_no_dial() {
    let app = spawn_app().await;
    app.add_user("screen", Role::Screener, "screen-password")
        .await;
    app.add_user("gone", Role::Caller, "gone-password").await;
    app.state.store.set_disabled("gone", true).await.unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("unknown identity", "client:nobody", "+14155552671"),
        ("disabled identity", "client:gone", "+14155552671"),
        ("role may not dial", "client:screen", "+14155552671"),
        ("not a client", "+14155550000", "+14155552671"),
        ("invalid number", "client:admin", "12"),
        ("letters", "client:admin", "call me maybe"),
        ("empty", "client:admin", ""),
        ("other country", "client:admin", "+33 1 42 68 53 00"),
        ("premium rate", "client:admin", "+1 900 555 0199"),
        ("satellite", "client:admin", "+881 6 1234 5678"),
    ];
    for (case, from, to) in cases {
        let mut params = client_call("admin", to);
        params.retain(|(k, _)| k != "From");
        params.push(("From".into(), from.to_string()));
        let doc = twiml_for(&app, "/voice", &params).await;
        assert_no_dial(&doc, case);
    }
}

#[tokio::test]
async fn forged_or_missing_signatures_are_refused() {
    let app = spawn_app().await;
    let params = client_call("admin", "+14155552671");
    for path in ["/voice", "/voice/incoming"] {
        let res = app.post_webhook(path, &pairs(&params), None).await;
        assert_eq!(res.status(), 403, "{path} without signature");
        let res = app
            .post_webhook(path, &pairs(&params), Some("AAAAAAAAAAAAAAAAAAAAAAAAAAA="))
            .await;
        assert_eq!(res.status(), 403, "{path} with a forged signature");
    }
    // Signed for other parameters than those sent.
    let url = app.at("/voice");
    let sig = twilio::signature::compute_signature(
        AUTH_TOKEN,
        &url,
        &client_call("admin", "+14155552671"),
        twilio::signature::Algorithm::HmacSha1,
    );
    let tampered = client_call("admin", "+14155559999");
    let res = app
        .post_webhook("/voice", &pairs(&tampered), Some(&sig))
        .await;
    assert_eq!(res.status(), 403);
    // Signed with another auth token.
    let other = twilio::signature::compute_signature(
        "ffffffffffffffffffffffffffffffff",
        &url,
        &params,
        twilio::signature::Algorithm::HmacSha1,
    );
    assert_eq!(
        app.post_webhook("/voice", &pairs(&params), Some(&other))
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn webhooks_need_a_form_body() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.at("/voice"))
        .header("content-type", "application/json")
        .header("X-Twilio-Signature", "x")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn xml_breaking_input_stays_inert() {
    let app = spawn_app().await;
    let payloads = [
        "</Say><Dial><Number>+19005550199</Number></Dial><Say>",
        "\"><Hangup/>",
        "+1415<![CDATA[]]>5552671",
        "&amp;<script>alert(1)</script>",
    ];
    for p in payloads {
        let doc = twiml_for(&app, "/voice", &client_call("admin", p)).await;
        assert_no_dial(&doc, p);
        let mut params = client_call("admin", "+14155552671");
        params.push(("Extra".into(), p.into()));
        let doc = twiml_for(&app, "/voice", &params).await;
        assert_eq!(
            verbs(&doc),
            ["Say", "Dial"],
            "{p}: extra fields change nothing"
        );
    }
}

#[tokio::test]
async fn incoming_call_rings_online_takers_only() {
    // The browser-phone behaviour; the default (`queue`) is the call-in, tested in `callin.rs`.
    let app = spawn_app_with(&[("PIPHONE_INCOMING_MODE", "ring")]).await;
    let incoming = vec![
        ("From".to_string(), "+14155550199".to_string()),
        ("To".to_string(), CALLER_ID.to_string()),
        (
            "CallSid".to_string(),
            "CA11111111111111111111111111111111".to_string(),
        ),
    ];
    let doc = twiml_for(&app, "/voice/incoming", &incoming).await;
    assert_no_dial(&doc, "nobody online");

    app.add_user("dj", Role::Host, "dj-password").await;
    app.add_user("guest", Role::Caller, "guest-password").await;
    for (user, pw) in [("dj", "dj-password"), ("guest", "guest-password")] {
        let cookie = app.login(user, pw).await.unwrap();
        assert_eq!(app.get_with("/token", Some(&cookie)).await.status(), 200);
    }
    let doc = twiml_for(&app, "/voice/incoming", &incoming).await;
    assert_eq!(verbs(&doc), ["Dial"]);
    let clients: Vec<&str> = doc.children[0]
        .children
        .iter()
        .map(|c| c.text.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(clients, ["dj"], "only users who may take calls ring");
}
