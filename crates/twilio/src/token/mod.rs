//! Twilio Access Tokens with a Voice grant: issuing ([`AccessToken`]) and verifying ([`verify`]).
//!
//! Layout follows twilio-python 9.13.0 (`twilio/jwt/__init__.py`, `twilio/jwt/access_token/`):
//! header `{"alg":"HS256","cty":"twilio-fpa;v=1","typ":"JWT"}` plus `twr` for a region; payload
//! `jti = "<SK sid>-<now>"`, `grants {voice, identity}`, `iss = SK sid`, `exp = now + ttl`,
//! `nbf = now`, `sub = AC sid`. Twilio refuses a TTL over 24 hours (errors 20104/20157).

mod claims;
mod jwt;
mod verify;

use std::fmt;

pub use claims::{Claims, Grants, Header, VoiceGrant};
pub use verify::{VerifiedToken, VerifyError, verify};

/// Longest lifetime Twilio accepts, in seconds (24 h).
pub const MAX_TTL_SECS: u64 = 86_400;
/// twilio-python's default lifetime, in seconds.
pub const DEFAULT_TTL_SECS: u64 = 3_600;

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Twilio refuses tokens valid for more than 24 hours.
    #[error("token TTL {ttl} s exceeds Twilio's maximum of {MAX_TTL_SECS} s (24 h)")]
    TtlTooLong {
        /// The requested TTL.
        ttl: u64,
    },
    /// A zero TTL would be expired on issue.
    #[error("token TTL must be at least 1 s")]
    ZeroTtl,
    /// A Voice token needs a client identity.
    #[error("token identity must not be empty")]
    EmptyIdentity,
    /// The signing secret is empty.
    #[error("API key secret must not be empty")]
    EmptySecret,
    /// Outgoing params only make sense with a TwiML App SID (twilio-python drops them silently).
    #[error("outgoing application params given without an outgoing application SID")]
    ParamsWithoutApplication,
}

/// Builder for an Access Token. `Debug` does not print the secret.
#[derive(Clone)]
pub struct AccessToken {
    account_sid: String,
    api_key_sid: String,
    api_key_secret: String,
    identity: String,
    ttl: u64,
    region: Option<String>,
    voice: Option<VoiceGrant>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("account_sid", &self.account_sid)
            .field("api_key_sid", &self.api_key_sid)
            .field("api_key_secret", &"<redacted>")
            .field("identity", &self.identity)
            .field("ttl", &self.ttl)
            .field("region", &self.region)
            .field("voice", &self.voice)
            .finish()
    }
}

impl AccessToken {
    /// A token for `identity`, signed with the API key (`SK…` SID and its secret) of
    /// `account_sid` (`AC…`), valid for [`DEFAULT_TTL_SECS`].
    pub fn new(
        account_sid: impl Into<String>,
        api_key_sid: impl Into<String>,
        api_key_secret: impl Into<String>,
        identity: impl Into<String>,
    ) -> Self {
        Self {
            account_sid: account_sid.into(),
            api_key_sid: api_key_sid.into(),
            api_key_secret: api_key_secret.into(),
            identity: identity.into(),
            ttl: DEFAULT_TTL_SECS,
            region: None,
            voice: None,
        }
    }

    /// Lifetime in seconds, 1..=[`MAX_TTL_SECS`] (checked when signing).
    pub fn ttl(mut self, secs: u64) -> Self {
        self.ttl = secs;
        self
    }

    /// Twilio region (`us1`, `ie1`, …) written as the `twr` header; empty means none.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        let region = region.into();
        self.region = (!region.is_empty()).then_some(region);
        self
    }

    /// Adds the Voice grant.
    pub fn voice(mut self, grant: VoiceGrant) -> Self {
        self.voice = Some(grant);
        self
    }

    /// Signs the token as of `now_unix` (seconds since the epoch).
    pub fn to_jwt_at(&self, now_unix: u64) -> Result<String, TokenError> {
        if self.ttl > MAX_TTL_SECS {
            return Err(TokenError::TtlTooLong { ttl: self.ttl });
        }
        if self.ttl == 0 {
            return Err(TokenError::ZeroTtl);
        }
        if self.identity.is_empty() {
            return Err(TokenError::EmptyIdentity);
        }
        if self.api_key_secret.is_empty() {
            return Err(TokenError::EmptySecret);
        }
        if let Some(v) = &self.voice
            && v.outgoing_application_sid
                .as_deref()
                .unwrap_or("")
                .is_empty()
            && v.outgoing_application_params.is_some()
        {
            return Err(TokenError::ParamsWithoutApplication);
        }
        let header = Header {
            alg: "HS256".into(),
            cty: Some("twilio-fpa;v=1".into()),
            twr: self.region.clone(),
            typ: Some("JWT".into()),
        };
        let claims = Claims {
            jti: Some(format!("{}-{now_unix}", self.api_key_sid)),
            grants: Grants {
                voice: self.voice.clone(),
                identity: Some(self.identity.clone()),
                other: Default::default(),
            },
            iss: self.api_key_sid.clone(),
            exp: now_unix + self.ttl,
            nbf: Some(now_unix),
            sub: self.account_sid.clone(),
        };
        let header = jwt::to_ascii_json(&header);
        let payload = jwt::to_ascii_json(&claims);
        Ok(jwt::sign(&header, &payload, self.api_key_secret.as_bytes()))
    }

    /// Signs the token as of the system clock.
    pub fn to_jwt(&self) -> Result<String, TokenError> {
        self.to_jwt_at(unix_now())
    }
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
