//! `piphone twilio teardown`: undoes exactly what the record says setup did — restores the
//! numbers' and app's previous webhooks, deletes the app and keys it created, restores the
//! settings it replaced — and then forgets the record. Something already gone is noted, not an
//! error, so a teardown that stopped half way can simply be run again.

use std::fmt;

use twilio::rest::{NumberVoiceUpdate, RestError, VoiceSettings};

use super::error::not_found;
use super::plan::Session;
use super::record::{self, Changed, Record};
use super::settings_file::{self, SettingsFile};
use super::{SetupError, SetupInput};

/// What teardown did (or would do, in a dry run). Never contains a secret.
#[derive(Debug, Clone)]
pub struct TeardownReport {
    pub account_sid: String,
    pub dry_run: bool,
    /// One sentence per step, in order.
    pub steps: Vec<String>,
    /// Things already gone, and "nothing to do".
    pub notes: Vec<String>,
}

impl fmt::Display for TeardownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.steps.is_empty() {
            let head = if self.dry_run {
                "Dry run: nothing was written. Teardown would"
            } else {
                "Tore down piphone's setup of account"
            };
            writeln!(f, "{head} {}:", self.account_sid)?;
        }
        for step in &self.steps {
            writeln!(f, "  - {step}")?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

/// One undo step.
enum Step {
    RestoreNumber(Changed),
    RestoreApp(Changed),
    DeleteApp(String),
    DeleteKey(String),
    RestoreSettings,
}

impl Step {
    fn describe(&self, record: &Record) -> String {
        let shown = |c: &Changed| c.previous.url.clone().filter(|u| !u.is_empty());
        match self {
            Step::RestoreNumber(c) => {
                let number = c.phone_number.as_deref().unwrap_or(&c.sid);
                match (&c.previous_app, shown(c)) {
                    (Some(app), _) => format!("hand {number} back to TwiML App {app}"),
                    (None, Some(url)) => format!("set {number}'s voice webhook back to {url}"),
                    (None, None) => format!("clear {number}'s voice webhook, as it was"),
                }
            }
            Step::RestoreApp(c) => format!(
                "set TwiML App {}'s Voice URL back to {}",
                c.sid,
                shown(c).unwrap_or_else(|| "(none)".into())
            ),
            Step::DeleteApp(sid) => format!("delete TwiML App {sid}"),
            Step::DeleteKey(sid) => format!("delete API key {sid}"),
            Step::RestoreSettings => {
                let keys: Vec<&str> = record.settings_before.keys().map(String::as_str).collect();
                format!("restore {} in the settings file", keys.join(", "))
            }
        }
    }
}

/// `piphone twilio teardown` (uses `input`'s credentials, API target, data directory, settings
/// file and `dry_run`).
pub async fn teardown(input: &SetupInput) -> Result<TeardownReport, SetupError> {
    input.validate_credentials()?;
    let mut report = TeardownReport {
        account_sid: input.account_sid.clone(),
        dry_run: input.dry_run,
        steps: Vec::new(),
        notes: Vec::new(),
    };
    let Some(record) = record::load(&input.data_dir)? else {
        report.notes.push(format!(
            "Nothing to tear down: {} has no record of a `piphone twilio setup`.",
            input.data_dir.display()
        ));
        return Ok(report);
    };
    if record.account_sid != input.account_sid {
        return Err(SetupError::OtherAccount {
            remembered: record.account_sid,
            given: input.account_sid.clone(),
        });
    }
    let mut steps: Vec<Step> = record
        .changed_numbers
        .iter()
        .cloned()
        .map(Step::RestoreNumber)
        .collect();
    steps.extend(record.changed_app.clone().map(Step::RestoreApp));
    steps.extend(record.created_app.clone().map(Step::DeleteApp));
    steps.extend(record.created_keys.iter().cloned().map(Step::DeleteKey));
    if !record.settings_before.is_empty() {
        steps.push(Step::RestoreSettings);
    }
    if input.dry_run {
        report.steps = steps.iter().map(|s| s.describe(&record)).collect();
        return Ok(report);
    }
    let session = Session {
        input,
        client: input.client()?,
    };
    for step in &steps {
        let line = step.describe(&record);
        if let Some(gone) = undo(&session, &record, step).await? {
            report.notes.push(gone);
        } else {
            tracing::info!(account = %input.account_sid, "{line}");
            report.steps.push(line);
        }
    }
    record::remove(&input.data_dir)?;
    report
        .steps
        .push("forgot the setup record (run `piphone twilio setup` to set up again)".into());
    Ok(report)
}

/// Performs one step; `Some(note)` when its resource was already gone.
async fn undo(
    session: &Session<'_>,
    record: &Record,
    step: &Step,
) -> Result<Option<String>, SetupError> {
    let client = &session.client;
    let result: Result<(), RestError> = match step {
        Step::RestoreNumber(c) => {
            let update = NumberVoiceUpdate {
                voice: previous_voice(c),
                application_sid: c.previous_app.clone(),
            };
            client.update_number_voice(&c.sid, &update).await.map(drop)
        }
        Step::RestoreApp(c) => client
            .update_application_voice(&c.sid, &previous_voice(c))
            .await
            .map(drop),
        Step::DeleteApp(sid) => client.delete_application(sid).await,
        Step::DeleteKey(sid) => client.delete_key(sid).await,
        Step::RestoreSettings => {
            let path = &session.input.settings_file;
            let settings = SettingsFile::read(path)?;
            let changes: Vec<(&str, Option<&str>)> = record
                .settings_before
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect();
            settings_file::write(path, &settings_file::update(&settings.text, &changes))?;
            Ok(())
        }
    };
    match result {
        Ok(()) => Ok(None),
        Err(e) if not_found(&e) => Ok(Some(format!(
            "Already gone from the account, nothing to undo: {}.",
            step.describe(record)
        ))),
        Err(e) => Err(session.fail(&step.describe(record), e)),
    }
}

/// The webhook as it was: an empty URL is restored as empty (Twilio clears it).
fn previous_voice(c: &Changed) -> VoiceSettings {
    VoiceSettings {
        url: Some(c.previous.url.clone().unwrap_or_default()),
        method: c.previous.method.as_deref().and_then(|m| m.parse().ok()),
        ..Default::default()
    }
}
