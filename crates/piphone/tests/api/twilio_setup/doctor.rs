//! Doctor's live-account checks after a setup, and after a change behind its back.

use piphone::cli::twilio_setup::{LiveAccount, NonInteractive, live_checks, setup};
use piphone::settings::Secret;
use url::Url;

use super::fake::*;
use super::{Env, PUBLIC, assert_no_secrets};

#[tokio::test]
async fn doctor_checks_pass_after_setup_and_fail_with_the_fix_after_a_change_behind_its_back() {
    let env = Env::one_number().await;
    setup(&env.input(), &mut NonInteractive).await.unwrap();
    let key = env.fake.keys()[1].clone();
    let app = env.fake.apps()[1].clone();
    let token = Secret::new(TOKEN);
    let public = Url::parse(PUBLIC).unwrap();
    let base = Url::parse(&env.server.uri()).unwrap();
    let secret = Secret::new(KEY_SECRET);
    let account = LiveAccount {
        account_sid: ACCOUNT,
        auth_token: &token,
        api_key_sid: &key,
        api_key_secret: &secret,
        app_sid: &app,
        caller_id: Some(NUMBER),
        public_url: &public,
        api_base: &base,
        accept_invalid_certs: false,
    };
    let found = live_checks(&account).await;
    let lines: Vec<String> = found.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        found
            .iter()
            .map(|f| (f.topic(), f.passed()))
            .collect::<Vec<_>>(),
        [
            ("twilio api key", true),
            ("twiml app", true),
            ("number webhook", true)
        ],
        "{lines:#?}"
    );
    let wrong = Secret::new("not-the-secret");
    let refused = live_checks(&LiveAccount {
        api_key_secret: &wrong,
        ..account
    })
    .await;
    assert!(!refused[0].passed() && refused[1].passed(), "{refused:?}");
    assert!(
        refused[0]
            .to_string()
            .ends_with("or run `piphone twilio setup`"),
        "{}",
        refused[0]
    );

    env.fake
        .set_app_voice_url(&app, "https://moved.example/voice");
    let found = live_checks(&account).await;
    let app_line = found[1].to_string();
    assert!(!found[1].passed());
    assert_eq!(
        app_line,
        format!(
            "TwiML App {app}'s Voice URL is https://moved.example/voice, not {PUBLIC}/voice: set it to \
             {PUBLIC}/voice (HTTP POST) in Twilio Console → Voice → TwiML Apps, or run `piphone twilio setup`"
        )
    );
    let stranger = LiveAccount {
        caller_id: Some("+15550001111"),
        ..account
    };
    let found = live_checks(&stranger).await;
    assert!(found[2].to_string().starts_with(
        "caller ID +15550001111 is not a number of this account (its numbers: +14155550100)"
    ));
    assert_eq!(
        env.fake.app(&app)["voice_url"],
        "https://moved.example/voice",
        "checks only read"
    );
    let all: Vec<String> = found.iter().map(|f| format!("{f} {f:?}")).collect();
    assert_no_secrets(&all);
}
