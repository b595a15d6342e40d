//! Checks of piphone itself on this machine: settings, data directory, certificate, server, kiosk page.

use std::path::Path;
use std::time::Duration;

use time::OffsetDateTime;

use super::Finding;
use crate::cli::kiosk::client::{Answer, Control, LocalServer};
use crate::settings::{Settings, TlsMode};

pub fn settings(settings: &Settings, warnings: &[String]) -> Vec<Finding> {
    let mode = if settings.sandbox() {
        "sandbox mode (no Twilio credentials: calls are simulated)"
    } else {
        "Twilio mode"
    };
    let from = settings
        .config_file
        .as_ref()
        .map_or_else(|| "environment".to_owned(), |p| p.display().to_string());
    let mut found = vec![Finding::ok(
        "settings",
        format!("{mode}, listening on {}, from {from}", settings.listen),
    )];
    found.extend(
        warnings
            .iter()
            .map(|w| Finding::warn("settings", w.clone())),
    );
    found.extend(
        settings
            .problems()
            .into_iter()
            .map(|p| Finding::fail("settings", p)),
    );
    if settings.listen.port() == 0 {
        found.push(Finding::warn(
            "settings",
            "PIPHONE_LISTEN has port 0: the command line and the kiosk cannot find the server",
        ));
    }
    found
}

#[cfg(unix)]
fn mode_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_of(_: &Path) -> Option<u32> {
    None
}

pub fn data_dir(settings: &Settings) -> Finding {
    let dir = &settings.data_dir;
    if !dir.is_dir() {
        return Finding::warn(
            "data directory",
            format!(
                "{} does not exist yet (the server makes it on first start)",
                dir.display()
            ),
        );
    }
    let probe = dir.join(".doctor-probe");
    let writable = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    if !writable {
        return Finding::fail(
            "data directory",
            format!(
                "{} is not writable by this user (run as the service's user, e.g. `sudo -u piphone piphone doctor`)",
                dir.display()
            ),
        );
    }
    let open_secrets: Vec<String> = [
        "sandbox.json",
        crate::kiosk::control::FILE_NAME,
        "tls/key.pem",
    ]
    .iter()
    .map(|name| dir.join(name))
    .filter(|p| mode_of(p).is_some_and(|m| m & 0o077 != 0))
    .map(|p| p.display().to_string())
    .collect();
    if !open_secrets.is_empty() {
        return Finding::fail(
            "data directory",
            format!(
                "secrets readable by other users: {} (chmod 600 them)",
                open_secrets.join(", ")
            ),
        );
    }
    match mode_of(dir) {
        Some(m) if m & 0o077 != 0 => Finding::warn(
            "data directory",
            format!(
                "{} is open to other users (mode {m:o}); chmod 700 it",
                dir.display()
            ),
        ),
        _ => Finding::ok(
            "data directory",
            format!("{} (writable, private)", dir.display()),
        ),
    }
}

pub fn tls(settings: &Settings) -> Finding {
    let Some(path) = crate::tls::certificate_path(settings) else {
        return Finding::warn(
            "TLS",
            "off (PIPHONE_TLS=off): browsers allow the microphone only over HTTPS, so put a TLS proxy in front",
        );
    };
    let cert = match crate::tls::first_certificate(&path) {
        Ok(c) => c,
        Err(_) if settings.tls == TlsMode::SelfSigned => {
            return Finding::warn(
                "TLS",
                format!(
                    "no certificate at {} yet (the server makes a self-signed one on first start)",
                    path.display()
                ),
            );
        }
        Err(e) => return Finding::fail("TLS", format!("{e:#}")),
    };
    let kind = match settings.tls {
        TlsMode::SelfSigned => "self-signed certificate (browsers ask once to accept it)",
        _ => "certificate",
    };
    match super::cert::validity(cert.as_ref()) {
        None => Finding::warn(
            "TLS",
            format!("{kind} {}: cannot read its validity period", path.display()),
        ),
        Some((_, until)) if until < OffsetDateTime::now_utc() => Finding::fail(
            "TLS",
            format!("{kind} {} expired on {}", path.display(), until.date()),
        ),
        Some((_, until)) if until < OffsetDateTime::now_utc() + time::Duration::days(14) => {
            Finding::warn(
                "TLS",
                format!(
                    "{kind} {} expires on {}: renew it",
                    path.display(),
                    until.date()
                ),
            )
        }
        Some((_, until)) => Finding::ok(
            "TLS",
            format!("{kind} {}, valid until {}", path.display(), until.date()),
        ),
    }
}

/// Whether the server answers on this machine; pushes what was found.
pub async fn server(settings: &Settings, found: &mut Vec<Finding>) -> bool {
    let server = match LocalServer::new(settings) {
        Ok(s) => s,
        Err(e) => {
            found.push(Finding::warn("server", format!("{e:#}")));
            return false;
        }
    };
    let answer = server
        .http
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    match answer {
        Ok(res) if res.status().is_success() => {
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            found.push(Finding::ok(
                "server",
                format!(
                    "{} answers ({} mode, version {})",
                    server.base,
                    body["mode"].as_str().unwrap_or("?"),
                    body["version"].as_str().unwrap_or("?")
                ),
            ));
            true
        }
        Ok(res) => {
            found.push(Finding::fail(
                "server",
                format!("{} answered {}", server.base, res.status()),
            ));
            false
        }
        Err(e) if e.is_connect() => {
            found.push(Finding::warn(
                "server",
                format!(
                    "nothing listens on {} (is `piphone serve` / piphone.service running?)",
                    server.base
                ),
            ));
            false
        }
        Err(e) => {
            found.push(Finding::fail(
                "server",
                format!(
                    "{} does not answer as this installation's server: {} (another program on the port, or \
                     a different data directory?)",
                    server.base,
                    error_chain(&e)
                ),
            ));
            false
        }
    }
}

pub async fn kiosk(settings: &Settings) -> Finding {
    let control = match Control::new(settings) {
        Ok(c) => c,
        Err(e) => return Finding::warn("kiosk", format!("{e:#}")),
    };
    match control.status().await {
        Ok(Answer::Done(s)) if s.connected => {
            let phone = s
                .phone
                .map(|p| format!("{} — {}", p.state, p.text))
                .unwrap_or_else(|| "starting".into());
            Finding::ok(
                "kiosk",
                format!(
                    "page connected as {}, phone {phone}",
                    s.identity.unwrap_or_default()
                ),
            )
        }
        Ok(Answer::Done(_)) => Finding::warn(
            "kiosk",
            "no kiosk page connected (start `piphone kiosk` or piphone-kiosk.service if you want one)",
        ),
        Ok(Answer::Refused(status, message)) => Finding::fail(
            "kiosk",
            format!("the server refused the control secret ({status}: {message})"),
        ),
        Err(e) => Finding::warn("kiosk", format!("{e:#}")),
    }
}

/// An error with its sources, for one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
