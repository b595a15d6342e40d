//! The sandbox panel on the pages: `POST /api/sandbox/call-in` makes simulated listeners call the station (with
//! the voice a person picked: `{"tone_hz": N}` or `{"speech": "…"}`, by default each caller its own tone),
//! `POST /api/sandbox/phones` picks the voice of a dialled number's far end, `GET /api/sandbox/setup` shows what
//! the sandbox's Twilio account is configured with (TwiML Apps and their Voice URLs, the station number's voice
//! webhook, API key SIDs and names; never a secret).
//! Sandbox mode only (404 otherwise); call-in and setup for hosts and admins, a far end's voice for anyone who
//! may use the phone.

use axum::Json;
use axum::extract::State;
use sandbox::Voice;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{CurrentUser, Host};
use crate::domain::PhoneNumber;
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::{AppState, SandboxLink};

/// At most this many simulated callers per request.
const MAX_COUNT: u32 = 50;

#[derive(Deserialize)]
pub struct CallIn {
    from: String,
    #[serde(default = "one")]
    count: u32,
    voice: Option<Voice>,
}

fn one() -> u32 {
    1
}

pub async fn call_in(
    State(state): State<AppState>,
    Host(user): Host,
    JsonBody(req): JsonBody<CallIn>,
) -> Result<Json<Value>, AppError> {
    let link = link(&state)?;
    if !(1..=MAX_COUNT).contains(&req.count) {
        return Err(AppError::BadRequest(format!(
            "count must be 1 to {MAX_COUNT}"
        )));
    }
    let from = e164(&state, &req.from, "from")?;
    if let Some(voice) = &req.voice {
        voice.check().map_err(AppError::BadRequest)?;
    }
    let sids = link
        .call_in(&from, req.count, req.voice.as_ref())
        .await
        .map_err(|e| {
            AppError::Internal(format!("the sandbox process refused the call-in: {e:#}"))
        })?;
    tracing::info!(user = %user.username, from = %from, count = req.count, "sandbox: simulated listeners call in");
    Ok(Json(json!({
        "calls": sids.iter().enumerate().map(|(n, sid)| json!({
            "call_sid": sid,
            "from": sandbox::control::nth_number(&from, n as u32),
        })).collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
pub struct FarEnd {
    number: String,
    voice: Voice,
}

/// `POST /api/sandbox/phones` `{"number", "voice"}`: the dialled number answers and speaks with `voice` from the
/// next call to it on. Answers `{"number": <E.164>, "voice"}`.
pub async fn far_end(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(req): JsonBody<FarEnd>,
) -> Result<Json<Value>, AppError> {
    let link = link(&state)?;
    let number = e164(&state, &req.number, "number")?;
    req.voice.check().map_err(AppError::BadRequest)?;
    link.answer_with_voice(&number, &req.voice)
        .await
        .map_err(|e| AppError::Internal(format!("the sandbox did not take the voice: {e:#}")))?;
    tracing::info!(user = %user.username, number = %number, "sandbox: a far end's voice picked");
    Ok(Json(json!({ "number": number, "voice": req.voice })))
}

/// The sandbox, or 404 outside sandbox mode.
fn link(state: &AppState) -> Result<&SandboxLink, AppError> {
    state.sandbox.as_ref().ok_or(AppError::NotFound)
}

/// `raw` as E.164 (any valid number, or one the dial policy reads with its default country); a refusal naming
/// `field` otherwise.
fn e164(state: &AppState, raw: &str, field: &str) -> Result<String, AppError> {
    PhoneNumber::parse(raw, None)
        .map(|n| n.e164().to_owned())
        .or_else(|_| state.policy.check(raw).map(|n| n.e164().to_owned()))
        .map_err(|_| {
            AppError::BadRequest(format!(
                "{field} must be a phone number in E.164 form, e.g. +15551230001"
            ))
        })
}

/// `{"applications":[…], "numbers":[…], "keys":[…]}` as the sandbox reports it (see `sandbox::Sandbox::setup`).
pub async fn setup(State(state): State<AppState>, Host(_): Host) -> Result<Json<Value>, AppError> {
    let setup = link(&state)?.setup().await.map_err(|e| {
        AppError::Internal(format!("the sandbox process did not show its setup: {e:#}"))
    })?;
    Ok(Json(setup))
}
