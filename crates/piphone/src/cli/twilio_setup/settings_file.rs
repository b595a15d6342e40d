//! Updating keys of the settings file line by line, so its other lines and comments stay as the
//! operator wrote them. The file is flat `key = value` TOML (tables such as `[kiosk]` may follow);
//! the managed keys live before the first table. The result is parsed with `toml` before it is
//! written (mode 0600, atomically).

use std::collections::BTreeMap;
use std::path::Path;

use super::SetupError;

/// The keys setup writes: the settings file's names of `PIPHONE_TWILIO_ACCOUNT_SID`, …, `PIPHONE_CALLER_ID`.
pub(crate) const ACCOUNT_SID: &str = "twilio_account_sid";
pub(crate) const AUTH_TOKEN: &str = "twilio_auth_token";
pub(crate) const API_KEY_SID: &str = "twilio_api_key_sid";
pub(crate) const API_KEY_SECRET: &str = "twilio_api_key_secret";
pub(crate) const APP_SID: &str = "twilio_app_sid";
pub(crate) const CALLER_ID: &str = "caller_id";

/// The settings file's text and its top-level string values; a missing file is empty.
pub(crate) struct SettingsFile {
    pub text: String,
    pub values: BTreeMap<String, String>,
}

impl SettingsFile {
    pub fn read(path: &Path) -> Result<SettingsFile, SetupError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(SetupError::file("read", path, e)),
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| SetupError::file("parse", path, e.message()))?;
        let values = table
            .into_iter()
            .filter_map(|(k, v)| match v {
                toml::Value::String(s) => Some((k, s)),
                _ => None,
            })
            .collect();
        Ok(SettingsFile { text, values })
    }

    /// The current value of `key`, if set and not blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// `text` with each `(key, Some(value))` set and each `(key, None)` removed: a key's existing line
/// is replaced in place, a new key is added after the last top-level line.
pub(crate) fn update(text: &str, changes: &[(&str, Option<&str>)]) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut pending: Vec<(&str, Option<&str>)> = changes.to_vec();
    let mut top_level_end = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if top_level_end.is_none() && trimmed.starts_with('[') {
            top_level_end = Some(lines.len());
        }
        let key = top_level_end.is_none().then(|| line_key(trimmed)).flatten();
        match key.and_then(|k| pending.iter().position(|(p, _)| *p == k)) {
            Some(i) => {
                let (key, value) = pending.remove(i);
                if let Some(value) = value {
                    lines.push(assignment(key, value));
                }
            }
            None => lines.push(line.to_owned()),
        }
    }
    let mut at = top_level_end.unwrap_or(lines.len());
    while at > 0 && lines[at - 1].trim().is_empty() && top_level_end.is_some() {
        at -= 1;
    }
    let added: Vec<String> = pending
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| assignment(k, v)))
        .collect();
    lines.splice(at..at, added);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// The key a `key = value` line assigns (bare keys only, as piphone's are).
fn line_key(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    bare.then_some(key)
}

fn assignment(key: &str, value: &str) -> String {
    format!("{key} = {}", toml::Value::String(value.to_owned()))
}

/// Writes `text` to `path` with mode 0600, after checking it parses as TOML.
pub(crate) fn write(path: &Path, text: &str) -> Result<(), SetupError> {
    text.parse::<toml::Table>()
        .map_err(|e| SetupError::file("update", path, e.message()))?;
    crate::fsutil::write_private(path, text.as_bytes())
        .map_err(|e| SetupError::file("write", path, format!("{e:#}")))
}
