//! Applying the plan: each Twilio write, then the settings file, remembering every change in the
//! record as it goes (a creation right after it succeeds, a change's previous value before it is
//! made), so teardown can undo a setup that stopped half way.

use std::fmt;
use std::path::PathBuf;

use twilio::rest::{Method, NumberVoiceUpdate, VoiceSettings, VoiceUrl};

use super::plan::{self, Action, Session, State};
use super::record::{self, Changed, PreviousVoice};
use super::settings_file;
use super::{NumberPrompt, RESOURCE_NAME, SetupError, SetupInput};
use crate::settings::Secret;

/// What setup did (or, in a dry run, would do). Its `Display` is what the command prints; it
/// never contains a secret.
#[derive(Debug, Clone)]
pub struct SetupReport {
    pub account_sid: String,
    pub dry_run: bool,
    /// The planned writes (a dry run) or the writes made, in order.
    pub actions: Vec<Action>,
    /// One sentence per write made, naming what was created.
    pub done: Vec<String>,
    /// What needed no change.
    pub notes: Vec<String>,
    pub settings_file: PathBuf,
}

impl SetupReport {
    /// Whether anything was written (to Twilio or to a file).
    pub fn changed(&self) -> bool {
        !self.done.is_empty()
    }
}

impl fmt::Display for SetupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let account = &self.account_sid;
        if self.actions.is_empty() {
            writeln!(
                f,
                "Nothing to change: account {account} is already set up for piphone."
            )?;
        } else if self.dry_run {
            writeln!(
                f,
                "Dry run: nothing was written. For account {account}, setup would:"
            )?;
            for action in &self.actions {
                writeln!(f, "  - {action}")?;
            }
        } else {
            writeln!(f, "Set up account {account}:")?;
            for line in &self.done {
                writeln!(f, "  - {line}")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "  {note}")?;
        }
        if self.changed() {
            writeln!(
                f,
                "Settings are in {} (mode 0600). Restart piphone to use them; `piphone twilio teardown` undoes this setup.",
                self.settings_file.display()
            )?;
        }
        Ok(())
    }
}

/// `piphone twilio setup`: validates `input`, reads the account, and applies the plan (or only
/// reports it when `input.dry_run`). `prompt` is asked only when the account has several numbers
/// and neither `--number` nor an earlier setup chose one.
pub async fn setup(
    input: &SetupInput,
    prompt: &mut dyn NumberPrompt,
) -> Result<SetupReport, SetupError> {
    input.validate_credentials()?;
    input.public_url()?;
    let session = Session {
        input,
        client: input.client()?,
    };
    let plan = plan::plan(&session, prompt).await?;
    let mut report = SetupReport {
        account_sid: input.account_sid.clone(),
        dry_run: input.dry_run,
        actions: plan.actions.clone(),
        done: Vec::new(),
        notes: plan.notes,
        settings_file: input.settings_file.clone(),
    };
    if input.dry_run {
        return Ok(report);
    }
    let mut state = plan.state;
    let mut created = Created::default();
    for action in &plan.actions {
        let line = apply(&session, &mut state, &mut created, action).await?;
        tracing::info!(account = %input.account_sid, "{line}");
        report.done.push(line);
    }
    Ok(report)
}

/// What this run created, for the settings it writes.
#[derive(Default)]
struct Created {
    key: Option<(String, Secret)>,
    app: Option<String>,
}

async fn apply(
    session: &Session<'_>,
    state: &mut State,
    created: &mut Created,
    action: &Action,
) -> Result<String, SetupError> {
    let client = &session.client;
    let data_dir = &session.input.data_dir;
    match action {
        Action::CreateKey => {
            let key = client
                .create_key(RESOURCE_NAME)
                .await
                .map_err(|e| session.fail("create an API key", e))?;
            state.record.created_keys.push(key.sid.clone());
            record::save(data_dir, &state.record)?;
            let line = format!("created API key {} \"{RESOURCE_NAME}\"", key.sid);
            created.key = Some((key.sid, Secret::new(key.secret)));
            Ok(line)
        }
        Action::CreateApp { voice_url } => {
            let voice = VoiceUrl {
                url: voice_url.clone(),
                method: Method::Post,
            };
            let app = client
                .create_application(RESOURCE_NAME, &voice)
                .await
                .map_err(|e| session.fail("create a TwiML App", e))?;
            state.record.created_app = Some(app.sid.clone());
            record::save(data_dir, &state.record)?;
            let line = format!(
                "created TwiML App {} \"{RESOURCE_NAME}\" with Voice URL {voice_url} (POST)",
                app.sid
            );
            created.app = Some(app.sid);
            Ok(line)
        }
        Action::UpdateApp { sid, to, .. } => {
            let ours = state.record.created_app.as_deref() == Some(sid.as_str());
            if let (false, None, Some(app)) = (ours, &state.record.changed_app, &state.app) {
                state.record.changed_app = Some(Changed {
                    sid: sid.clone(),
                    phone_number: None,
                    previous: PreviousVoice {
                        url: app.voice_url.clone(),
                        method: app.voice_method.clone(),
                    },
                    previous_app: None,
                });
                record::save(data_dir, &state.record)?;
            }
            let voice = VoiceUrl {
                url: to.clone(),
                method: Method::Post,
            };
            client
                .update_application(sid, &voice)
                .await
                .map_err(|e| session.fail("change the TwiML App's Voice URL", e))?;
            Ok(action.to_string())
        }
        Action::PointNumber {
            sid,
            number,
            to,
            detach_app,
            ..
        } => {
            if !state.record.changed_numbers.iter().any(|c| &c.sid == sid) {
                state.record.changed_numbers.push(Changed {
                    sid: sid.clone(),
                    phone_number: Some(number.clone()),
                    previous: PreviousVoice {
                        url: state.number.voice_url.clone(),
                        method: state.number.voice_method.clone(),
                    },
                    previous_app: detach_app.clone(),
                });
                record::save(data_dir, &state.record)?;
            }
            let update = NumberVoiceUpdate {
                voice: VoiceSettings {
                    url: Some(to.clone()),
                    method: Some(Method::Post),
                    ..Default::default()
                },
                // Empty detaches the app (see twilio::rest's notes on clearing a field).
                application_sid: detach_app.as_ref().map(|_| String::new()),
            };
            match client.update_number_voice(sid, &update).await {
                Ok(_) => Ok(action.to_string()),
                Err(e) if super::error::not_found(&e) => Err(SetupError::NotOurNumber {
                    number: number.clone(),
                    account: session.input.account_sid.clone(),
                }),
                Err(e) => Err(session.fail("change the number's voice webhook", e)),
            }
        }
        Action::WriteSettings { keys } => {
            let new_key = created.key.as_ref().map(|(sid, s)| (sid.as_str(), s));
            let values = state.settings_values(new_key, created.app.as_deref());
            let changes: Vec<(&str, Option<&str>)> = values
                .iter()
                .filter(|(k, v)| v.as_deref() != state.settings.get(k))
                .map(|(k, v)| (*k, v.as_deref()))
                .collect();
            for (key, _) in &changes {
                let before = state.settings.get(key).map(str::to_owned);
                state
                    .record
                    .settings_before
                    .entry((*key).to_owned())
                    .or_insert(before);
            }
            record::save(data_dir, &state.record)?;
            let path = &session.input.settings_file;
            let text = settings_file::update(&state.settings.text, &changes);
            settings_file::write(path, &text)?;
            Ok(format!(
                "wrote {} to {} (mode 0600)",
                keys.join(", "),
                path.display()
            ))
        }
    }
}
