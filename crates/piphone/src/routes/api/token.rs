//! `GET /token`: a Twilio Access Token for the logged-in user's browser phone.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use twilio::token::{AccessToken, VoiceGrant};

use super::extract::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// One hour; the page renews it on `tokenWillExpire`.
pub const TOKEN_TTL_SECS: u64 = 3600;

pub async fn token(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<TokenResponse>, AppError> {
    let t = &state.twilio;
    let jwt = AccessToken::new(
        &t.account_sid,
        &t.api_key_sid,
        t.api_key_secret.expose(),
        &user.username,
    )
    .ttl(TOKEN_TTL_SECS)
    .voice(VoiceGrant {
        outgoing_application_sid: Some(t.app_sid.clone()),
        incoming_allow: true,
        ..VoiceGrant::default()
    })
    .to_jwt()
    .map_err(|e| AppError::Internal(e.to_string()))?;
    state
        .presence
        .touch(&user.username, Duration::from_secs(TOKEN_TTL_SECS));
    Ok(Json(TokenResponse {
        identity: user.username,
        token: jwt,
        ttl: TOKEN_TTL_SECS,
    }))
}

/// The JSON the page gets (typed: no intermediate `serde_json::Value` per request).
#[derive(Serialize)]
pub struct TokenResponse {
    identity: String,
    token: String,
    ttl: u64,
}
