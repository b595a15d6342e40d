//! HTTP Basic auth against the sandbox account, as api.twilio.com checks it.

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::Credentials;

/// Who a request authenticated as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Account SID + auth token (the control API takes only this).
    Account,
    /// An API key's SID + secret (REST, except managing keys).
    ApiKey,
}

/// Checks the Basic credentials against the account and, through `key_secret`, the account's API keys.
pub fn caller(
    headers: &HeaderMap,
    creds: &Credentials,
    key_secret: impl FnOnce(&str) -> Option<String>,
) -> Option<Caller> {
    let (user, pass) = basic(headers)?;
    let eq = |a: &str, b: &str| a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    if eq(&user, &creds.account_sid) && eq(&pass, &creds.auth_token) {
        return Some(Caller::Account);
    }
    let secret = key_secret(&user)?;
    eq(&pass, &secret).then_some(Caller::ApiKey)
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
