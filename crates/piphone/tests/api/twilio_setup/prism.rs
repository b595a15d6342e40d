//! Setup, doctor's live checks and teardown against Prism's validating mock of Twilio's OpenAPI
//! description: Prism answers 422 to a request that breaks the contract, which would fail the run.
//! Prism answers the spec's examples whatever was written, so this checks requests, not state.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use piphone::cli::twilio_setup::{
    LiveAccount, LiveFinding, NonInteractive, RECORD_FILE, SetupInput, live_checks, setup, teardown,
};
use piphone::settings::Secret;
use url::Url;

const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const KEY: &str = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const APP: &str = "APaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The number in the spec's example list.
const EXAMPLE_NUMBER: &str = "+18089255327";

/// Prism on a free port, killed when dropped.
struct Prism(Child, u16);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn prism() -> Prism {
    let bin = std::env::var_os("PIPHONE_PRISM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("node_modules/.bin/prism"));
    assert!(
        bin.exists(),
        "{} missing: run `npm ci` in the workspace",
        bin.display()
    );
    let spec = workspace().join("../shared/openapi/twilio_api_v2010.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prism");
    let prism = Prism(child, port);
    let deadline = Instant::now() + Duration::from_secs(120);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "prism did not start");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    prism
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_doctor_and_teardown_send_only_requests_the_openapi_contract_allows() {
    let prism = prism().await;
    let dir = tempfile::tempdir().unwrap();
    let settings_file = dir.path().join("piphone.toml");
    // Prism's list of TwiML Apps pages forever (its example has a next page), so the settings
    // name the app; the key is named without its secret, so setup creates one.
    std::fs::write(&settings_file, format!("twilio_app_sid = \"{APP}\"\n")).unwrap();
    let input = SetupInput {
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new("prism-token"),
        public_url: Some(Url::parse("https://pi.example.org").unwrap()),
        number: None,
        api_base: Url::parse(&format!("http://127.0.0.1:{}", prism.1)).unwrap(),
        accept_invalid_certs: false,
        data_dir: dir.path().join("data"),
        settings_file: settings_file.clone(),
        dry_run: false,
    };
    let report = setup(&input, &mut NonInteractive)
        .await
        .expect("setup against Prism");
    assert_eq!(report.done.len(), 4, "key, app, number, settings: {report}");

    let secret = Secret::new("s");
    let account = LiveAccount {
        account_sid: ACCOUNT,
        auth_token: &input.auth_token,
        api_key_sid: KEY,
        api_key_secret: &secret,
        app_sid: APP,
        caller_id: Some(EXAMPLE_NUMBER),
        public_url: input.public_url.as_ref().unwrap(),
        api_base: &input.api_base,
        accept_invalid_certs: false,
    };
    let found = live_checks(&account).await;
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        !found
            .iter()
            .any(|f| matches!(f, LiveFinding::Unavailable { .. })),
        "{found:?}"
    );

    // The example number had no voice URL, and restoring "none" sends an empty VoiceUrl, which
    // Twilio accepts and the spec does not describe: give the record a previous URL instead.
    let record_path = input.data_dir.join(RECORD_FILE);
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
    record["changed_numbers"][0]["previous"]["url"] = "https://old.example.org/voice".into();
    record["created_app"] = APP.into();
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    let report = teardown(&input).await.expect("teardown against Prism");
    assert!(report.notes.is_empty(), "{report}");
    assert_eq!(
        std::fs::read_to_string(&settings_file).unwrap(),
        format!("twilio_app_sid = \"{APP}\"\n")
    );
}
