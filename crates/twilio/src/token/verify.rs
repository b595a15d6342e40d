//! Checking an Access Token as Twilio does: signature with the secret of the API key named by
//! `iss`, then `nbf`/`exp`, then the presence of grants.

use super::claims::{Claims, Header, VoiceGrant};
use super::jwt;

/// A token whose signature and validity window checked out.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    /// Decoded header.
    pub header: Header,
    /// Decoded payload.
    pub claims: Claims,
}

impl VerifiedToken {
    /// The client identity, if the token names one.
    pub fn identity(&self) -> Option<&str> {
        self.claims.grants.identity.as_deref()
    }

    /// The Voice grant, if any.
    pub fn voice(&self) -> Option<&VoiceGrant> {
        self.claims.grants.voice.as_ref()
    }
}

/// Why a token was refused. Twilio reports [`VerifyError::Invalid`] as 20101 and
/// [`VerifyError::Expired`] as 20104.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Malformed, wrongly signed, signed by an unknown key, or missing required claims.
    #[error("invalid access token: {0}")]
    Invalid(&'static str),
    /// `exp` has passed.
    #[error("access token expired at {exp} (now {now})")]
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The clock used.
        now: u64,
    },
    /// `nbf` is still in the future.
    #[error("access token not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The token's `nbf`.
        nbf: u64,
        /// The clock used.
        now: u64,
    },
}

/// Verifies `jwt` at `now_unix`. `secret_for` maps the API key SID in `iss` to its secret
/// (`None` for an unknown key). The signature is checked before any claim is trusted, so a
/// forged token is always [`VerifyError::Invalid`], never `Expired`.
///
/// Expired means `now >= exp` and not-yet-valid means `now < nbf`, as PyJWT decides with zero
/// leeway. Grants must be present and name at least one grant or an identity.
pub fn verify<F, S>(jwt: &str, secret_for: F, now_unix: u64) -> Result<VerifiedToken, VerifyError>
where
    F: FnOnce(&str) -> Option<S>,
    S: AsRef<[u8]>,
{
    use VerifyError::Invalid;
    let parts = jwt::split(jwt).ok_or(Invalid("not a three-part base64url JWT"))?;
    let header: Header =
        serde_json::from_slice(&parts.header).map_err(|_| Invalid("header is not valid JSON"))?;
    if header.alg != "HS256" {
        return Err(Invalid("algorithm is not HS256"));
    }
    let raw: serde_json::Value =
        serde_json::from_slice(&parts.payload).map_err(|_| Invalid("payload is not valid JSON"))?;
    let iss = raw
        .get("iss")
        .and_then(|v| v.as_str())
        .ok_or(Invalid("payload has no iss"))?;
    let secret = secret_for(iss).ok_or(Invalid("unknown API key (iss)"))?;
    if !jwt::verify(parts.signing_input, &parts.signature, secret.as_ref()) {
        return Err(Invalid("signature mismatch"));
    }
    if raw.get("grants").is_none_or(|g| !g.is_object()) {
        return Err(Invalid("payload has no grants"));
    }
    let claims: Claims = serde_json::from_value(raw)
        .map_err(|_| Invalid("payload lacks exp/sub or has mistyped claims"))?;
    let g = &claims.grants;
    if g.voice.is_none() && g.identity.is_none() && g.other.is_empty() {
        return Err(Invalid("grants are empty"));
    }
    if let Some(nbf) = claims.nbf
        && now_unix < nbf
    {
        return Err(VerifyError::NotYetValid { nbf, now: now_unix });
    }
    if now_unix >= claims.exp {
        return Err(VerifyError::Expired {
            exp: claims.exp,
            now: now_unix,
        });
    }
    Ok(VerifiedToken { header, claims })
}
