//! Reading the account and deciding what to write: the [`Plan`]. Only GET requests here.

use std::fmt;

use twilio::rest::{Application, Auth, Client, IncomingPhoneNumber, RestError};

use super::error::not_found;
use super::record::{self, Record};
use super::settings_file::{self as keys, SettingsFile};
use super::{
    INCOMING_PATH, NumberPrompt, RESOURCE_NAME, SetupError, SetupInput, VOICE_PATH, points_at,
};
use crate::settings::Secret;

/// One write setup makes, described for the operator by its `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create an API key (its secret goes into the settings file).
    CreateKey,
    /// Create the TwiML App with this Voice URL.
    CreateApp { voice_url: String },
    /// Point an existing TwiML App's Voice URL at piphone.
    UpdateApp {
        sid: String,
        from: Option<String>,
        to: String,
    },
    /// Point a number's voice webhook at piphone (detaching the TwiML App that handled it).
    PointNumber {
        sid: String,
        number: String,
        from: Option<String>,
        to: String,
        detach_app: Option<String>,
    },
    /// Write these keys of the settings file.
    WriteSettings { keys: Vec<&'static str> },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |url: &Option<String>| url.clone().unwrap_or_else(|| "(none)".into());
        match self {
            Action::CreateKey => write!(f, "create API key \"{RESOURCE_NAME}\""),
            Action::CreateApp { voice_url } => write!(
                f,
                "create TwiML App \"{RESOURCE_NAME}\" with Voice URL {voice_url} (POST)"
            ),
            Action::UpdateApp { sid, from, to } => write!(
                f,
                "set TwiML App {sid}'s Voice URL from {} to {to} (POST)",
                shown(from)
            ),
            Action::PointNumber {
                number,
                from,
                to,
                detach_app,
                ..
            } => {
                write!(
                    f,
                    "set {number}'s voice webhook from {} to {to} (POST)",
                    shown(from)
                )?;
                match detach_app {
                    Some(app) => write!(f, ", no longer through TwiML App {app}"),
                    None => Ok(()),
                }
            }
            Action::WriteSettings { keys } => {
                write!(f, "write {} to the settings file", keys.join(", "))
            }
        }
    }
}

/// What setup will do, and what it found already right.
pub(super) struct Plan {
    /// The writes, in order.
    pub actions: Vec<Action>,
    /// What needs no change, one sentence each.
    pub notes: Vec<String>,
    pub(super) state: State,
}

/// What the plan was computed from.
pub(super) struct State {
    pub record: Record,
    pub auth_token: Secret,
    pub settings: SettingsFile,
    /// The API key from the settings file, when it still exists.
    pub key: Option<(String, Secret)>,
    /// The TwiML App found (created before, named in the settings, or by name).
    pub app: Option<Application>,
    pub number: IncomingPhoneNumber,
}

/// The client and the words for its errors.
pub(super) struct Session<'a> {
    pub input: &'a SetupInput,
    pub client: Client,
}

impl Session<'_> {
    /// Turns a REST error into its sentence; `doing` completes "Twilio refused to …".
    pub fn fail(&self, doing: &str, e: RestError) -> SetupError {
        let input = self.input;
        SetupError::rest(doing, &input.account_sid, input.api_base.as_str(), e)
    }
}

/// Reads the record, the settings file and the account, and computes the plan.
pub(super) async fn plan(
    session: &Session<'_>,
    prompt: &mut dyn NumberPrompt,
) -> Result<Plan, SetupError> {
    let input = session.input;
    let public = input.public_url()?;
    let record = match record::load(&input.data_dir)? {
        Some(r) if r.account_sid != input.account_sid => {
            return Err(SetupError::OtherAccount {
                remembered: r.account_sid,
                given: input.account_sid.clone(),
            });
        }
        Some(r) => r,
        None => Record::new(&input.account_sid),
    };
    let settings = SettingsFile::read(&input.settings_file)?;
    let voice_url = super::webhook_url(public, VOICE_PATH);
    let incoming_url = super::webhook_url(public, INCOMING_PATH);
    let mut actions = Vec::new();
    let mut notes = Vec::new();

    let number = choose_number(session, &record, &settings, prompt).await?;
    let key = find_key(session, &settings, &number.sid, &mut notes).await?;
    if key.is_none() {
        actions.push(Action::CreateKey);
    }
    let app = find_app(session, &record, &settings).await?;
    match &app {
        None => actions.push(Action::CreateApp {
            voice_url: voice_url.clone(),
        }),
        Some(app) if points_at(&app.voice_url, &app.voice_method, &voice_url) => notes.push(
            format!("TwiML App {}'s Voice URL is already {voice_url}.", app.sid),
        ),
        Some(app) => actions.push(Action::UpdateApp {
            sid: app.sid.clone(),
            from: app.voice_url.clone().filter(|u| !u.is_empty()),
            to: voice_url.clone(),
        }),
    }
    let detach_app = number
        .voice_application_sid
        .clone()
        .filter(|a| !a.is_empty());
    let phone = number.phone_number.clone().unwrap_or_default();
    if detach_app.is_none() && points_at(&number.voice_url, &number.voice_method, &incoming_url) {
        notes.push(format!(
            "{phone}'s voice webhook is already {incoming_url}."
        ));
    } else {
        actions.push(Action::PointNumber {
            sid: number.sid.clone(),
            number: phone,
            from: number.voice_url.clone().filter(|u| !u.is_empty()),
            to: incoming_url.clone(),
            detach_app,
        });
    }

    let state = State {
        record,
        auth_token: input.auth_token.clone(),
        settings,
        key,
        app,
        number,
    };
    let changing: Vec<&'static str> = state
        .settings_values(None, None)
        .into_iter()
        // `None`: the key or app is still to be created, so its setting will change.
        .filter(|(k, v)| v.is_none() || v.as_deref() != state.settings.get(k))
        .map(|(k, _)| k)
        .collect();
    if changing.is_empty() {
        notes.push("The settings file already holds these settings.".into());
    } else {
        actions.push(Action::WriteSettings { keys: changing });
    }
    Ok(Plan {
        actions,
        notes,
        state,
    })
}

impl State {
    /// The settings setup writes; a value is `None` while the key or app it names is still to be
    /// created, unless `new_key` / `new_app` supply it.
    pub fn settings_values(
        &self,
        new_key: Option<(&str, &Secret)>,
        new_app: Option<&str>,
    ) -> Vec<(&'static str, Option<String>)> {
        let key = new_key.or(self
            .key
            .as_ref()
            .map(|(sid, secret)| (sid.as_str(), secret)));
        let app = new_app.or(self.app.as_ref().map(|a| a.sid.as_str()));
        vec![
            (keys::ACCOUNT_SID, Some(self.record.account_sid.clone())),
            (keys::AUTH_TOKEN, Some(self.auth_token.expose().to_owned())),
            (keys::API_KEY_SID, key.map(|(sid, _)| sid.to_owned())),
            (
                keys::API_KEY_SECRET,
                key.map(|(_, s)| s.expose().to_owned()),
            ),
            (keys::APP_SID, app.map(str::to_owned)),
            (keys::CALLER_ID, self.number.phone_number.clone()),
        ]
    }
}

/// `--number`; else the number setup used before, or the settings' caller ID; else the only
/// one; else the prompt's choice.
async fn choose_number(
    session: &Session<'_>,
    record: &Record,
    settings: &SettingsFile,
    prompt: &mut dyn NumberPrompt,
) -> Result<IncomingPhoneNumber, SetupError> {
    let input = session.input;
    let account = &input.account_sid;
    if let Some(wanted) = &input.number {
        let digits = wanted.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(SetupError::BadNumber(wanted.clone()));
        }
        let found = session
            .client
            .list_incoming_phone_numbers(Some(wanted))
            .await
            .map_err(|e| session.fail("list the account's phone numbers", e))?;
        return found
            .into_iter()
            .find(|n| n.phone_number.as_deref() == Some(wanted))
            .ok_or_else(|| SetupError::NotOurNumber {
                number: wanted.clone(),
                account: account.clone(),
            });
    }
    let mut numbers = session
        .client
        .list_incoming_phone_numbers(None)
        .await
        .map_err(|e| session.fail("list the account's phone numbers", e))?;
    let known = numbers.iter().position(|n| {
        record.changed_numbers.iter().any(|c| c.sid == n.sid)
            || n.phone_number.as_deref() == settings.get(keys::CALLER_ID)
    });
    let index = match (known, numbers.len()) {
        (Some(i), _) => i,
        (None, 0) => return Err(SetupError::NoNumbers(account.clone())),
        (None, 1) => 0,
        (None, _) => {
            let phones: Vec<String> = numbers
                .iter()
                .map(|n| n.phone_number.clone().unwrap_or_else(|| n.sid.clone()))
                .collect();
            prompt
                .choose_number(&phones)
                .filter(|i| *i < numbers.len())
                .ok_or(SetupError::SeveralNumbers(phones))?
        }
    };
    Ok(numbers.swap_remove(index))
}

/// The API key named in the settings file, when it still exists and its secret there
/// authenticates (tried by reading the chosen number with it).
async fn find_key(
    session: &Session<'_>,
    settings: &SettingsFile,
    number_sid: &str,
    notes: &mut Vec<String>,
) -> Result<Option<(String, Secret)>, SetupError> {
    let (Some(sid), Some(secret)) = (
        settings.get(keys::API_KEY_SID),
        settings.get(keys::API_KEY_SECRET),
    ) else {
        return Ok(None);
    };
    let replaced =
        |why: &str| format!("API key {sid} in the settings file {why}: a new key replaces it.");
    match session.client.fetch_key(sid).await {
        Ok(_) => {}
        Err(e) if not_found(&e) => {
            notes.push(replaced("no longer exists"));
            return Ok(None);
        }
        Err(e) => return Err(session.fail("read the API key named in the settings file", e)),
    }
    let input = session.input;
    let with_key = super::rest_client(
        &input.account_sid,
        Auth::api_key(sid, secret),
        &input.api_base,
        input.accept_invalid_certs,
    )?;
    match with_key.fetch_incoming_phone_number(number_sid).await {
        Ok(_) => {
            notes.push(format!("API key {sid} from the settings file works: kept."));
            Ok(Some((sid.to_owned(), Secret::new(secret))))
        }
        Err(e) if e.status() == Some(401) => {
            notes.push(replaced("does not authenticate with the secret there"));
            Ok(None)
        }
        Err(e) => Err(session.fail("read the number with the API key", e)),
    }
}

/// The TwiML App created before, else the one the settings name, else one named "piphone".
async fn find_app(
    session: &Session<'_>,
    record: &Record,
    settings: &SettingsFile,
) -> Result<Option<Application>, SetupError> {
    let candidates = [record.created_app.as_deref(), settings.get(keys::APP_SID)];
    for sid in candidates.into_iter().flatten() {
        match session.client.fetch_application(sid).await {
            Ok(app) => return Ok(Some(app)),
            Err(e) if not_found(&e) => {}
            Err(e) => return Err(session.fail("read the TwiML App", e)),
        }
    }
    let named = session
        .client
        .list_applications(Some(RESOURCE_NAME))
        .await
        .map_err(|e| session.fail("list the account's TwiML Apps", e))?;
    Ok(named
        .into_iter()
        .find(|a| a.friendly_name.as_deref() == Some(RESOURCE_NAME)))
}
