//! Why setup or teardown stopped, each as a sentence saying what to do. No variant carries a
//! secret: Twilio's error messages name SIDs and fields, never credentials.

use std::path::PathBuf;

use twilio::rest::RestError;

/// Twilio codes for a trial account's limits (twilio.com/docs/api/errors): 10002 "Trial accounts
/// do not support the feature you tried to use", 21219 / 21608 / 14111 "not a verified number"
/// (a trial account calls and texts only verified numbers).
const TRIAL_CODES: &[u32] = &[10002, 21219, 21608, 14111];
/// 10001 "Account is not active", 20005 "Account not active".
const INACTIVE_CODES: &[u32] = &[10001, 20005];
/// 20008 "Resource not accessible with Test Account Credentials".
const TEST_CREDENTIALS: u32 = 20008;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "PIPHONE_PUBLIC_URL is not set. Twilio must reach piphone at a public https address: start a \
         tunnel or use this host's name, set PIPHONE_PUBLIC_URL=https://… (environment or settings \
         file) and run `piphone twilio setup` again."
    )]
    PublicUrlMissing,
    #[error(
        "PIPHONE_PUBLIC_URL is {0}, but Twilio calls only https:// addresses with a trusted \
         certificate: put piphone behind a tunnel or a TLS proxy and set PIPHONE_PUBLIC_URL to its \
         https:// address."
    )]
    PublicUrlNotHttps(String),
    #[error(
        "The account SID must be \"AC\" followed by 32 hexadecimal characters: copy it from Twilio \
         Console → Account info into PIPHONE_TWILIO_ACCOUNT_SID."
    )]
    BadAccountSid,
    #[error(
        "The auth token is empty: copy it from Twilio Console → Account info into \
         PIPHONE_TWILIO_AUTH_TOKEN, or type it when asked."
    )]
    MissingAuthToken,
    #[error(
        "--number {0:?} is not a phone number in E.164 form: write it with + and the country code, \
         e.g. +14155550100."
    )]
    BadNumber(String),
    #[error(
        "Twilio refused the account SID and auth token (HTTP 401, code 20003): copy both again from \
         Twilio Console → Account info (the auth token, not an API key secret) and run the command \
         again."
    )]
    WrongCredentials,
    #[error(
        "These are Twilio's test credentials (code 20008), which cannot set up an account: use the \
         live Account SID and Auth Token from Twilio Console → Account info."
    )]
    TestCredentials,
    #[error(
        "Twilio says account {0} is not active (suspended, closed or an expired trial): reactivate \
         or upgrade it in Twilio Console, then run the command again."
    )]
    AccountInactive(String),
    #[error(
        "Twilio refused to {doing} because of a trial account's limits (code {code}: {message}): \
         upgrade the account in Twilio Console → Billing, or stay within the trial (one phone \
         number, calls only to verified numbers)."
    )]
    TrialLimit {
        doing: String,
        code: u32,
        message: String,
    },
    #[error(
        "{number} is not a phone number of account {account}: choose one of the account's numbers \
         (Twilio Console → Phone Numbers → Active numbers) with --number, or buy one."
    )]
    NotOurNumber { number: String, account: String },
    #[error(
        "Account {0} has no phone number: buy one (Twilio Console → Phone Numbers → Buy a number; \
         a trial account gets one free) and run `piphone twilio setup` again."
    )]
    NoNumbers(String),
    #[error("The account has several phone numbers ({}): choose one with --number.", .0.join(", "))]
    SeveralNumbers(Vec<String>),
    #[error(
        "This data directory remembers a setup of account {remembered}, not {given}: run `piphone \
         twilio teardown` with that account's credentials first, or use another PIPHONE_DATA_DIR."
    )]
    OtherAccount { remembered: String, given: String },
    #[error(
        "Cannot reach Twilio at {base}: {detail}. Check this machine's network and DNS (and \
         PIPHONE_TWILIO_API_URL), then run the command again."
    )]
    Unreachable { base: String, detail: String },
    #[error(
        "Twilio refused to {doing} (HTTP {status}{code}): {message}. Check the account in Twilio \
         Console; if it looks right, run the command again later."
    )]
    Twilio {
        doing: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("Cannot {doing} {}: {message}. Check the path and its permissions.", path.display())]
    File {
        doing: &'static str,
        path: PathBuf,
        message: String,
    },
}

impl SetupError {
    /// Whether the operator's input or settings are at fault (exit code 2), not Twilio or the network (1).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            SetupError::PublicUrlMissing
                | SetupError::PublicUrlNotHttps(_)
                | SetupError::BadAccountSid
                | SetupError::MissingAuthToken
                | SetupError::BadNumber(_)
                | SetupError::SeveralNumbers(_)
                | SetupError::OtherAccount { .. }
        )
    }

    /// The sentence for a failed REST request; `doing` completes "Twilio refused to …".
    pub(crate) fn rest(doing: &str, account: &str, base: &str, e: RestError) -> SetupError {
        if matches!(
            e,
            RestError::Timeout(_) | RestError::Transport(_) | RestError::Build(_)
        ) {
            return SetupError::Unreachable {
                base: base.to_owned(),
                detail: e.to_string(),
            };
        }
        let code = e.code();
        match code {
            Some(20003) => SetupError::WrongCredentials,
            Some(TEST_CREDENTIALS) => SetupError::TestCredentials,
            Some(c) if INACTIVE_CODES.contains(&c) => SetupError::AccountInactive(account.into()),
            Some(c) if TRIAL_CODES.contains(&c) => SetupError::TrialLimit {
                doing: doing.into(),
                code: c,
                message: api_message(&e),
            },
            _ if e.status() == Some(401) => SetupError::WrongCredentials,
            _ => SetupError::Twilio {
                doing: doing.into(),
                status: e.status().unwrap_or(0),
                code: code.map(|c| format!(", code {c}")).unwrap_or_default(),
                message: api_message(&e),
            },
        }
    }

    /// A file the command could not read or write.
    pub(crate) fn file(doing: &'static str, path: &std::path::Path, e: impl ToString) -> Self {
        SetupError::File {
            doing,
            path: path.to_owned(),
            message: e.to_string(),
        }
    }
}

/// Whether Twilio answered 404 (the resource is not, or no longer, in the account).
pub(crate) fn not_found(e: &RestError) -> bool {
    e.status() == Some(404)
}

fn api_message(e: &RestError) -> String {
    match e {
        RestError::Api { error, .. } => error.message.trim_end_matches('.').to_owned(),
        other => other.to_string(),
    }
}
