//! The kiosk's Chromium: which binary, which flags, and the private start page that carries the login link.
//!
//! The link is written to a file in the (owner-only) data directory and opened as `file://…/start.html`, which
//! redirects to it: a token on Chromium's command line would be visible to every local user in `ps`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use url::Url;

use crate::settings::KioskSettings;

/// Binaries tried, in order, when `PIPHONE_KIOSK_CHROMIUM` is not set.
pub const CANDIDATES: &[&str] = &["chromium", "chromium-browser", "google-chrome", "chrome"];

/// The Chromium to run: the configured one, or the first candidate on `PATH`.
pub fn find_chromium(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = configured {
        anyhow::ensure!(
            path.is_file(),
            "PIPHONE_KIOSK_CHROMIUM: {} does not exist",
            path.display()
        );
        return Ok(path.to_owned());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    CANDIDATES
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .with_context(|| {
            format!(
                "no Chromium found (looked for {} on PATH); install it (`sudo apt install chromium`) or set \
                 PIPHONE_KIOSK_CHROMIUM",
                CANDIDATES.join(", ")
            )
        })
}

/// Where the kiosk keeps its browser profile, start page and pid file: `<data_dir>/kiosk/`.
pub fn kiosk_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("kiosk")
}

/// The pid of the running Chromium, for operators and tests (`kill $(cat …/kiosk/chromium.pid)`).
pub fn pid_file(data_dir: &Path) -> PathBuf {
    kiosk_dir(data_dir).join("chromium.pid")
}

/// A fresh, empty profile directory (no stale session, no "restore pages?" prompt) and a start page that
/// redirects to `link`. Returns `(profile_dir, start_page)`.
pub fn prepare(data_dir: &Path, link: &Url) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = kiosk_dir(data_dir);
    crate::fsutil::ensure_private_dir(&dir)?;
    let profile = dir.join("profile");
    if profile.exists() {
        std::fs::remove_dir_all(&profile)
            .with_context(|| format!("clearing the old browser profile {}", profile.display()))?;
    }
    std::fs::create_dir_all(&profile)
        .with_context(|| format!("creating the browser profile {}", profile.display()))?;
    let start = dir.join("start.html");
    let target = html_attribute(link.as_str());
    let html = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>piphone kiosk</title>\
         <meta http-equiv=\"refresh\" content=\"0;url={target}\">"
    );
    crate::fsutil::write_private(&start, html.as_bytes())?;
    Ok((profile, start))
}

fn html_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// Chromium's arguments for the kiosk.
pub struct Launch<'a> {
    pub settings: &'a KioskSettings,
    pub profile: &'a Path,
    pub start_page: &'a Path,
    /// The server certificate's SPKI hash (see [`super::pin`]); `None` for plain HTTP.
    pub spki_pin: Option<&'a str>,
    /// Chromium refuses to run as root unless its sandbox is off.
    pub as_root: bool,
}

impl Launch<'_> {
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            format!("--user-data-dir={}", self.profile.display()),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-translate".into(),
            "--noerrdialogs".into(),
            "--password-store=basic".into(),
            // The phone must keep running with nobody looking at it.
            "--disable-background-timer-throttling".into(),
            "--disable-renderer-backgrounding".into(),
            "--disable-backgrounding-occluded-windows".into(),
            // Grant the microphone without a prompt, and let ringtones play without a click.
            "--use-fake-ui-for-media-stream".into(),
            "--autoplay-policy=no-user-gesture-required".into(),
        ];
        if self.settings.headless {
            args.extend(["--headless".into(), "--disable-gpu".into()]);
        } else {
            args.extend(["--kiosk".into(), "--start-fullscreen".into()]);
        }
        if let Some(pin) = self.spki_pin {
            args.push(format!("--ignore-certificate-errors-spki-list={pin}"));
        }
        if self.as_root {
            args.push("--no-sandbox".into());
        }
        args.extend(self.settings.chromium_flags.iter().cloned());
        args.push(
            Url::from_file_path(self.start_page)
                .map(String::from)
                .unwrap_or_else(|()| self.start_page.display().to_string()),
        );
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_page_redirects_to_the_link_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let link = Url::parse("https://127.0.0.1:8443/login/kiosk?token=abc_DEF-1").unwrap();
        let (profile, start) = prepare(dir.path(), &link).unwrap();
        assert!(profile.is_dir());
        let html = std::fs::read_to_string(&start).unwrap();
        assert!(
            html.contains("url=https://127.0.0.1:8443/login/kiosk?token=abc_DEF-1\""),
            "{html}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&start).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A second start gets an empty profile again.
        std::fs::write(profile.join("Cookies"), b"old").unwrap();
        let (profile, _) = prepare(dir.path(), &link).unwrap();
        assert!(!profile.join("Cookies").exists());
    }

    #[test]
    fn the_token_is_not_on_the_command_line() {
        let settings = KioskSettings {
            chromium_flags: vec!["--use-fake-device-for-media-stream".into()],
            ..KioskSettings::default()
        };
        let args = Launch {
            settings: &settings,
            profile: Path::new("/data/kiosk/profile"),
            start_page: Path::new("/data/kiosk/start.html"),
            spki_pin: Some("AAAA"),
            as_root: false,
        }
        .args();
        assert!(args.contains(&"--headless".to_owned()));
        assert!(args.contains(&"--ignore-certificate-errors-spki-list=AAAA".to_owned()));
        assert!(args.contains(&"--use-fake-device-for-media-stream".to_owned()));
        assert!(!args.contains(&"--no-sandbox".to_owned()));
        assert!(!args.iter().any(|a| a.contains("token")), "{args:?}");
        assert_eq!(args.last().unwrap(), "file:///data/kiosk/start.html");
    }
}
