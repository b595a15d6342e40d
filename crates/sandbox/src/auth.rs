//! HTTP Basic auth against the sandbox account, as api.twilio.com checks it.

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::Credentials;

/// Which secrets a route accepts.
#[derive(Debug, Clone, Copy)]
pub enum Accept {
    /// Account SID + auth token only (the control API).
    AccountOnly,
    /// Account SID + auth token, or API key SID + secret (the REST API).
    AccountOrApiKey,
}

pub fn authorized(headers: &HeaderMap, creds: &Credentials, accept: Accept) -> bool {
    let Some((user, pass)) = basic(headers) else {
        return false;
    };
    let eq = |a: &str, b: &str| a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    let account = eq(&user, &creds.account_sid) && eq(&pass, &creds.auth_token);
    let key = matches!(accept, Accept::AccountOrApiKey)
        && eq(&user, &creds.api_key_sid)
        && eq(&pass, &creds.api_key_secret);
    account || key
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}
