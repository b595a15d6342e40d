//! Settings, layered: built-in defaults → `piphone.toml` → environment (the environment wins).
//!
//! Everything is validated here, once, into typed values; the rest of piphone never reads the environment.
//! A leaf of the app: settings import nothing of piphone but its domain types.
//!
//! * [`names`] — the one list of setting names (environment variable, file key, Twilio's usual name).
//! * [`sources`] — environment over file, one rule for empty values, and which source supplied each value.
//! * [`callin`], [`kiosk`], [`hybrid`], [`credentials`] — the call-in, kiosk and studio hybrid sections, the Twilio
//!   credentials.
//! * `problems` — what is wrong with settings that parsed (`config check`, `doctor`); `report` — the listing.
//!
//! Secrets live in [`Secret`], whose `Debug` and `Display` never print the value.

pub mod callin;
pub mod credentials;
pub mod hybrid;
pub mod kiosk;
pub mod names;
mod problems;
mod report;
mod secret;
pub mod sources;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use url::Url;

pub use callin::{CallinSettings, Greeting, IncomingMode};
pub use credentials::TwilioSettings;
pub use hybrid::HybridSettings;
pub use kiosk::KioskSettings;
pub use report::ReportLine;
pub use secret::Secret;
pub use sources::{Origin, Origins};

use sources::Sources;

/// How the listener speaks TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    /// A self-signed certificate made once in the data directory (the default: microphones need HTTPS on a LAN).
    SelfSigned,
    /// Certificate and key files given by the operator.
    Files { cert: PathBuf, key: PathBuf },
    /// Plain HTTP, for running behind a TLS-terminating proxy.
    Off,
}

/// The effective settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    /// The https base URL Twilio reaches; webhook signatures are checked against it. `None`: derived from the
    /// listener's bound address at start-up.
    pub public_url: Option<Url>,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub tls: TlsMode,
    /// `None` → sandbox mode.
    pub twilio: Option<TwilioSettings>,
    pub twilio_api_url: Url,
    pub caller_id: Option<String>,
    pub default_number: Option<String>,
    /// ISO 3166 alpha-2 codes that may be dialled; empty → the caller ID's country.
    pub dial_countries: Vec<String>,
    pub admin_password: Option<Secret>,
    /// Sandbox timing factor (10 = ten times faster than real time).
    pub sandbox_speed: f64,
    /// Base URL of a sandbox running as its own process (`piphone sandbox serve`); `None`: in sandbox mode the
    /// sandbox runs inside piphone.
    pub sandbox_url: Option<Url>,
    /// Toll-fraud limits per user: calls dialled in 24 hours, and calls live at once.
    pub max_calls_per_day: u32,
    pub max_concurrent_calls: u32,
    /// Where the settings file was read from, if one was.
    pub config_file: Option<PathBuf>,
    /// The radio call-in: queue, greeting, hold music, incoming mode.
    pub callin: CallinSettings,
    /// The kiosk browser (`piphone kiosk`): its user, Chromium, auto-answer.
    pub kiosk: KioskSettings,
    /// The studio hybrid (`PIPHONE_ONAIR=hybrid`): lines, hold, outputs, sound devices.
    pub hybrid: HybridSettings,
    /// Which source supplied each value (`config check` prints it).
    pub origins: Origins,
}

/// A setting that could not be used, with the name the operator wrote.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read settings file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("settings file {path} is not valid TOML: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(
        "Twilio credentials are incomplete: {missing} missing (set: {given}); set all of \
         PIPHONE_TWILIO_ACCOUNT_SID, PIPHONE_TWILIO_AUTH_TOKEN, PIPHONE_TWILIO_API_KEY_SID, \
         PIPHONE_TWILIO_API_KEY_SECRET, PIPHONE_TWILIO_APP_SID (or Twilio's TWILIO_* names), or none of them for \
         sandbox mode"
    )]
    IncompleteTwilio {
        /// The `PIPHONE_…` names of the missing credentials.
        missing: String,
        /// Where the credentials that are set came from: environment variables, or the settings file's keys.
        given: String,
    },
}

pub(crate) fn invalid(name: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        name,
        message: message.into(),
    }
}

/// Parses a present value, naming the setting when it does not parse.
pub(crate) fn parse_as<T: std::str::FromStr>(
    name: &'static str,
    raw: &str,
    what: &str,
) -> Result<T, SettingsError> {
    raw.parse()
        .map_err(|_| invalid(name, format!("{raw:?} is not {what}")))
}

/// `true`/`false` in the usual spellings.
pub(crate) fn parse_bool(name: &'static str, raw: &str) -> Result<bool, SettingsError> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, format!("{raw:?}: use true or false"))),
    }
}

impl Settings {
    /// Loads from the process environment (and the file it names, or `./piphone.toml` when present).
    pub fn load() -> Result<(Settings, Vec<String>), SettingsError> {
        Self::from_sources(&process_env())
    }

    /// Loads from an explicit environment map; returns the settings and warnings (unknown keys, file mode).
    pub fn from_sources(
        env: &BTreeMap<String, String>,
    ) -> Result<(Settings, Vec<String>), SettingsError> {
        let mut warnings = Vec::new();
        let mut src = Sources::new(env);
        let config_file = Some(settings_file_path(&mut src))
            .filter(|p| src.origin("PIPHONE_CONFIG") != Origin::Default || p.exists());
        if let Some(path) = &config_file {
            src.set_file(read_file(path, &mut warnings)?);
        }
        let (unknown_env, unknown_keys) = src.unknown();
        for key in unknown_env {
            warnings.push(format!("unknown environment variable {key} ignored"));
        }
        if let Some(path) = &config_file {
            for key in unknown_keys {
                warnings.push(format!("unknown key {key:?} in {} ignored", path.display()));
            }
        }

        let listen_raw = src
            .get("PIPHONE_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8443".into());
        let listen = listen_raw.parse::<SocketAddr>().map_err(|e| {
            invalid(
                "PIPHONE_LISTEN",
                format!("{listen_raw:?} is not an address:port ({e})"),
            )
        })?;

        let public_url = public_url(&mut src)?;
        let data_dir = data_dir(&mut src);
        let database_url = src
            .get("PIPHONE_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("piphone.sqlite").display()));
        if !database_url.starts_with("sqlite:") {
            return Err(invalid(
                "PIPHONE_DATABASE_URL",
                "only sqlite: URLs are supported by this build",
            ));
        }

        let tls = tls_mode(&mut src)?;
        let twilio = TwilioSettings::from_sources(&mut src)?;

        let twilio_api_url = twilio_api_url(&mut src)?;

        let dial_countries = dial_countries(src.get("PIPHONE_DIAL_COUNTRIES"))?;

        let sandbox_speed = match src.get("PIPHONE_SANDBOX_SPEED") {
            Some(raw) => parse_as("PIPHONE_SANDBOX_SPEED", &raw, "a number")?,
            None => 1.0,
        };
        if !(0.1..=1000.0).contains(&sandbox_speed) {
            return Err(invalid(
                "PIPHONE_SANDBOX_SPEED",
                "must be between 0.1 and 1000",
            ));
        }

        let sandbox_url = src
            .get("PIPHONE_SANDBOX_URL")
            .map(|raw| parse_sandbox_url(&raw, twilio.is_some()))
            .transpose()?;

        let mut count = |name: &'static str, default: u32| match src.get(name) {
            Some(raw) => parse_as(name, &raw, "a whole number"),
            None => Ok(default),
        };
        let max_calls_per_day = count("PIPHONE_MAX_CALLS_PER_DAY", 100)?;
        let max_concurrent_calls = count("PIPHONE_MAX_CONCURRENT_CALLS", 2)?;

        let caller_id = src.get("PIPHONE_CALLER_ID");
        let default_number = src.get("PIPHONE_DEFAULT_NUMBER");
        let admin_password = src.get("PIPHONE_ADMIN_PASSWORD").map(Secret::new);
        let callin = CallinSettings::from_sources(&mut src)?;
        let kiosk = KioskSettings::from_sources(&mut src)?;
        let hybrid = HybridSettings::from_sources(&mut src)?;

        Ok((
            Settings {
                listen,
                public_url,
                data_dir,
                database_url,
                tls,
                twilio,
                twilio_api_url,
                caller_id,
                default_number,
                dial_countries,
                admin_password,
                sandbox_speed,
                sandbox_url,
                max_calls_per_day,
                max_concurrent_calls,
                config_file,
                callin,
                kiosk,
                hybrid,
                origins: src.into_origins(),
            },
            warnings,
        ))
    }

    pub fn sandbox(&self) -> bool {
        self.twilio.is_none()
    }
}

/// What `piphone twilio setup` and `teardown` start from: the account SID and auth token (the other three
/// credentials are what setup makes, so [`Settings`] would refuse them as incomplete), the public URL and where
/// things are kept, read from the same sources under the same rules.
#[derive(Debug, Clone)]
pub struct SetupSettings {
    pub account_sid: Option<String>,
    pub auth_token: Option<Secret>,
    pub public_url: Option<Url>,
    pub data_dir: PathBuf,
    /// The settings file setup writes: `PIPHONE_CONFIG`, else `./piphone.toml` (created when missing).
    pub settings_file: PathBuf,
    pub twilio_api_url: Url,
    pub caller_id: Option<String>,
    /// Which source supplied each value.
    pub origins: Origins,
}

impl SetupSettings {
    /// Loads from the process environment and the settings file, if there is one.
    pub fn load() -> Result<(SetupSettings, Vec<String>), SettingsError> {
        Self::from_sources(&process_env())
    }

    /// Loads from an explicit environment map; returns the values and warnings (file mode).
    pub fn from_sources(
        env: &BTreeMap<String, String>,
    ) -> Result<(SetupSettings, Vec<String>), SettingsError> {
        let mut warnings = Vec::new();
        let mut src = Sources::new(env);
        let settings_file = settings_file_path(&mut src);
        if settings_file.exists() {
            src.set_file(read_file(&settings_file, &mut warnings)?);
        }
        let settings = SetupSettings {
            account_sid: src.get("PIPHONE_TWILIO_ACCOUNT_SID"),
            auth_token: src.get("PIPHONE_TWILIO_AUTH_TOKEN").map(Secret::new),
            public_url: public_url(&mut src)?,
            data_dir: data_dir(&mut src),
            settings_file,
            twilio_api_url: twilio_api_url(&mut src)?,
            caller_id: src.get("PIPHONE_CALLER_ID"),
            origins: src.into_origins(),
        };
        Ok((settings, warnings))
    }
}

/// The `PIPHONE_…` variables and Twilio's usual names, from the process environment.
fn process_env() -> BTreeMap<String, String> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("PIPHONE_") || names::by_env(k).is_some())
        .collect()
}

/// `PIPHONE_CONFIG`, else `./piphone.toml` (which may not exist).
fn settings_file_path(src: &mut Sources<'_>) -> PathBuf {
    PathBuf::from(
        src.get("PIPHONE_CONFIG")
            .unwrap_or_else(|| "piphone.toml".into()),
    )
}

fn public_url(src: &mut Sources<'_>) -> Result<Option<Url>, SettingsError> {
    src.get("PIPHONE_PUBLIC_URL")
        .map(|raw| parse_public_url(&raw))
        .transpose()
}

fn data_dir(src: &mut Sources<'_>) -> PathBuf {
    PathBuf::from(src.get("PIPHONE_DATA_DIR").unwrap_or_else(default_data_dir))
}

fn twilio_api_url(src: &mut Sources<'_>) -> Result<Url, SettingsError> {
    let raw = src
        .get("PIPHONE_TWILIO_API_URL")
        .unwrap_or_else(|| "https://api.twilio.com".into());
    Url::parse(&raw).map_err(|e| invalid("PIPHONE_TWILIO_API_URL", format!("{raw:?}: {e}")))
}

fn tls_mode(src: &mut Sources<'_>) -> Result<TlsMode, SettingsError> {
    let switch = src.get("PIPHONE_TLS").map(|v| v.to_ascii_lowercase());
    let (cert, key) = (src.get("PIPHONE_TLS_CERT"), src.get("PIPHONE_TLS_KEY"));
    match switch.as_deref() {
        Some("off" | "false" | "0") => Ok(TlsMode::Off),
        Some(v) if !matches!(v, "on" | "true" | "1") => Err(invalid(
            "PIPHONE_TLS",
            format!("{v:?}: use \"on\" or \"off\""),
        )),
        _ => match (cert, key) {
            (Some(cert), Some(key)) => Ok(TlsMode::Files {
                cert: cert.into(),
                key: key.into(),
            }),
            (None, None) => Ok(TlsMode::SelfSigned),
            _ => Err(invalid(
                "PIPHONE_TLS_CERT",
                "PIPHONE_TLS_CERT and PIPHONE_TLS_KEY go together",
            )),
        },
    }
}

/// Comma- or space-separated ISO 3166 alpha-2 codes (a file array arrives joined by commas).
fn dial_countries(raw: Option<String>) -> Result<Vec<String>, SettingsError> {
    raw.unwrap_or_default()
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
                Ok(c)
            } else {
                Err(invalid(
                    "PIPHONE_DIAL_COUNTRIES",
                    format!("{c:?} is not an ISO 3166 two-letter country code"),
                ))
            }
        })
        .collect()
}

fn default_data_dir() -> String {
    sources::from_process_env("STATE_DIRECTORY").unwrap_or_else(|| "./data".into())
}

fn read_file(path: &Path, warnings: &mut Vec<String>) -> Result<toml::Table, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::ReadFile {
        path: path.into(),
        source,
    })?;
    warn_if_readable_by_others(path, warnings);
    text.parse::<toml::Table>()
        .map_err(|e| SettingsError::ParseFile {
            path: path.into(),
            message: e.message().to_owned(),
        })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, warnings: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o004 != 0
    {
        warnings.push(format!(
            "{} is readable by other users; it may hold secrets: chmod 600 it",
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path, _: &mut Vec<String>) {}

/// `PIPHONE_SANDBOX_URL`: an http(s) base URL, and only in sandbox mode.
fn parse_sandbox_url(raw: &str, twilio: bool) -> Result<Url, SettingsError> {
    let name = "PIPHONE_SANDBOX_URL";
    if twilio {
        return Err(invalid(
            name,
            "set with Twilio credentials; a sandbox is only used without them",
        ));
    }
    let url = Url::parse(raw).map_err(|e| invalid(name, format!("{raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(name, format!("{raw:?} is not an http(s) base URL")));
    }
    Ok(url)
}

fn parse_public_url(raw: &str) -> Result<Url, SettingsError> {
    let url =
        Url::parse(raw).map_err(|e| invalid("PIPHONE_PUBLIC_URL", format!("{raw:?}: {e}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(invalid(
            "PIPHONE_PUBLIC_URL",
            format!("{raw:?} must be an https:// URL"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "PIPHONE_PUBLIC_URL",
            "must be a base URL without query or fragment",
        ));
    }
    Ok(url)
}
