//! The setup resources' refusals: Twilio's status, code and error body for each (table-driven).

use crate::helpers::TestSandbox;

#[tokio::test]
async fn setup_errors_have_twilios_codes() {
    let sb = TestSandbox::spawn().await;
    let account = (sb.creds.account_sid.as_str(), sb.creds.auth_token.as_str());
    let key = (
        sb.creds.api_key_sid.as_str(),
        sb.creds.api_key_secret.as_str(),
    );
    let pn = sb
        .control(reqwest::Method::GET, "/sandbox/setup", None)
        .await
        .1["numbers"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing_app = "Applications/AP00000000000000000000000000000000.json";
    let missing_key = "Keys/SK00000000000000000000000000000000.json";
    let number = format!("IncomingPhoneNumbers/{pn}.json");
    type Case<'a> = (
        &'a str,
        (&'a str, &'a str),
        reqwest::Method,
        &'a str,
        Vec<(&'a str, &'a str)>,
        u16,
        u64,
    );
    let cases: Vec<Case> = vec![
        (
            "a Standard key lists keys",
            key,
            reqwest::Method::GET,
            "Keys.json",
            vec![],
            401,
            20003,
        ),
        (
            "a Standard key creates a key",
            key,
            reqwest::Method::POST,
            "Keys.json",
            vec![],
            401,
            20003,
        ),
        (
            "unknown key",
            account,
            reqwest::Method::GET,
            missing_key,
            vec![],
            404,
            20404,
        ),
        (
            "delete unknown key",
            account,
            reqwest::Method::DELETE,
            missing_key,
            vec![],
            404,
            20404,
        ),
        (
            "unknown app",
            key,
            reqwest::Method::GET,
            missing_app,
            vec![],
            404,
            20404,
        ),
        (
            "update unknown app",
            key,
            reqwest::Method::POST,
            missing_app,
            vec![],
            404,
            20404,
        ),
        (
            "delete unknown app",
            key,
            reqwest::Method::DELETE,
            missing_app,
            vec![],
            404,
            20404,
        ),
        (
            "unknown number",
            key,
            reqwest::Method::GET,
            "IncomingPhoneNumbers/PN00000000000000000000000000000000.json",
            vec![],
            404,
            20404,
        ),
        (
            "relative VoiceUrl",
            key,
            reqwest::Method::POST,
            "Applications.json",
            vec![("VoiceUrl", "/voice")],
            400,
            21502,
        ),
        (
            "VoiceMethod PUT",
            key,
            reqwest::Method::POST,
            &number,
            vec![("VoiceMethod", "PUT")],
            400,
            20001,
        ),
        (
            "unknown VoiceApplicationSid",
            key,
            reqwest::Method::POST,
            &number,
            vec![("VoiceApplicationSid", "AP00000000000000000000000000000000")],
            400,
            21218,
        ),
    ];
    for (case, auth, method, path, form, status, code) in cases {
        let (got, body) = sb.rest_as(auth, method, path, &form).await;
        assert_eq!(got, status, "case {case}: {body}");
        assert_eq!(body["code"], code, "case {case}: {body}");
        assert_eq!(body["status"], status, "case {case}: {body}");
        assert!(
            body["message"].is_string() && body["more_info"].is_string(),
            "case {case}: {body}"
        );
    }
    // A refused update changed nothing.
    let (_, after) = sb.rest_as(key, reqwest::Method::GET, &number, &[]).await;
    assert_eq!(after["voice_url"], sb.url("/voice/incoming").as_str());
    assert_eq!(after["voice_method"], "POST");
}
