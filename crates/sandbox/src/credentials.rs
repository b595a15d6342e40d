//! The sandbox's own "Twilio account": SIDs and secrets generated once and kept in
//! `<data_dir>/sandbox.json` (mode 0600) so tokens and webhook signatures survive restarts.

use std::fmt;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ids;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "sandbox.json";

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub account_sid: String,
    pub auth_token: String,
    pub api_key_sid: String,
    pub api_key_secret: String,
    pub app_sid: String,
    pub station_number: String,
}

impl Credentials {
    /// Fresh random credentials of Twilio's shape (`AC`/`SK`/`AP` + 32 hex, 32-hex secrets).
    pub fn generate() -> Credentials {
        Credentials {
            account_sid: ids::sid("AC"),
            auth_token: ids::hex32(),
            api_key_sid: ids::sid("SK"),
            api_key_secret: ids::hex32(),
            app_sid: ids::sid("AP"),
            station_number: "+15005550100".to_owned(),
        }
    }

    /// Reads `<data_dir>/sandbox.json`; `None` when it does not exist yet.
    pub fn load(data_dir: &Path) -> io::Result<Option<Credentials>> {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads `<data_dir>/sandbox.json`, or creates it (mode 0600) on first use.
    pub fn load_or_create(data_dir: &Path) -> io::Result<Credentials> {
        if let Some(creds) = Credentials::load(data_dir)? {
            return Ok(creds);
        }
        std::fs::create_dir_all(data_dir)?;
        let creds = Credentials::generate();
        let json = serde_json::to_vec_pretty(&creds).map_err(io::Error::other)?;
        write_private(&data_dir.join(FILE_NAME), &json)?;
        Ok(creds)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::write(path, bytes)
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("api_key_sid", &self.api_key_sid)
            .field("api_key_secret", &"[redacted]")
            .field("app_sid", &self.app_sid)
            .field("station_number", &self.station_number)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Credentials::load(dir.path()).unwrap().is_none());
        let a = Credentials::load_or_create(dir.path()).unwrap();
        let b = Credentials::load_or_create(dir.path()).unwrap();
        assert_eq!(a, b);
        for (sid, prefix) in [
            (&a.account_sid, "AC"),
            (&a.api_key_sid, "SK"),
            (&a.app_sid, "AP"),
        ] {
            assert!(sid.starts_with(prefix) && sid.len() == 34, "{sid}");
        }
        assert_eq!(a.auth_token.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE_NAME))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let debug = format!("{a:?}");
        assert!(!debug.contains(&a.auth_token) && !debug.contains(&a.api_key_secret));
    }
}
