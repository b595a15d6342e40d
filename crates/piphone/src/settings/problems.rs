//! What is wrong with settings that parsed: companions the Twilio credentials need, numbers that are not numbers.

use super::Settings;
use crate::domain::{DialPolicy, PhoneNumber};

impl Settings {
    /// Problems `config check` and `doctor` report (each names its setting); empty when the settings are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = Vec::new();
        if let Some(c) = &self.caller_id
            && PhoneNumber::parse(c, None).is_err()
        {
            problems.push(format!(
                "PIPHONE_CALLER_ID {c:?} is not a valid E.164 phone number"
            ));
        }
        if !self.sandbox() && self.caller_id.is_none() {
            problems.push(
                "PIPHONE_CALLER_ID is required with Twilio credentials (the number calls come from)"
                    .into(),
            );
        }
        if !self.sandbox() && self.public_url.is_none() {
            problems.push(
                "PIPHONE_PUBLIC_URL is required with Twilio credentials (the URL Twilio reaches)"
                    .into(),
            );
        }
        if let Some(u) = &self.public_url
            && u.scheme() != "https"
            && !self.sandbox()
        {
            problems.push(
                "PIPHONE_PUBLIC_URL should be https:// (Twilio signs the URL it calls)".into(),
            );
        }
        let policy = DialPolicy::new(&self.dial_countries, self.caller_id.as_deref());
        if let Some(d) = &self.default_number
            && let Err(e) = policy.check(d)
        {
            problems.push(format!("PIPHONE_DEFAULT_NUMBER {d:?}: {e}"));
        }
        problems
    }
}
