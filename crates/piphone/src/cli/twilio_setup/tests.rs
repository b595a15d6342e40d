use twilio::rest::{RestError, TwilioError};

use super::settings_file::update;
use super::*;

#[test]
fn settings_update_keeps_other_lines_and_adds_before_tables() {
    let text = "# my settings\nlisten = \"0.0.0.0:8443\"\ncaller_id = \"+1999\"  # old\n\n[kiosk]\nuser = \"k\"\n";
    let out = update(
        text,
        &[
            ("caller_id", Some("+14155550100")),
            ("twilio_auth_token", Some("a\"b\\c")),
        ],
    );
    assert_eq!(
        out,
        "# my settings\nlisten = \"0.0.0.0:8443\"\ncaller_id = \"+14155550100\"\n\
         twilio_auth_token = 'a\"b\\c'\n\n[kiosk]\nuser = \"k\"\n"
    );
    let table: toml::Table = out.parse().expect("still TOML");
    assert_eq!(table["twilio_auth_token"].as_str(), Some("a\"b\\c"));
    assert_eq!(
        table["kiosk"]["user"].as_str(),
        Some("k"),
        "table untouched"
    );
    let removed = update(&out, &[("twilio_auth_token", None), ("absent", None)]);
    assert!(!removed.contains("twilio_auth_token"));
    assert!(removed.contains("# my settings"));
    assert_eq!(
        update("", &[("caller_id", Some("+1"))]),
        "caller_id = \"+1\"\n"
    );
}

#[test]
fn a_key_inside_a_table_is_not_the_top_level_key() {
    let text = "[kiosk]\ncaller_id = \"x\"\n";
    let out = update(text, &[("caller_id", Some("+1"))]);
    assert_eq!(out, "caller_id = \"+1\"\n[kiosk]\ncaller_id = \"x\"\n");
}

fn input(sid: &str, token: &str, public: Option<&str>) -> SetupInput {
    SetupInput {
        account_sid: sid.into(),
        auth_token: Secret::new(token),
        public_url: public.map(|u| Url::parse(u).unwrap()),
        number: None,
        api_base: Url::parse("http://127.0.0.1:9").unwrap(),
        accept_invalid_certs: false,
        data_dir: "/nonexistent".into(),
        settings_file: "/nonexistent/piphone.toml".into(),
        dry_run: false,
    }
}

#[test]
fn local_validation_says_what_to_do() {
    let good = "AC0123456789abcdef0123456789abcdef";
    let cases: [(SetupInput, &str); 5] = [
        (input("AC123", "t", Some("https://x.org")), "32 hexadecimal"),
        (
            input("SK0123456789abcdef0123456789abcdef", "t", None),
            "\"AC\"",
        ),
        (
            input(good, " ", Some("https://x.org")),
            "auth token is empty",
        ),
        (input(good, "t", None), "PIPHONE_PUBLIC_URL is not set"),
        (input(good, "t", Some("http://x.org")), "only https://"),
    ];
    for (case, expected) in cases {
        let err = case
            .validate_credentials()
            .and_then(|()| case.public_url().map(drop))
            .expect_err(expected);
        assert!(err.to_string().contains(expected), "{expected}: {err}");
    }
}

#[test]
fn twilio_errors_become_sentences() {
    let api = |status, code| RestError::Api {
        status,
        error: TwilioError {
            code: Some(code),
            message: "Something.".into(),
            more_info: None,
            status: Some(status),
        },
        retry_after: None,
    };
    let cases = [
        (api(401, 20003), "copy both again"),
        (api(403, 20008), "test credentials"),
        (api(401, 10001), "not active"),
        (api(400, 10002), "trial account's limits"),
        (api(400, 21219), "trial account's limits"),
        (api(500, 20500), "HTTP 500, code 20500"),
    ];
    for (e, expected) in cases {
        let s = SetupError::rest("create an API key", "AC1", "https://api", e).to_string();
        assert!(s.contains(expected), "{expected}: {s}");
    }
}
