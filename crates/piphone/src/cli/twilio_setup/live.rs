//! The live-account checks of `piphone doctor`: the API key authenticates, the TwiML App's Voice
//! URL and the caller ID number's webhook point at `PIPHONE_PUBLIC_URL`, the caller ID is a number
//! of the account. Three GET requests; each finding that fails says the exact fix.

use std::fmt;

use twilio::rest::{Auth, RestError};
use url::Url;

use super::error::not_found;
use super::{INCOMING_PATH, SetupError, VOICE_PATH, points_at, rest_client, webhook_url};
use crate::settings::Secret;

const SETUP: &str = "or run `piphone twilio setup`";

/// The configured account, as doctor has it from the settings.
#[derive(Debug, Clone, Copy)]
pub struct LiveAccount<'a> {
    pub account_sid: &'a str,
    pub auth_token: &'a Secret,
    pub api_key_sid: &'a str,
    pub api_key_secret: &'a Secret,
    pub app_sid: &'a str,
    /// `PIPHONE_CALLER_ID`, also the station number setup points at `/voice/incoming`.
    pub caller_id: Option<&'a str>,
    pub public_url: &'a Url,
    pub api_base: &'a Url,
    pub accept_invalid_certs: bool,
}

/// One result. [`LiveFinding::passed`] says OK or FAIL; `Display` is the line to print, with the
/// fix when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveFinding {
    /// Twilio could not be asked: the sentence says what to do. `network`: it could not be reached at all (a
    /// warning: nothing is known to be wrong with the account), rather than refusing the credentials.
    Unavailable {
        why: String,
        network: bool,
    },
    ApiKeyWorks {
        sid: String,
    },
    ApiKeyRefused {
        sid: String,
    },
    AppMatches {
        sid: String,
        url: String,
    },
    AppMissing {
        sid: String,
    },
    AppVoiceUrl {
        sid: String,
        found: Option<String>,
        expected: String,
    },
    CallerIdUnset,
    CallerIdNotOurs {
        number: String,
        numbers: Vec<String>,
    },
    NumberMatches {
        number: String,
        url: String,
    },
    NumberWebhook {
        number: String,
        found: Option<String>,
        app: Option<String>,
        expected: String,
    },
}

impl LiveFinding {
    fn unavailable(e: SetupError) -> LiveFinding {
        LiveFinding::Unavailable {
            network: matches!(e, SetupError::Unreachable { .. }),
            why: e.to_string(),
        }
    }

    /// Twilio could not be reached to check (doctor warns; it cannot tell whether the account is right).
    pub fn unreachable(&self) -> bool {
        matches!(self, LiveFinding::Unavailable { network: true, .. })
    }

    pub fn passed(&self) -> bool {
        matches!(
            self,
            LiveFinding::ApiKeyWorks { .. }
                | LiveFinding::AppMatches { .. }
                | LiveFinding::NumberMatches { .. }
        )
    }

    /// What was checked, for doctor's topic column.
    pub fn topic(&self) -> &'static str {
        match self {
            LiveFinding::Unavailable { .. } => "twilio account",
            LiveFinding::ApiKeyWorks { .. } | LiveFinding::ApiKeyRefused { .. } => "twilio api key",
            LiveFinding::AppMatches { .. }
            | LiveFinding::AppMissing { .. }
            | LiveFinding::AppVoiceUrl { .. } => "twiml app",
            LiveFinding::CallerIdUnset | LiveFinding::CallerIdNotOurs { .. } => "caller id",
            LiveFinding::NumberMatches { .. } | LiveFinding::NumberWebhook { .. } => {
                "number webhook"
            }
        }
    }
}

impl fmt::Display for LiveFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let or_none = |u: &Option<String>| {
            u.clone()
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| "(none)".into())
        };
        match self {
            LiveFinding::Unavailable { why, .. } => f.write_str(why),
            LiveFinding::ApiKeyWorks { sid } => write!(f, "API key {sid} authenticates"),
            LiveFinding::ApiKeyRefused { sid } => write!(
                f,
                "Twilio refuses API key {sid} with its secret: set PIPHONE_TWILIO_API_KEY_SID and \
                 PIPHONE_TWILIO_API_KEY_SECRET to a key of this account, {SETUP}"
            ),
            LiveFinding::AppMatches { sid, url } => {
                write!(f, "TwiML App {sid} sends calls to {url}")
            }
            LiveFinding::AppMissing { sid } => write!(
                f,
                "TwiML App {sid} is not in the account: set PIPHONE_TWILIO_APP_SID to one of its apps, {SETUP}"
            ),
            LiveFinding::AppVoiceUrl {
                sid,
                found,
                expected,
            } => write!(
                f,
                "TwiML App {sid}'s Voice URL is {}, not {expected}: set it to {expected} (HTTP POST) in \
                 Twilio Console → Voice → TwiML Apps, {SETUP}",
                or_none(found)
            ),
            LiveFinding::CallerIdUnset => write!(
                f,
                "PIPHONE_CALLER_ID is not set: set it to one of the account's numbers, {SETUP}"
            ),
            LiveFinding::CallerIdNotOurs { number, numbers } => write!(
                f,
                "caller ID {number} is not a number of this account (its numbers: {}): set \
                 PIPHONE_CALLER_ID to one of them, {SETUP}",
                if numbers.is_empty() {
                    "none".into()
                } else {
                    numbers.join(", ")
                }
            ),
            LiveFinding::NumberMatches { number, url } => {
                write!(f, "{number} sends calls to {url}")
            }
            LiveFinding::NumberWebhook {
                number,
                found,
                app,
                expected,
            } => {
                write!(f, "{number}'s calls go to ")?;
                match app {
                    Some(app) => write!(f, "TwiML App {app}")?,
                    None => write!(f, "{}", or_none(found))?,
                }
                write!(
                    f,
                    ", not {expected}: in Twilio Console → Phone Numbers → {number}, set \"A call comes \
                     in\" to Webhook {expected} (HTTP POST), {SETUP}"
                )
            }
        }
    }
}

/// Runs the checks; never fails (an unreachable Twilio is a finding).
pub async fn live_checks(account: &LiveAccount<'_>) -> Vec<LiveFinding> {
    let client = |auth| {
        rest_client(
            account.account_sid,
            auth,
            account.api_base,
            account.accept_invalid_certs,
        )
    };
    let unavailable = |e: SetupError| vec![LiveFinding::unavailable(e)];
    let (with_key, with_token) = match (
        client(Auth::api_key(
            account.api_key_sid,
            account.api_key_secret.expose(),
        )),
        client(Auth::auth_token(account.auth_token.expose())),
    ) {
        (Ok(k), Ok(t)) => (k, t),
        (Err(e), _) | (_, Err(e)) => return unavailable(e),
    };
    let fail = |doing: &str, e: RestError| {
        SetupError::rest(doing, account.account_sid, account.api_base.as_str(), e)
    };
    let mut found = Vec::new();
    let key_sid = account.api_key_sid.to_owned();
    let app = match with_key.fetch_application(account.app_sid).await {
        Ok(app) => {
            found.push(LiveFinding::ApiKeyWorks { sid: key_sid });
            Ok(app)
        }
        Err(RestError::Api { status: 401, .. }) => {
            found.push(LiveFinding::ApiKeyRefused { sid: key_sid });
            with_token.fetch_application(account.app_sid).await
        }
        Err(e) => Err(e),
    };
    let expected = webhook_url(account.public_url, VOICE_PATH);
    let sid = account.app_sid.to_owned();
    let app_finding = match app {
        Ok(app) if points_at(&app.voice_url, &app.voice_method, &expected) => {
            LiveFinding::AppMatches { sid, url: expected }
        }
        Ok(app) => LiveFinding::AppVoiceUrl {
            sid,
            found: app.voice_url,
            expected,
        },
        Err(e) if not_found(&e) => LiveFinding::AppMissing { sid },
        Err(e) => LiveFinding::unavailable(fail("read the TwiML App", e)),
    };
    let stop = matches!(app_finding, LiveFinding::Unavailable { .. });
    found.push(app_finding);
    if stop {
        return found;
    }
    let Some(caller_id) = account.caller_id else {
        found.push(LiveFinding::CallerIdUnset);
        return found;
    };
    let numbers = match with_token.list_incoming_phone_numbers(None).await {
        Ok(numbers) => numbers,
        Err(e) => {
            found.push(LiveFinding::unavailable(fail(
                "list the account's phone numbers",
                e,
            )));
            return found;
        }
    };
    let expected = webhook_url(account.public_url, INCOMING_PATH);
    let number = caller_id.to_owned();
    found.push(
        match numbers
            .iter()
            .find(|n| n.phone_number.as_deref() == Some(caller_id))
        {
            None => LiveFinding::CallerIdNotOurs {
                number,
                numbers: numbers
                    .iter()
                    .filter_map(|n| n.phone_number.clone())
                    .collect(),
            },
            Some(n) => {
                let app = n.voice_application_sid.clone().filter(|a| !a.is_empty());
                if app.is_none() && points_at(&n.voice_url, &n.voice_method, &expected) {
                    LiveFinding::NumberMatches {
                        number,
                        url: expected,
                    }
                } else {
                    LiveFinding::NumberWebhook {
                        number,
                        found: n.voice_url.clone(),
                        app,
                        expected,
                    }
                }
            }
        },
    );
    found
}
