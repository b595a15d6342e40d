//! What `piphone config check` prints: every setting, its effective value (secrets redacted) and the source that
//! supplied it.

use url::Url;

use super::names::{self, Name};
use super::{Origin, Settings, TlsMode};

/// One setting as `config check` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The settings-file key (`mode` for the derived sandbox/Twilio mode).
    pub key: &'static str,
    /// The effective value; `***` for a secret that is set.
    pub value: String,
    /// `default`, the settings file's path, or the environment variable that supplied the value.
    pub source: String,
}

fn or_not_set(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(not set)".into())
}

impl Settings {
    /// The settings as `config check` prints them: one line per setting, secrets redacted, each with its source.
    pub fn redacted_lines(&self) -> Vec<ReportLine> {
        let twilio = self.twilio.as_ref();
        let twilio_value = |f: fn(&super::TwilioSettings) -> String| {
            twilio.map_or_else(|| "(not set: sandbox mode)".into(), f)
        };
        let (tls, cert, key) = match &self.tls {
            TlsMode::SelfSigned => (
                "on (self-signed)".to_owned(),
                "(made in the data directory)".to_owned(),
                "(made in the data directory)".to_owned(),
            ),
            TlsMode::Files { cert, key } => (
                "on".into(),
                cert.display().to_string(),
                key.display().to_string(),
            ),
            TlsMode::Off => ("off".into(), "(not used)".into(), "(not used)".into()),
        };
        let mut values: Vec<(&'static str, String)> = vec![
            ("listen", self.listen.to_string()),
            (
                "public_url",
                self.public_url
                    .as_ref()
                    .map(Url::to_string)
                    .unwrap_or_else(|| "(derived from the listener)".into()),
            ),
            ("data_dir", self.data_dir.display().to_string()),
            ("database_url", self.database_url.clone()),
            ("tls", tls),
            ("tls_cert", cert),
            ("tls_key", key),
            (
                "twilio_account_sid",
                twilio_value(|t| t.account_sid.clone()),
            ),
            ("twilio_auth_token", String::new()),
            (
                "twilio_api_key_sid",
                twilio_value(|t| t.api_key_sid.clone()),
            ),
            ("twilio_api_key_secret", String::new()),
            ("twilio_app_sid", twilio_value(|t| t.app_sid.clone())),
            ("twilio_api_url", self.twilio_api_url.to_string()),
            ("caller_id", or_not_set(&self.caller_id)),
            ("default_number", or_not_set(&self.default_number)),
            (
                "dial_countries",
                if self.dial_countries.is_empty() {
                    "(the caller ID's country)".into()
                } else {
                    self.dial_countries.join(",")
                },
            ),
            ("admin_password", String::new()),
            ("sandbox_speed", self.sandbox_speed.to_string()),
            (
                "sandbox_url",
                self.sandbox_url.as_ref().map_or(
                    "(not set: the sandbox runs inside piphone)".into(),
                    Url::to_string,
                ),
            ),
            ("max_calls_per_day", self.max_calls_per_day.to_string()),
            (
                "max_concurrent_calls",
                self.max_concurrent_calls.to_string(),
            ),
        ];
        values.extend(self.callin.lines());
        values.extend(self.kiosk.lines());
        values.extend(self.hybrid.lines());

        let mode = if self.sandbox() { "sandbox" } else { "twilio" };
        let mut lines = vec![ReportLine {
            key: "mode",
            value: mode.into(),
            source: "derived".into(),
        }];
        for (key, value) in values {
            let name: &Name = names::by_file_key(key).expect("every listed key is a known setting");
            let origin = self.origins.of(name.env);
            let value = match (name.secret, origin) {
                (true, Origin::Default) => "(not set)".into(),
                (true, _) => "***".into(),
                (false, _) => value,
            };
            let source = match (origin, &self.config_file) {
                (Origin::File, Some(path)) => path.display().to_string(),
                _ => origin.to_string(),
            };
            lines.push(ReportLine { key, value, source });
        }
        lines
    }
}
