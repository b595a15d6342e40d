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
