//! The receiving side of Twilio's protocols as the sandbox uses them, on top of the `twilio`
//! crate: reading TwiML, checking Access Tokens the way Twilio's gateway does, and PStream
//! frames (used by the signaling gateway and by the engine, which signals browsers).

use serde_json::{Value, json};
use twilio::token::VerifyError;
pub use twilio::twiml::Element;

/// The PStream protocol version the SDK speaks.
pub const PSTREAM_VERSION: &str = "1.6";

/// Error codes the SDK maps to `AccessTokenInvalid` (20101) and `AccessTokenExpired` (20104).
pub const TOKEN_INVALID: u32 = 31204;
pub const TOKEN_EXPIRED: u32 = 31205;

/// One PStream frame as sent on the wire: `{"type","version":"1.6","payload"}`.
pub fn frame(kind: &str, payload: Value) -> String {
    json!({ "type": kind, "version": PSTREAM_VERSION, "payload": payload }).to_string()
}

/// Parses a TwiML document into its root element.
pub fn parse_twiml(xml: &str) -> Result<Element, String> {
    twilio::twiml::parse(xml).map_err(|e| e.to_string())
}

/// An element's text, trimmed (`""` when it has none).
pub fn text(el: &Element) -> &str {
    el.text.as_deref().unwrap_or("").trim()
}

/// What the gateway needs from a valid Access Token.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub identity: String,
    pub account_sid: String,
    pub exp: i64,
    pub incoming_allowed: bool,
    /// The TwiML App of the outgoing grant, whose Voice URL an outgoing call requests.
    pub app_sid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Twilio's 31204 (the SDK's AccessTokenInvalid, 20101).
    Invalid,
    /// Twilio's 31205 (the SDK's AccessTokenExpired, 20104).
    Expired,
}

/// Checks signature (HS256 with the secret of the API key in `iss`), `exp`, `nbf` and that the
/// token carries a Voice grant. A token not yet valid counts as invalid, as Twilio answers it.
pub fn verify_token(
    jwt: &str,
    secret_for: impl FnOnce(&str) -> Option<String>,
    now: i64,
) -> Result<VerifiedToken, TokenError> {
    let token = twilio::token::verify(jwt, secret_for, now.max(0) as u64).map_err(|e| match e {
        VerifyError::Expired { .. } => TokenError::Expired,
        _ => TokenError::Invalid,
    })?;
    let voice = token
        .claims
        .grants
        .voice
        .as_ref()
        .ok_or(TokenError::Invalid)?;
    Ok(VerifiedToken {
        identity: token.identity().unwrap_or_default().to_owned(),
        account_sid: token.claims.sub.clone(),
        exp: token.claims.exp as i64,
        incoming_allowed: voice.incoming_allow,
        app_sid: voice.outgoing_application_sid.clone(),
    })
}
