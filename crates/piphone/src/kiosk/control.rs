//! The local control secret: how `piphone call`, `piphone status`… prove to the server that they run on this
//! machine with access to its data directory. 32 random bytes in `<data_dir>/control.secret` (mode 0600), made by
//! the server at start, sent by the command line as `Authorization: Bearer …`, compared in constant time.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::Secret;

/// The file name inside the data directory.
pub const FILE_NAME: &str = "control.secret";

/// The secret itself; `Debug` never shows it.
#[derive(Debug, Clone)]
pub struct ControlSecret(Secret);

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

impl ControlSecret {
    /// The server's side: reads the secret, or makes it on first start.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<ControlSecret> {
        let file = path(data_dir);
        if file.exists() {
            return Self::load(data_dir);
        }
        let (secret, _) = crate::auth::session::new_token();
        crate::fsutil::write_private(&file, format!("{secret}\n").as_bytes())?;
        tracing::info!(path = %file.display(), "made the local control secret");
        Ok(ControlSecret(Secret::new(secret)))
    }

    /// The command line's side: the secret the server made.
    pub fn load(data_dir: &Path) -> anyhow::Result<ControlSecret> {
        let file = path(data_dir);
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "reading {} (has `piphone serve` run with this data directory, and may this user read it?)",
                file.display()
            )
        })?;
        let secret = text.trim();
        anyhow::ensure!(secret.len() >= 32, "{} is too short", file.display());
        Ok(ControlSecret(Secret::new(secret)))
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.0.expose())
    }

    /// Whether an `Authorization` header value carries this secret. Digests are compared, so neither the
    /// length nor the content of the secret shows in the timing.
    pub fn accepts(&self, authorization: &str) -> bool {
        let Some(presented) = authorization.strip_prefix("Bearer ") else {
            return false;
        };
        let a = Sha256::digest(presented.trim().as_bytes());
        let b = Sha256::digest(self.0.expose().as_bytes());
        a.ct_eq(&b).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let made = ControlSecret::load_or_create(dir.path()).unwrap();
        let read = ControlSecret::load(dir.path()).unwrap();
        assert!(made.accepts(&read.bearer()));
        assert!(
            ControlSecret::load_or_create(dir.path())
                .unwrap()
                .accepts(&made.bearer()),
            "kept across restarts"
        );
        assert!(!made.accepts("Bearer nope"));
        assert!(!made.accepts(made.bearer().trim_start_matches("Bearer ")));
        assert!(!format!("{made:?}").contains(made.bearer().trim_start_matches("Bearer ")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(dir.path()))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
