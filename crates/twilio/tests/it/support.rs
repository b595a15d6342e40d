//! Locating the workspace, the reference vectors and external tools.

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `../shared` beside the workspace.
pub fn shared_dir() -> PathBuf {
    workspace_root().join("../shared")
}

/// `$TWILIO_VECTORS`, else `../shared/twilio-reference/vectors.json`.
pub fn vectors_path() -> PathBuf {
    match std::env::var_os("TWILIO_VECTORS") {
        Some(p) => PathBuf::from(p),
        None => shared_dir().join("twilio-reference/vectors.json"),
    }
}

/// An external tool from `env_var`, else `default` under the workspace; panics (fails the test)
/// with instructions when neither exists, so a missing reference never passes silently.
pub fn tool(env_var: &str, default: &str, how: &str) -> PathBuf {
    let path = match std::env::var_os(env_var) {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join(default),
    };
    assert!(
        path.exists(),
        "required test tool missing: {} (set {env_var} or create <workspace>/{default}: {how})",
        path.display()
    );
    path
}

/// The Python interpreter with twilio==9.13.0.
pub fn python() -> PathBuf {
    tool(
        "PIPHONE_TEST_PYTHON",
        ".venv/bin/python",
        "python3 -m venv .venv && .venv/bin/pip install twilio==9.13.0",
    )
}

/// Prism, the validating mock server for OpenAPI descriptions.
pub fn prism() -> PathBuf {
    tool(
        "PIPHONE_PRISM",
        "node_modules/.bin/prism",
        "npm ci (installs @stoplight/prism-cli from package.json)",
    )
}

/// Twilio's OpenAPI description of api.twilio.com 2010-04-01.
pub fn openapi_spec() -> PathBuf {
    shared_dir().join("openapi/twilio_api_v2010.json")
}

pub const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const QUEUE: &str = "QUaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const CALL: &str = "CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const APP: &str = "APaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const NUMBER: &str = "PNaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const KEY: &str = "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A REST client for `base_url` with fast retries; installs the ring provider once.
pub fn rest_client(base_url: &str, auth: twilio::rest::Auth) -> twilio::rest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = twilio::rest::ClientConfig {
        base_url: base_url.to_string(),
        min_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(5),
        timeout: std::time::Duration::from_secs(20),
        ..Default::default()
    };
    twilio::rest::Client::new(ACCOUNT, auth, config).expect("client builds")
}
