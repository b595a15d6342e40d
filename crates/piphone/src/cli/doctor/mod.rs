//! `piphone doctor`: checks an installation the way an operator would, one line each —
//! `OK`, `WARN` (works, but look) or `FAIL` (will not work) — and exits 1 when anything FAILs.
//!
//! * `local` — settings, data directory, TLS certificate, the running server, the kiosk page.
//! * `machine` — Chromium, sound cards (`arecord -l` / `aplay -l`), the clock.
//! * `studio` — the sound devices of the studio hybrid and of the stream phone, when they are in use.
//! * `public` — what can be checked of `PIPHONE_PUBLIC_URL` from here (scheme, DNS, a trusted certificate).
//! * `account` — the live Twilio account: API key, TwiML App and number webhooks (`piphone twilio setup` fixes them).

mod account;
mod cert;
mod local;
mod machine;
mod public;
mod studio;

use std::fmt;
use std::process::ExitCode;

use crate::settings::{Settings, SettingsError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Ok => "OK  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        })
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub topic: &'static str,
    pub detail: String,
}

impl Finding {
    pub fn ok(topic: &'static str, detail: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            topic,
            detail: detail.into(),
        }
    }
    pub fn warn(topic: &'static str, detail: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warn,
            topic,
            detail: detail.into(),
        }
    }
    pub fn fail(topic: &'static str, detail: impl Into<String>) -> Finding {
        Finding {
            level: Level::Fail,
            topic,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.level, self.topic, self.detail)
    }
}

/// Every check, in the order an operator would fix things.
pub async fn checks(settings: &Settings, warnings: &[String]) -> Vec<Finding> {
    crate::tls::install_crypto_provider();
    let mut found = local::settings(settings, warnings);
    found.push(local::data_dir(settings));
    found.push(local::tls(settings));
    let server_up = local::server(settings, &mut found).await;
    if server_up {
        found.push(local::kiosk(settings).await);
    }
    found.push(machine::chromium(settings).await);
    found.extend(machine::sound_cards().await);
    found.extend(studio::devices(settings));
    found.extend(machine::clock().await);
    found.extend(public::public_url(settings).await);
    found.extend(account::account(settings).await);
    found
}

/// Prints the report; the exit code is 1 when anything FAILed.
pub async fn run(loaded: Result<(Settings, Vec<String>), SettingsError>) -> ExitCode {
    let found = match loaded {
        Ok((settings, warnings)) => checks(&settings, &warnings).await,
        Err(e) => vec![Finding::fail("settings", e.to_string())],
    };
    for f in &found {
        println!("{f}");
    }
    let worst = found.iter().map(|f| f.level).max().unwrap_or(Level::Ok);
    let count = |l: Level| found.iter().filter(|f| f.level == l).count();
    println!(
        "\n{} OK, {} WARN, {} FAIL",
        count(Level::Ok),
        count(Level::Warn),
        count(Level::Fail)
    );
    if worst == Level::Fail {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
