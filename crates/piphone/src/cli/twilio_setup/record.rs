//! The record of what setup did to an account, kept in the data directory (mode 0600, as it holds
//! the settings values setup replaced), so teardown undoes exactly that and nothing else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SetupError;

/// The record's file name in the data directory.
pub const RECORD_FILE: &str = "twilio-setup.json";

/// A voice webhook as it was before setup changed it (`None`: empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PreviousVoice {
    pub url: Option<String>,
    pub method: Option<String>,
}

/// A resource setup changed but did not create, with what to restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Changed {
    pub sid: String,
    /// The phone number, for numbers (E.164).
    #[serde(default)]
    pub phone_number: Option<String>,
    pub previous: PreviousVoice,
    /// A number's TwiML App before setup detached it.
    #[serde(default)]
    pub previous_app: Option<String>,
}

/// No `Debug`: `settings_before` may hold secrets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub account_sid: String,
    /// API keys setup created (`SK…`).
    #[serde(default)]
    pub created_keys: Vec<String>,
    /// The TwiML App setup created (`AP…`).
    #[serde(default)]
    pub created_app: Option<String>,
    /// A TwiML App setup found and re-pointed.
    #[serde(default)]
    pub changed_app: Option<Changed>,
    /// Numbers setup pointed at piphone.
    #[serde(default)]
    pub changed_numbers: Vec<Changed>,
    /// Each settings-file key setup wrote, with its value before the first write (`None`: absent).
    #[serde(default)]
    pub settings_before: BTreeMap<String, Option<String>>,
}

impl Record {
    pub fn new(account_sid: &str) -> Record {
        Record {
            account_sid: account_sid.to_owned(),
            ..Default::default()
        }
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(RECORD_FILE)
}

/// The record, if setup ran with this data directory.
pub(crate) fn load(data_dir: &Path) -> Result<Option<Record>, SetupError> {
    let path = path(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| SetupError::file("read", &path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SetupError::file("read", &path, e)),
    }
}

pub(crate) fn save(data_dir: &Path, record: &Record) -> Result<(), SetupError> {
    let path = path(data_dir);
    let json = serde_json::to_vec_pretty(record).expect("a record serialises");
    crate::fsutil::ensure_private_dir(data_dir)
        .and_then(|()| crate::fsutil::write_private(&path, &json))
        .map_err(|e| SetupError::file("write", &path, format!("{e:#}")))
}

pub(crate) fn remove(data_dir: &Path) -> Result<(), SetupError> {
    let path = path(data_dir);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(SetupError::file("remove", &path, e))
        }
        _ => Ok(()),
    }
}
