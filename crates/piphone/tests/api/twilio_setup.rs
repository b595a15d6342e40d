//! `piphone twilio setup` / `teardown` and doctor's live checks against a recording fake Twilio
//! (exact request sequences, files, sentences) and against Prism's validating mock of the OpenAPI.

mod doctor;
mod errors;
mod fake;
mod prism;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use piphone::cli::twilio_setup::{NonInteractive, NumberPrompt, SetupInput, setup, teardown};
use piphone::settings::Secret;
use url::Url;

use fake::*;

const PUBLIC: &str = "https://pi.example.org";
const ORIGINAL: &str = "# my piphone\nlisten = \"0.0.0.0:8443\"\ncaller_id = \"+19999999999\"\n";

struct Env {
    dir: tempfile::TempDir,
    fake: FakeTwilio,
    server: wiremock::MockServer,
}

impl Env {
    async fn new(numbers: Vec<serde_json::Value>) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("piphone.toml"), ORIGINAL).unwrap();
        let fake = FakeTwilio::with_numbers(numbers);
        let server = fake.start().await;
        Env { dir, fake, server }
    }

    async fn one_number() -> Env {
        Env::new(vec![number(NUMBER_SID, NUMBER)]).await
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.path().join("piphone.toml")
    }

    fn settings(&self) -> String {
        std::fs::read_to_string(self.settings_path()).unwrap()
    }

    fn input(&self) -> SetupInput {
        SetupInput {
            account_sid: ACCOUNT.into(),
            auth_token: Secret::new(TOKEN),
            public_url: Some(Url::parse(PUBLIC).unwrap()),
            number: None,
            api_base: Url::parse(&self.server.uri()).unwrap(),
            accept_invalid_certs: false,
            data_dir: self.dir.path().join("data"),
            settings_file: self.settings_path(),
            dry_run: false,
        }
    }

    async fn requests_since(&self, start: usize) -> Vec<String> {
        sequence(&self.server).await.split_off(start)
    }
}

/// Every printed, logged or returned text must be free of the auth token and the key secret,
/// also as the base64 of a basic-auth header.
fn assert_no_secrets(texts: &[String]) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    for text in texts {
        for secret in [TOKEN, KEY_SECRET, &basic] {
            assert!(!text.contains(secret), "a secret leaked: {text}");
        }
    }
}

/// Everything logged (at every level) on this thread from now until the guard drops.
fn capture_logs() -> (tracing::subscriber::DefaultGuard, Arc<Mutex<Vec<u8>>>) {
    #[derive(Clone)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let logs = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(logs.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (tracing::subscriber::set_default(subscriber), logs)
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_fresh_account_gets_a_key_an_app_and_the_number_then_a_second_run_writes_nothing() {
    let (_guard, logs) = capture_logs();
    let env = Env::one_number().await;
    let report = setup(&env.input(), &mut NonInteractive).await.unwrap();
    let key = env.fake.keys()[1].clone();
    let app = env.fake.apps()[1].clone();
    assert_eq!(
        sequence(&env.server).await,
        [
            "GET /IncomingPhoneNumbers.json?PageSize=1000".to_string(),
            "GET /Applications.json?FriendlyName=piphone&PageSize=1000".into(),
            "POST /Keys.json FriendlyName=piphone".into(),
            "POST /Applications.json VoiceUrl=https%3A%2F%2Fpi.example.org%2Fvoice&VoiceMethod=POST&FriendlyName=piphone".into(),
            format!("POST /IncomingPhoneNumbers/{NUMBER_SID}.json VoiceUrl=https%3A%2F%2Fpi.example.org%2Fvoice%2Fincoming&VoiceMethod=POST"),
        ]
    );
    let text = report.to_string();
    assert!(report.changed());
    for expected in [
        format!("created API key {key}"),
        format!("created TwiML App {app}"),
        format!("set {NUMBER}'s voice webhook from {OLD_WEBHOOK} to {PUBLIC}/voice/incoming"),
        "wrote twilio_account_sid, twilio_auth_token, twilio_api_key_sid".into(),
    ] {
        assert!(text.contains(&expected), "{expected:?} in:\n{text}");
    }
    let settings = env.settings();
    assert!(
        settings.starts_with("# my piphone\nlisten = \"0.0.0.0:8443\"\n"),
        "{settings}"
    );
    let table: toml::Table = settings.parse().unwrap();
    for (k, v) in [
        ("twilio_account_sid", ACCOUNT),
        ("twilio_auth_token", TOKEN),
        ("twilio_api_key_sid", &key),
        ("twilio_api_key_secret", KEY_SECRET),
        ("twilio_app_sid", &app),
        ("caller_id", NUMBER),
        ("listen", "0.0.0.0:8443"),
    ] {
        assert_eq!(table[k].as_str(), Some(v), "{k}");
    }
    assert_eq!(mode(&env.settings_path()), 0o600, "settings file mode");
    let record = env
        .dir
        .path()
        .join("data")
        .join(piphone::cli::twilio_setup::RECORD_FILE);
    assert_eq!(mode(&record), 0o600, "record mode");

    // Second run: reads only, says so, and leaves the files alone.
    let before = sequence(&env.server).await.len();
    let modified = std::fs::metadata(env.settings_path())
        .unwrap()
        .modified()
        .unwrap();
    let again = setup(&env.input(), &mut NonInteractive).await.unwrap();
    assert!(!again.changed());
    assert!(
        again.to_string().starts_with("Nothing to change"),
        "{again}"
    );
    assert_eq!(
        env.requests_since(before).await,
        [
            "GET /IncomingPhoneNumbers.json?PageSize=1000".to_string(),
            format!("GET /Keys/{key}.json"),
            format!("GET /IncomingPhoneNumbers/{NUMBER_SID}.json"),
            format!("GET /Applications/{app}.json"),
        ]
    );
    assert_eq!(env.settings(), settings);
    assert_eq!(
        std::fs::metadata(env.settings_path())
            .unwrap()
            .modified()
            .unwrap(),
        modified
    );
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("created API key"),
        "setup logs what it does: {logs}"
    );
    assert_no_secrets(&[
        text,
        format!("{report:?}"),
        again.to_string(),
        format!("{again:?}"),
        logs,
    ]);
}

#[tokio::test]
async fn a_dry_run_reads_only_and_prints_the_plan() {
    let env = Env::one_number().await;
    let input = SetupInput {
        dry_run: true,
        ..env.input()
    };
    let report = setup(&input, &mut NonInteractive).await.unwrap();
    let requests = sequence(&env.server).await;
    assert!(
        requests.iter().all(|r| r.starts_with("GET ")),
        "{requests:?}"
    );
    assert!(!report.changed());
    let text = report.to_string();
    for expected in [
        "Dry run: nothing was written",
        "create API key \"piphone\"",
        "create TwiML App \"piphone\" with Voice URL https://pi.example.org/voice (POST)",
        "set +14155550100's voice webhook",
        "write twilio_account_sid",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert_eq!(env.settings(), ORIGINAL);
    assert!(!env.dir.path().join("data").exists(), "no record written");
    assert_eq!(env.fake.keys().len(), 1);
    assert_no_secrets(&[text]);
}

#[tokio::test]
async fn teardown_removes_only_what_setup_created_and_restores_the_rest() {
    let env = Env::one_number().await;
    setup(&env.input(), &mut NonInteractive).await.unwrap();
    let key = env.fake.keys()[1].clone();
    let app = env.fake.apps()[1].clone();
    let before = sequence(&env.server).await.len();
    let dry = teardown(&SetupInput {
        dry_run: true,
        ..env.input()
    })
    .await
    .unwrap();
    assert!(
        dry.to_string().contains(&format!("delete API key {key}")),
        "{dry}"
    );
    assert!(
        env.requests_since(before).await.is_empty(),
        "dry teardown sends nothing"
    );

    let report = teardown(&env.input()).await.unwrap();
    assert_eq!(
        env.requests_since(before).await,
        [
            format!(
                "POST /IncomingPhoneNumbers/{NUMBER_SID}.json VoiceUrl=https%3A%2F%2Fold.example.org%2Fvoice&VoiceMethod=GET"
            ),
            format!("DELETE /Applications/{app}.json"),
            format!("DELETE /Keys/{key}.json"),
        ]
    );
    assert_eq!(env.fake.keys(), [FOREIGN_KEY], "only setup's key deleted");
    assert_eq!(env.fake.apps(), [FOREIGN_APP], "only setup's app deleted");
    let n = &env.fake.numbers()[0];
    assert_eq!(
        (n["voice_url"].as_str(), n["voice_method"].as_str()),
        (Some(OLD_WEBHOOK), Some("GET"))
    );
    assert_eq!(
        env.settings(),
        ORIGINAL,
        "settings restored, other lines kept"
    );
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "set {NUMBER}'s voice webhook back to {OLD_WEBHOOK}"
        )),
        "{text}"
    );
    let again = teardown(&env.input()).await.unwrap();
    assert!(
        again.to_string().starts_with("Nothing to tear down"),
        "{again}"
    );
    assert_no_secrets(&[text, dry.to_string(), again.to_string()]);
}

/// Answers with a fixed position and remembers what it was shown.
struct Scripted(Option<usize>, Vec<String>);

impl NumberPrompt for Scripted {
    fn choose_number(&mut self, numbers: &[String]) -> Option<usize> {
        self.1 = numbers.to_vec();
        self.0
    }
}

#[tokio::test]
async fn with_two_numbers_setup_asks_or_stops_with_the_list() {
    let env = Env::new(vec![
        number(NUMBER_SID, NUMBER),
        number(OTHER_NUMBER_SID, OTHER_NUMBER),
    ])
    .await;
    let err = setup(&env.input(), &mut NonInteractive).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "The account has several phone numbers (+14155550100, +14155550111): choose one with --number."
    );
    assert!(
        sequence(&env.server)
            .await
            .iter()
            .all(|r| r.starts_with("GET "))
    );

    let mut prompt = Scripted(Some(1), Vec::new());
    let report = setup(&env.input(), &mut prompt).await.unwrap();
    assert_eq!(prompt.1, [NUMBER, OTHER_NUMBER]);
    assert!(
        report
            .to_string()
            .contains(&format!("set {OTHER_NUMBER}'s voice webhook"))
    );
    let numbers = env.fake.numbers();
    assert_eq!(
        numbers[0]["voice_url"], OLD_WEBHOOK,
        "the other number untouched"
    );
    assert_eq!(numbers[1]["voice_url"], format!("{PUBLIC}/voice/incoming"));

    // The next run remembers the choice instead of asking again.
    let mut never = Scripted(None, Vec::new());
    let again = setup(&env.input(), &mut never).await.unwrap();
    assert!(!again.changed() && never.1.is_empty(), "{again}");

    let env = Env::new(vec![
        number(NUMBER_SID, NUMBER),
        number(OTHER_NUMBER_SID, OTHER_NUMBER),
    ])
    .await;
    let chosen = SetupInput {
        number: Some(OTHER_NUMBER.into()),
        ..env.input()
    };
    setup(&chosen, &mut NonInteractive).await.unwrap();
    assert!(sequence(&env.server).await[0].contains("PhoneNumber=%2B14155550111"));
}

#[tokio::test]
async fn a_key_whose_secret_no_longer_authenticates_is_replaced_and_both_are_torn_down() {
    let env = Env::one_number().await;
    setup(&env.input(), &mut NonInteractive).await.unwrap();
    let first = env.fake.keys()[1].clone();
    let settings = env
        .settings()
        .replace(KEY_SECRET, "a-secret-someone-mistyped");
    std::fs::write(env.settings_path(), settings).unwrap();
    let report = setup(&env.input(), &mut NonInteractive).await.unwrap();
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "API key {first} in the settings file does not authenticate with the secret there: a new key replaces it."
        )),
        "{text}"
    );
    let second = env.fake.keys()[2].clone();
    assert!(
        text.contains(&format!("created API key {second}")),
        "{text}"
    );
    assert!(
        text.contains("wrote twilio_api_key_sid, twilio_api_key_secret to"),
        "{text}"
    );
    teardown(&env.input()).await.unwrap();
    assert_eq!(
        env.fake.keys(),
        [FOREIGN_KEY],
        "both of setup's keys deleted"
    );
    assert_eq!(env.settings(), ORIGINAL);
    assert_no_secrets(&[text]);
}
