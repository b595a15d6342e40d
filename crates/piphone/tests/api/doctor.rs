//! `piphone doctor`: what it reports for a healthy installation and for broken ones.

use std::collections::BTreeMap;

use piphone::Settings;
use piphone::cli::doctor::{Finding, Level, checks};

use crate::helpers::spawn_app_with;

fn lines(found: &[Finding]) -> String {
    found
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn find<'a>(found: &'a [Finding], topic: &str) -> &'a Finding {
    found
        .iter()
        .find(|f| f.topic == topic)
        .unwrap_or_else(|| panic!("no {topic} line in:\n{}", lines(found)))
}

#[tokio::test]
async fn a_running_server_checks_out() {
    let app = spawn_app_with(&[("PIPHONE_PUBLIC_URL", "https://localhost:9")]).await;
    let mut settings = (*app.state.settings).clone();
    settings.listen = app.url.trim_start_matches("http://").parse().unwrap();
    #[cfg(unix)]
    {
        // The test's temporary directory was made before piphone could make it private.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&settings.data_dir, std::fs::Permissions::from_mode(0o700))
            .unwrap();
    }
    let found = checks(&settings, &[]).await;
    let report = lines(&found);
    assert_eq!(find(&found, "server").level, Level::Ok, "{report}");
    assert!(
        find(&found, "server").detail.contains("twilio mode"),
        "{report}"
    );
    assert_eq!(find(&found, "data directory").level, Level::Ok, "{report}");
    assert_eq!(
        find(&found, "TLS").level,
        Level::Warn,
        "TLS off is a warning: {report}"
    );
    let kiosk = find(&found, "kiosk");
    assert_eq!(kiosk.level, Level::Warn, "no kiosk page: {report}");
    assert_eq!(
        find(&found, "public URL").level,
        Level::Warn,
        "unreachable from here is a warning: {report}"
    );
    assert!(
        found
            .iter()
            .all(|f| f.level != Level::Fail || f.topic == "chromium"),
        "{report}"
    );
}

#[tokio::test]
async fn expired_certificates_open_secrets_and_bad_settings_fail() {
    let dir = tempfile::tempdir().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_before = time::macros::datetime!(2020-01-01 00:00:00 UTC);
    params.not_after = time::macros::datetime!(2021-01-01 00:00:00 UTC);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let secret = data.join("control.secret");
    std::fs::write(&secret, "x".repeat(43)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let env: BTreeMap<String, String> = [
        ("PIPHONE_LISTEN", "127.0.0.1:9"),
        ("PIPHONE_DATA_DIR", data.to_str().unwrap()),
        ("PIPHONE_TLS_CERT", cert_path.to_str().unwrap()),
        ("PIPHONE_TLS_KEY", key_path.to_str().unwrap()),
        ("PIPHONE_CALLER_ID", "12"),
        ("PIPHONE_KIOSK_CHROMIUM", "/nonexistent/chromium"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (settings, warnings) = Settings::from_sources(&env).unwrap();
    let found = checks(&settings, &warnings).await;
    let report = lines(&found);
    let fails: Vec<&Finding> = found.iter().filter(|f| f.level == Level::Fail).collect();
    for (topic, says) in [
        ("TLS", "expired on 2021-01-01"),
        ("data directory", "readable by other users"),
        ("settings", "PIPHONE_CALLER_ID"),
        ("chromium", "/nonexistent/chromium"),
    ] {
        assert!(
            fails
                .iter()
                .any(|f| f.topic == topic && f.detail.contains(says)),
            "FAIL {topic}: …{says}… in:\n{report}"
        );
    }
    assert_eq!(
        find(&found, "server").level,
        Level::Warn,
        "not running: {report}"
    );
}
