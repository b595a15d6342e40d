//! Settings, layered: built-in defaults → `piphone.toml` → `PIPHONE_*` environment (the environment wins).
//!
//! Everything is validated here, once, into typed values; the rest of piphone never reads the environment.
//! Secrets live in [`Secret`], whose `Debug` and `Display` never print the value.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// A value that must never reach logs, pages or error bodies.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself; call only where it is used (signing, verifying, authenticating).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

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

/// Real Twilio credentials. When none are configured piphone runs its sandbox instead.
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    pub api_key_sid: String,
    pub api_key_secret: Secret,
    pub app_sid: String,
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
    pub callin: crate::callin::CallinSettings,
    /// The kiosk browser (`piphone kiosk`): its user, Chromium, auto-answer.
    pub kiosk: crate::kiosk::KioskSettings,
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
        "Twilio credentials are incomplete: {missing} missing (set all of PIPHONE_TWILIO_ACCOUNT_SID, \
         PIPHONE_TWILIO_AUTH_TOKEN, PIPHONE_TWILIO_API_KEY_SID, PIPHONE_TWILIO_API_KEY_SECRET, PIPHONE_TWILIO_APP_SID, \
         or none of them for sandbox mode)"
    )]
    IncompleteTwilio { missing: String },
}

/// The settings file's shape: flat keys named like the environment variables without `PIPHONE_`, lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileSettings {
    listen: Option<String>,
    public_url: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    tls: Option<String>,
    tls_cert: Option<String>,
    tls_key: Option<String>,
    twilio_account_sid: Option<String>,
    twilio_auth_token: Option<String>,
    twilio_api_key_sid: Option<String>,
    twilio_api_key_secret: Option<String>,
    twilio_app_sid: Option<String>,
    twilio_api_url: Option<String>,
    caller_id: Option<String>,
    default_number: Option<String>,
    dial_countries: Option<Vec<String>>,
    admin_password: Option<String>,
    sandbox_speed: Option<f64>,
    sandbox_url: Option<String>,
    max_calls_per_day: Option<u32>,
    max_concurrent_calls: Option<u32>,
    #[serde(flatten)]
    callin: crate::callin::settings::FileCallin,
    kiosk: crate::kiosk::settings::FileKiosk,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// Every environment variable piphone reads, with its settings-file key.
pub const ENV_NAMES: &[&str] = &[
    "PIPHONE_CONFIG",
    "PIPHONE_LOG",
    "PIPHONE_LISTEN",
    "PIPHONE_PUBLIC_URL",
    "PIPHONE_DATA_DIR",
    "PIPHONE_DATABASE_URL",
    "PIPHONE_TLS",
    "PIPHONE_TLS_CERT",
    "PIPHONE_TLS_KEY",
    "PIPHONE_TWILIO_ACCOUNT_SID",
    "PIPHONE_TWILIO_AUTH_TOKEN",
    "PIPHONE_TWILIO_API_KEY_SID",
    "PIPHONE_TWILIO_API_KEY_SECRET",
    "PIPHONE_TWILIO_APP_SID",
    "PIPHONE_TWILIO_API_URL",
    "PIPHONE_CALLER_ID",
    "PIPHONE_DEFAULT_NUMBER",
    "PIPHONE_DIAL_COUNTRIES",
    "PIPHONE_ADMIN_PASSWORD",
    "PIPHONE_SANDBOX_SPEED",
    "PIPHONE_SANDBOX_URL",
    "PIPHONE_MAX_CALLS_PER_DAY",
    "PIPHONE_MAX_CONCURRENT_CALLS",
];

impl Settings {
    /// Loads from the process environment (and the file it names, or `./piphone.toml` when present).
    pub fn load() -> Result<(Settings, Vec<String>), SettingsError> {
        let env: BTreeMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("PIPHONE_"))
            .collect();
        Self::from_sources(&env)
    }

    /// Loads from an explicit environment map; returns the settings and warnings (unknown keys, file mode).
    pub fn from_sources(
        env: &BTreeMap<String, String>,
    ) -> Result<(Settings, Vec<String>), SettingsError> {
        let mut warnings = Vec::new();
        let (file, config_file) = match env.get("PIPHONE_CONFIG") {
            Some(path) => (
                read_file(Path::new(path), &mut warnings)?,
                Some(PathBuf::from(path)),
            ),
            None if Path::new("piphone.toml").exists() => (
                read_file(Path::new("piphone.toml"), &mut warnings)?,
                Some(PathBuf::from("piphone.toml")),
            ),
            None => (FileSettings::default(), None),
        };
        for key in env.keys() {
            if !ENV_NAMES.contains(&key.as_str())
                && !crate::callin::settings::ENV_NAMES.contains(&key.as_str())
                && !key.starts_with("PIPHONE_TEST")
                && !crate::kiosk::settings::ENV_NAMES.contains(&key.as_str())
            {
                warnings.push(format!("unknown environment variable {key} ignored"));
            }
        }
        let pick = |name: &str, from_file: &Option<String>| -> Option<String> {
            env.get(name)
                .cloned()
                .or_else(|| from_file.clone())
                .filter(|v| !v.trim().is_empty())
        };

        let listen_raw =
            pick("PIPHONE_LISTEN", &file.listen).unwrap_or_else(|| "127.0.0.1:8443".into());
        let listen = listen_raw
            .parse::<SocketAddr>()
            .map_err(|e| SettingsError::Invalid {
                name: "PIPHONE_LISTEN",
                message: format!("{listen_raw:?} is not an address:port ({e})"),
            })?;

        let public_url = pick("PIPHONE_PUBLIC_URL", &file.public_url)
            .map(|raw| parse_public_url(&raw))
            .transpose()?;

        let data_dir = PathBuf::from(
            pick("PIPHONE_DATA_DIR", &file.data_dir).unwrap_or_else(default_data_dir),
        );
        let database_url = pick("PIPHONE_DATABASE_URL", &file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("piphone.sqlite").display()));
        if !database_url.starts_with("sqlite:") {
            return Err(SettingsError::Invalid {
                name: "PIPHONE_DATABASE_URL",
                message: "only sqlite: URLs are supported by this build".into(),
            });
        }

        let tls = match pick("PIPHONE_TLS", &file.tls)
            .as_deref()
            .map(str::to_ascii_lowercase)
        {
            Some(v) if v == "off" || v == "false" || v == "0" => TlsMode::Off,
            Some(v) if v != "on" && v != "true" && v != "1" => {
                return Err(SettingsError::Invalid {
                    name: "PIPHONE_TLS",
                    message: format!("{v:?}: use \"on\" or \"off\""),
                });
            }
            _ => match (
                pick("PIPHONE_TLS_CERT", &file.tls_cert),
                pick("PIPHONE_TLS_KEY", &file.tls_key),
            ) {
                (Some(cert), Some(key)) => TlsMode::Files {
                    cert: cert.into(),
                    key: key.into(),
                },
                (None, None) => TlsMode::SelfSigned,
                _ => {
                    return Err(SettingsError::Invalid {
                        name: "PIPHONE_TLS_CERT",
                        message: "PIPHONE_TLS_CERT and PIPHONE_TLS_KEY go together".into(),
                    });
                }
            },
        };

        let twilio = twilio_settings(
            pick("PIPHONE_TWILIO_ACCOUNT_SID", &file.twilio_account_sid),
            pick("PIPHONE_TWILIO_AUTH_TOKEN", &file.twilio_auth_token),
            pick("PIPHONE_TWILIO_API_KEY_SID", &file.twilio_api_key_sid),
            pick("PIPHONE_TWILIO_API_KEY_SECRET", &file.twilio_api_key_secret),
            pick("PIPHONE_TWILIO_APP_SID", &file.twilio_app_sid),
        )?;

        let api_raw = pick("PIPHONE_TWILIO_API_URL", &file.twilio_api_url)
            .unwrap_or_else(|| "https://api.twilio.com".into());
        let twilio_api_url = Url::parse(&api_raw).map_err(|e| SettingsError::Invalid {
            name: "PIPHONE_TWILIO_API_URL",
            message: format!("{api_raw:?}: {e}"),
        })?;

        let dial_countries = match env.get("PIPHONE_DIAL_COUNTRIES") {
            Some(raw) => raw
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file.dial_countries.clone().unwrap_or_default(),
        };
        let dial_countries = dial_countries
            .into_iter()
            .map(|c| {
                let c = c.trim().to_ascii_uppercase();
                if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()) {
                    Ok(c)
                } else {
                    Err(SettingsError::Invalid {
                        name: "PIPHONE_DIAL_COUNTRIES",
                        message: format!("{c:?} is not an ISO 3166 two-letter country code"),
                    })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;

        let sandbox_speed = match env.get("PIPHONE_SANDBOX_SPEED") {
            Some(raw) => raw.parse::<f64>().map_err(|_| SettingsError::Invalid {
                name: "PIPHONE_SANDBOX_SPEED",
                message: format!("{raw:?} is not a number"),
            })?,
            None => file.sandbox_speed.unwrap_or(1.0),
        };
        if !(0.1..=1000.0).contains(&sandbox_speed) {
            return Err(SettingsError::Invalid {
                name: "PIPHONE_SANDBOX_SPEED",
                message: "must be between 0.1 and 1000".into(),
            });
        }

        let sandbox_url = pick("PIPHONE_SANDBOX_URL", &file.sandbox_url)
            .map(|raw| parse_sandbox_url(&raw, twilio.is_some()))
            .transpose()?;

        let max_calls_per_day = parse_count(
            env,
            "PIPHONE_MAX_CALLS_PER_DAY",
            file.max_calls_per_day,
            100,
        )?;
        let max_concurrent_calls = parse_count(
            env,
            "PIPHONE_MAX_CONCURRENT_CALLS",
            file.max_concurrent_calls,
            2,
        )?;

        let callin = crate::callin::CallinSettings::from_sources(env, &file.callin)?;
        let kiosk = crate::kiosk::KioskSettings::from_sources(env, &file.kiosk)?;

        Ok((
            Settings {
                listen,
                public_url,
                data_dir,
                database_url,
                tls,
                twilio,
                twilio_api_url,
                caller_id: pick("PIPHONE_CALLER_ID", &file.caller_id),
                default_number: pick("PIPHONE_DEFAULT_NUMBER", &file.default_number),
                dial_countries,
                admin_password: pick("PIPHONE_ADMIN_PASSWORD", &file.admin_password)
                    .map(Secret::new),
                sandbox_speed,
                sandbox_url,
                max_calls_per_day,
                max_concurrent_calls,
                config_file,
                callin,
                kiosk,
            },
            warnings,
        ))
    }

    pub fn sandbox(&self) -> bool {
        self.twilio.is_none()
    }

    /// The settings as `config check` prints them: secrets redacted.
    pub fn redacted_lines(&self) -> Vec<(String, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not set)".into());
        let mut lines = vec![
            (
                "mode".into(),
                if self.sandbox() {
                    "sandbox".into()
                } else {
                    "twilio".into()
                },
            ),
            ("listen".into(), self.listen.to_string()),
            (
                "public_url".into(),
                self.public_url
                    .as_ref()
                    .map(Url::to_string)
                    .unwrap_or_else(|| "(derived from the listener)".into()),
            ),
            ("data_dir".into(), self.data_dir.display().to_string()),
            ("database_url".into(), self.database_url.clone()),
            ("tls".into(), format!("{:?}", self.tls)),
            ("twilio_api_url".into(), self.twilio_api_url.to_string()),
            ("caller_id".into(), opt(&self.caller_id)),
            ("default_number".into(), opt(&self.default_number)),
            ("dial_countries".into(), self.dial_countries.join(",")),
            (
                "admin_password".into(),
                self.admin_password
                    .as_ref()
                    .map_or("(not set)".into(), |_| "***".into()),
            ),
            ("sandbox_speed".into(), self.sandbox_speed.to_string()),
            (
                "sandbox_url".into(),
                self.sandbox_url.as_ref().map_or(
                    "(not set: the sandbox runs inside piphone)".into(),
                    Url::to_string,
                ),
            ),
            (
                "max_calls_per_day".into(),
                self.max_calls_per_day.to_string(),
            ),
            (
                "max_concurrent_calls".into(),
                self.max_concurrent_calls.to_string(),
            ),
        ];
        lines.extend(self.callin.lines());
        lines.extend(self.kiosk.lines());
        if let Some(t) = &self.twilio {
            lines.push(("twilio_account_sid".into(), t.account_sid.clone()));
            lines.push(("twilio_auth_token".into(), "***".into()));
            lines.push(("twilio_api_key_sid".into(), t.api_key_sid.clone()));
            lines.push(("twilio_api_key_secret".into(), "***".into()));
            lines.push(("twilio_app_sid".into(), t.app_sid.clone()));
        }
        lines
    }
}

/// `PIPHONE_SANDBOX_URL`: an http(s) base URL, and only in sandbox mode.
fn parse_sandbox_url(raw: &str, twilio: bool) -> Result<Url, SettingsError> {
    let invalid = |message: String| SettingsError::Invalid {
        name: "PIPHONE_SANDBOX_URL",
        message,
    };
    if twilio {
        return Err(invalid(
            "set with Twilio credentials; a sandbox is only used without them".into(),
        ));
    }
    let url = Url::parse(raw).map_err(|e| invalid(format!("{raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(format!("{raw:?} is not an http(s) base URL")));
    }
    Ok(url)
}

fn parse_count(
    env: &BTreeMap<String, String>,
    name: &'static str,
    from_file: Option<u32>,
    default: u32,
) -> Result<u32, SettingsError> {
    match env.get(name) {
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .map_err(|_| SettingsError::Invalid {
                name,
                message: format!("{raw:?} is not a whole number"),
            }),
        None => Ok(from_file.unwrap_or(default)),
    }
}

fn default_data_dir() -> String {
    std::env::var("STATE_DIRECTORY")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "./data".into())
}

fn read_file(path: &Path, warnings: &mut Vec<String>) -> Result<FileSettings, SettingsError> {
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::ReadFile {
        path: path.into(),
        source,
    })?;
    warn_if_readable_by_others(path, warnings);
    let file: FileSettings = toml::from_str(&text).map_err(|e| SettingsError::ParseFile {
        path: path.into(),
        message: e.message().to_owned(),
    })?;
    for key in file.unknown.keys() {
        warnings.push(format!("unknown key {key:?} in {} ignored", path.display()));
    }
    Ok(file)
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

fn parse_public_url(raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw).map_err(|e| SettingsError::Invalid {
        name: "PIPHONE_PUBLIC_URL",
        message: format!("{raw:?}: {e}"),
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(SettingsError::Invalid {
            name: "PIPHONE_PUBLIC_URL",
            message: format!("{raw:?} must be an https:// URL"),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(SettingsError::Invalid {
            name: "PIPHONE_PUBLIC_URL",
            message: "must be a base URL without query or fragment".into(),
        });
    }
    Ok(url)
}

fn check_sid(name: &'static str, value: &str, prefix: &str) -> Result<(), SettingsError> {
    let ok = value.len() == 34
        && value.starts_with(prefix)
        && value[2..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(SettingsError::Invalid {
            name,
            message: format!("expected {prefix} followed by 32 hexadecimal digits"),
        })
    }
}

fn twilio_settings(
    account_sid: Option<String>,
    auth_token: Option<String>,
    api_key_sid: Option<String>,
    api_key_secret: Option<String>,
    app_sid: Option<String>,
) -> Result<Option<TwilioSettings>, SettingsError> {
    let named = [
        ("PIPHONE_TWILIO_ACCOUNT_SID", &account_sid),
        ("PIPHONE_TWILIO_AUTH_TOKEN", &auth_token),
        ("PIPHONE_TWILIO_API_KEY_SID", &api_key_sid),
        ("PIPHONE_TWILIO_API_KEY_SECRET", &api_key_secret),
        ("PIPHONE_TWILIO_APP_SID", &app_sid),
    ];
    let missing: Vec<&str> = named
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if missing.len() == named.len() {
        return Ok(None);
    }
    if !missing.is_empty() {
        return Err(SettingsError::IncompleteTwilio {
            missing: missing.join(", "),
        });
    }
    let (
        Some(account_sid),
        Some(auth_token),
        Some(api_key_sid),
        Some(api_key_secret),
        Some(app_sid),
    ) = (
        account_sid,
        auth_token,
        api_key_sid,
        api_key_secret,
        app_sid,
    )
    else {
        unreachable!("checked above that none is missing");
    };
    check_sid("PIPHONE_TWILIO_ACCOUNT_SID", &account_sid, "AC")?;
    check_sid("PIPHONE_TWILIO_API_KEY_SID", &api_key_sid, "SK")?;
    check_sid("PIPHONE_TWILIO_APP_SID", &app_sid, "AP")?;
    Ok(Some(TwilioSettings {
        account_sid,
        auth_token: Secret::new(auth_token),
        api_key_sid,
        api_key_secret: Secret::new(api_key_secret),
        app_sid,
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An environment map from pairs (shared with the call-in and kiosk settings tests).
    pub(crate) fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_mean_sandbox_on_loopback() {
        let (s, warnings) = Settings::from_sources(&env(&[])).unwrap();
        assert!(s.sandbox());
        assert_eq!(s.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(s.tls, TlsMode::SelfSigned);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn partial_twilio_credentials_name_what_is_missing() {
        let err = Settings::from_sources(&env(&[(
            "PIPHONE_TWILIO_ACCOUNT_SID",
            "AC0123456789abcdef0123456789abcdef",
        )]))
        .unwrap_err();
        let SettingsError::IncompleteTwilio { missing } = &err else {
            panic!("expected IncompleteTwilio, got {err}");
        };
        assert!(missing.contains("PIPHONE_TWILIO_AUTH_TOKEN"), "{missing}");
        assert!(missing.contains("PIPHONE_TWILIO_APP_SID"), "{missing}");
        assert!(!missing.contains("PIPHONE_TWILIO_ACCOUNT_SID"), "{missing}");
        assert!(err.to_string().contains(missing.as_str()));
    }

    #[test]
    fn bad_sid_is_refused_without_echoing_secrets() {
        let err = Settings::from_sources(&env(&[
            (
                "PIPHONE_TWILIO_ACCOUNT_SID",
                "AC0123456789abcdef0123456789abcdef",
            ),
            ("PIPHONE_TWILIO_AUTH_TOKEN", "supersecrettoken"),
            (
                "PIPHONE_TWILIO_API_KEY_SID",
                "XX0123456789abcdef0123456789abcdef",
            ),
            ("PIPHONE_TWILIO_API_KEY_SECRET", "keysecret"),
            (
                "PIPHONE_TWILIO_APP_SID",
                "AP0123456789abcdef0123456789abcdef",
            ),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("PIPHONE_TWILIO_API_KEY_SID"), "{err}");
        assert!(
            !err.contains("supersecret") && !err.contains("keysecret"),
            "{err}"
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_listing() {
        let (s, _) = Settings::from_sources(&env(&[
            (
                "PIPHONE_TWILIO_ACCOUNT_SID",
                "AC0123456789abcdef0123456789abcdef",
            ),
            ("PIPHONE_TWILIO_AUTH_TOKEN", "supersecrettoken"),
            (
                "PIPHONE_TWILIO_API_KEY_SID",
                "SK0123456789abcdef0123456789abcdef",
            ),
            ("PIPHONE_TWILIO_API_KEY_SECRET", "keysecretvalue"),
            (
                "PIPHONE_TWILIO_APP_SID",
                "AP0123456789abcdef0123456789abcdef",
            ),
            ("PIPHONE_ADMIN_PASSWORD", "adminpw123"),
        ]))
        .unwrap();
        let debug = format!("{s:?}");
        let listing = format!("{:?}", s.redacted_lines());
        for secret in ["supersecrettoken", "keysecretvalue", "adminpw123"] {
            assert!(!debug.contains(secret), "Debug leaks {secret}");
            assert!(!listing.contains(secret), "listing leaks {secret}");
        }
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("PIPHONE_LISTEN", "not-an-address"),
            ("PIPHONE_PUBLIC_URL", "ftp://x"),
            ("PIPHONE_DIAL_COUNTRIES", "USA"),
            ("PIPHONE_TLS", "maybe"),
            ("PIPHONE_SANDBOX_SPEED", "fast"),
            ("PIPHONE_SANDBOX_URL", "ftp://x"),
        ] {
            let err = Settings::from_sources(&env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
    }

    #[test]
    fn environment_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("piphone.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ncaller_id = \"+14155550100\"\nbogus = 1\n",
        )
        .unwrap();
        let (s, warnings) = Settings::from_sources(&env(&[
            ("PIPHONE_CONFIG", path.to_str().unwrap()),
            ("PIPHONE_LISTEN", "127.0.0.1:9001"),
        ]))
        .unwrap();
        assert_eq!(s.listen.port(), 9001);
        assert_eq!(s.caller_id.as_deref(), Some("+14155550100"));
        assert!(warnings.iter().any(|w| w.contains("bogus")), "{warnings:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_settings_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("piphone.toml");
        std::fs::write(&path, "caller_id = \"+14155550100\"\n").unwrap();
        let load = || {
            Settings::from_sources(&env(&[("PIPHONE_CONFIG", path.to_str().unwrap())]))
                .unwrap()
                .1
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load().iter().any(|w| w.contains("readable by other users")));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(load().is_empty(), "{:?}", load());
    }
}
