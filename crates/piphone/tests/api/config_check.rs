//! `piphone config check` run as a user would: Twilio's usual variable names as fallbacks, `PIPHONE_*` winning
//! over them, an empty variable counting as unset, and each value printed with the name that supplied it.

use std::process::Command;

const TWILIO_TOKEN: &str = "twilioTOKENsecret0123456789";
const PIPHONE_TOKEN: &str = "piphoneTOKENsecret0123456789";
const KEY_SECRET: &str = "twilioKEYsecret0123456789";

#[test]
fn config_check_says_which_name_supplied_each_value() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_piphone"))
        .args(["config", "check"])
        .current_dir(dir.path())
        .env_clear()
        .envs([
            ("PIPHONE_DATA_DIR", dir.path().to_str().unwrap()),
            ("PIPHONE_LISTEN", ""),
            ("PIPHONE_CALLER_ID", "+14155550100"),
            ("PIPHONE_PUBLIC_URL", "https://phone.example.com"),
            ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
            ("TWILIO_AUTH_TOKEN", TWILIO_TOKEN),
            ("PIPHONE_TWILIO_AUTH_TOKEN", PIPHONE_TOKEN),
            ("TWILIO_API_KEY", "SK0123456789abcdef0123456789abcdef"),
            ("TWILIO_API_SECRET", KEY_SECRET),
            ("TWILIO_TWIML_APP_SID", "AP0123456789abcdef0123456789abcdef"),
        ])
        .output()
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{printed}");
    let line = |key: &str| {
        printed
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} line in: {printed}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    for (key, expected) in [
        ("mode", "mode twilio (derived)"),
        ("listen", "listen 127.0.0.1:8443 (default)"),
        (
            "twilio_account_sid",
            "twilio_account_sid AC0123456789abcdef0123456789abcdef (TWILIO_ACCOUNT_SID)",
        ),
        (
            "twilio_auth_token",
            "twilio_auth_token *** (PIPHONE_TWILIO_AUTH_TOKEN)",
        ),
        (
            "twilio_api_key_secret",
            "twilio_api_key_secret *** (TWILIO_API_SECRET)",
        ),
        ("caller_id", "caller_id +14155550100 (PIPHONE_CALLER_ID)"),
    ] {
        assert_eq!(line(key), expected, "{printed}");
    }
    for secret in [TWILIO_TOKEN, PIPHONE_TOKEN, KEY_SECRET] {
        assert!(!printed.contains(secret), "config check printed a secret");
    }
}
