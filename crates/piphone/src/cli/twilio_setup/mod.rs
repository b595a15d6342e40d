//! `piphone twilio setup` and `teardown`: from an account SID and auth token to an account that
//! works with piphone, in one command, and back.
//!
//! Setup validates its input locally ([`SetupInput`]), reads the account (the API key and TwiML
//! App it may reuse, the numbers), computes a plan of writes ([`Action`]s) with a sentence each, and applies
//! it: an API key (its secret is shown only at creation, so it goes into the settings file), a
//! TwiML App whose Voice URL is the public URL + [`VOICE_PATH`], the chosen number's voice webhook
//! on [`INCOMING_PATH`], and the settings file (mode 0600, other lines kept). What it created and
//! what it changed (with the previous values) is remembered in `<data dir>/`[`RECORD_FILE`], so
//! [`teardown`] removes exactly that and restores the rest. A second run finds nothing to do and
//! writes nothing; a dry run reads only. Every Twilio error becomes a [`SetupError`] sentence
//! saying what to do; secrets appear in no output, log or error.
//!
//! piphone serves no call status callback and no voice fallback, so setup sets neither and leaves
//! whatever the app or number has there as it is.
//!
//! [`live_checks`] are the checks `piphone doctor` runs against the live account.

mod apply;
mod error;
mod live;
mod plan;
mod prompt;
mod record;
mod settings_file;
mod teardown;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use twilio::rest::{Auth, Client, ClientConfig};
use url::Url;

use crate::settings::Secret;

pub use apply::{SetupReport, setup};
pub use error::SetupError;
pub use live::{LiveAccount, LiveFinding, live_checks};
pub use plan::Action;
pub use prompt::{NonInteractive, NumberPrompt, TerminalPrompt};
pub use record::RECORD_FILE;
pub use teardown::{TeardownReport, teardown};

/// FriendlyName of the API key and the TwiML App setup creates (and looks the app up by).
pub const RESOURCE_NAME: &str = "piphone";
/// Where piphone answers the Voice SDK's calls: the TwiML App's Voice URL.
pub const VOICE_PATH: &str = "/voice";
/// Where piphone answers calls to the station number: the number's voice webhook.
pub const INCOMING_PATH: &str = "/voice/incoming";

/// What `piphone twilio setup` / `teardown` work from. Teardown uses the credentials, the API
/// target, the data directory, the settings file and `dry_run`.
#[derive(Debug, Clone)]
pub struct SetupInput {
    /// `AC…` (the live account, not the test credentials).
    pub account_sid: String,
    /// The account's auth token: only it may create API keys.
    pub auth_token: Secret,
    /// `PIPHONE_PUBLIC_URL`: the https base URL Twilio reaches piphone at.
    pub public_url: Option<Url>,
    /// `--number`: the number to point at piphone (E.164).
    pub number: Option<String>,
    /// Twilio's REST base URL (`PIPHONE_TWILIO_API_URL`).
    pub api_base: Url,
    /// Accept a self-signed certificate from the API: only for piphone's own sandbox on loopback.
    pub accept_invalid_certs: bool,
    /// piphone's data directory, where the record of what setup did is kept.
    pub data_dir: PathBuf,
    /// The settings file to write (`PIPHONE_CONFIG`, else `./piphone.toml`).
    pub settings_file: PathBuf,
    /// Read and plan only: no write to Twilio or to any file.
    pub dry_run: bool,
}

impl SetupInput {
    /// Checks what can be checked without Twilio: the SID's shape and the token's presence.
    fn validate_credentials(&self) -> Result<(), SetupError> {
        let sid = &self.account_sid;
        let well_formed = sid.len() == 34
            && sid.starts_with("AC")
            && sid[2..].chars().all(|c| c.is_ascii_hexdigit());
        if !well_formed {
            return Err(SetupError::BadAccountSid);
        }
        if self.auth_token.expose().trim().is_empty() {
            return Err(SetupError::MissingAuthToken);
        }
        Ok(())
    }

    /// The public URL, which must be https (Twilio's webhooks need a trusted https address).
    fn public_url(&self) -> Result<&Url, SetupError> {
        let url = self
            .public_url
            .as_ref()
            .ok_or(SetupError::PublicUrlMissing)?;
        if url.scheme() != "https" {
            return Err(SetupError::PublicUrlNotHttps(url.to_string()));
        }
        Ok(url)
    }

    /// A REST client authenticated with the auth token.
    fn client(&self) -> Result<Client, SetupError> {
        rest_client(
            &self.account_sid,
            Auth::auth_token(self.auth_token.expose()),
            &self.api_base,
            self.accept_invalid_certs,
        )
    }
}

/// A REST client for `base`; the rustls provider is installed first.
fn rest_client(
    account_sid: &str,
    auth: Auth,
    base: &Url,
    accept_invalid_certs: bool,
) -> Result<Client, SetupError> {
    crate::tls::install_crypto_provider();
    let config = ClientConfig {
        base_url: base.to_string(),
        accept_invalid_certs,
        ..Default::default()
    };
    Client::new(account_sid, auth, config).map_err(|e| SetupError::Unreachable {
        base: base.to_string(),
        detail: e.to_string(),
    })
}

/// `public` + `path`, keeping any path prefix of the public URL.
fn webhook_url(public: &Url, path: &str) -> String {
    format!("{}{path}", public.as_str().trim_end_matches('/'))
}

/// Whether a webhook is `url` requested with POST (Twilio's default when the method is absent).
fn points_at(current: &Option<String>, method: &Option<String>, url: &str) -> bool {
    current.as_deref() == Some(url)
        && method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case("POST"))
}
