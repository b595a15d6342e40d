//! The live Twilio account (only with real credentials): the API key works, the TwiML App's Voice URL and the
//! caller ID number's webhook point at `PIPHONE_PUBLIC_URL`, the caller ID is a number of the account.

use super::Finding;
use crate::cli::twilio_setup::{LiveAccount, live_checks};
use crate::settings::Settings;

pub async fn account(settings: &Settings) -> Vec<Finding> {
    let Some(twilio) = &settings.twilio else {
        return vec![Finding::ok(
            "twilio",
            "sandbox mode (no Twilio credentials): no account to check",
        )];
    };
    let Some(public_url) = &settings.public_url else {
        return vec![Finding::fail(
            "twilio",
            "PIPHONE_PUBLIC_URL is not set, so Twilio cannot reach piphone: set it to piphone's public https \
             address, then run `piphone twilio setup`",
        )];
    };
    let api_base = &settings.twilio_api_url;
    let loopback = crate::tls::is_loopback(api_base);
    let found = live_checks(&LiveAccount {
        account_sid: &twilio.account_sid,
        auth_token: &twilio.auth_token,
        api_key_sid: &twilio.api_key_sid,
        api_key_secret: &twilio.api_key_secret,
        app_sid: &twilio.app_sid,
        caller_id: settings.caller_id.as_deref(),
        public_url,
        api_base,
        accept_invalid_certs: loopback,
    })
    .await;
    found
        .iter()
        .map(|f| {
            if f.passed() {
                Finding::ok(f.topic(), f.to_string())
            } else if f.unreachable() {
                Finding::warn(f.topic(), f.to_string())
            } else {
                Finding::fail(f.topic(), f.to_string())
            }
        })
        .collect()
}
