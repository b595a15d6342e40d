//! Each failure of setup is a sentence saying what to do: wrong token, number not the account's,
//! public URL missing or not https, a number gone between list and update, a trial limit.

use piphone::cli::twilio_setup::{NonInteractive, SetupError, SetupInput, setup};
use piphone::settings::Secret;
use url::Url;

use super::fake::*;
use super::{Env, assert_no_secrets};

#[tokio::test]
async fn every_error_is_a_sentence_that_says_what_to_do() {
    let env = Env::one_number().await;
    let wrong_token = SetupInput {
        auth_token: Secret::new("not-the-token"),
        ..env.input()
    };
    let not_ours = SetupInput {
        number: Some("+14155550199".into()),
        ..env.input()
    };
    let no_url = SetupInput {
        public_url: None,
        ..env.input()
    };
    let http = SetupInput {
        public_url: Some(Url::parse("http://pi.example.org").unwrap()),
        ..env.input()
    };
    let cases: Vec<(SetupInput, &str)> = vec![
        (
            wrong_token,
            "Twilio refused the account SID and auth token (HTTP 401, code 20003): copy both again",
        ),
        (
            not_ours,
            "+14155550199 is not a phone number of account AC0123456789abcdef0123456789abcdef: choose one",
        ),
        (no_url, "PIPHONE_PUBLIC_URL is not set."),
        (
            http,
            "PIPHONE_PUBLIC_URL is http://pi.example.org/, but Twilio calls only https://",
        ),
    ];
    let mut texts = Vec::new();
    for (input, expected) in cases {
        let err = setup(&input, &mut NonInteractive).await.unwrap_err();
        assert!(
            err.to_string().starts_with(expected),
            "{expected}\n got: {err}"
        );
        texts.push(err.to_string());
        texts.push(format!("{err:?}"));
    }
    assert!(
        env.fake.keys().len() == 1,
        "no key created by a failed setup"
    );

    // A number released between the list and the update: 404.
    fail_with(
        &env.server,
        "POST",
        "/IncomingPhoneNumbers/PN[0-9a-f]+.json",
        404,
        20404,
    )
    .await;
    let err = setup(&env.input(), &mut NonInteractive).await.unwrap_err();
    assert!(matches!(err, SetupError::NotOurNumber { .. }), "{err}");
    texts.push(err.to_string());

    // Trial limits.
    let env = Env::one_number().await;
    fail_with(&env.server, "POST", "/Keys.json", 400, 10002).await;
    let err = setup(&env.input(), &mut NonInteractive).await.unwrap_err();
    assert!(
        err.to_string().starts_with(
            "Twilio refused to create an API key because of a trial account's limits (code 10002"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade the account"), "{err}");
    texts.push(err.to_string());
    assert_no_secrets(&texts);
}
