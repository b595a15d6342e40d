//! The five Twilio credentials: all of them (real calls) or none (the sandbox).

use super::names;
use super::sources::{Origin, Sources};
use super::{Secret, SettingsError};

/// Real Twilio credentials. When none are configured piphone runs its sandbox instead.
#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    pub api_key_sid: String,
    pub api_key_secret: Secret,
    pub app_sid: String,
}

const NAMES: [&str; 5] = [
    "PIPHONE_TWILIO_ACCOUNT_SID",
    "PIPHONE_TWILIO_AUTH_TOKEN",
    "PIPHONE_TWILIO_API_KEY_SID",
    "PIPHONE_TWILIO_API_KEY_SECRET",
    "PIPHONE_TWILIO_APP_SID",
];

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

impl TwilioSettings {
    /// All five credentials, `None` when none is set, an error naming the missing ones otherwise.
    pub(crate) fn from_sources(
        sources: &mut Sources<'_>,
    ) -> Result<Option<TwilioSettings>, SettingsError> {
        let values = NAMES.map(|name| sources.get(name));
        let given: Vec<String> = NAMES
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_some())
            .map(|(name, _)| match sources.origin(name) {
                Origin::Env(var) => var.to_owned(),
                _ => {
                    let key = names::by_env(name).and_then(|n| n.file_key).unwrap_or(name);
                    format!("{key} in the settings file")
                }
            })
            .collect();
        if given.is_empty() {
            return Ok(None);
        }
        let [
            Some(account_sid),
            Some(auth_token),
            Some(api_key_sid),
            Some(api_key_secret),
            Some(app_sid),
        ] = values
        else {
            let missing: Vec<&str> = NAMES
                .iter()
                .zip(&values)
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| *name)
                .collect();
            return Err(SettingsError::IncompleteTwilio {
                missing: missing.join(", "),
                given: given.join(", "),
            });
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
}
