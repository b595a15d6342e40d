//! The sandbox panel on the pages: `POST /api/sandbox/call-in` makes simulated listeners call the station,
//! `GET /api/sandbox/setup` shows what the sandbox's Twilio account is configured with (TwiML Apps and their
//! Voice URLs, the station number's voice webhook, API key SIDs and names; never a secret).
//! Sandbox mode only (404 otherwise); hosts and admins only.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::Host;
use crate::domain::PhoneNumber;
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::AppState;

/// At most this many simulated callers per request.
const MAX_COUNT: u32 = 50;

#[derive(Deserialize)]
pub struct CallIn {
    from: String,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

pub async fn call_in(
    State(state): State<AppState>,
    Host(user): Host,
    JsonBody(req): JsonBody<CallIn>,
) -> Result<Json<Value>, AppError> {
    let Some(link) = &state.sandbox else {
        return Err(AppError::NotFound);
    };
    if !(1..=MAX_COUNT).contains(&req.count) {
        return Err(AppError::BadRequest(format!(
            "count must be 1 to {MAX_COUNT}"
        )));
    }
    let from = PhoneNumber::parse(&req.from, None)
        .map(|n| n.e164().to_owned())
        .or_else(|_| state.policy.check(&req.from).map(|n| n.e164().to_owned()))
        .map_err(|_| {
            AppError::BadRequest(
                "from must be a phone number in E.164 form, e.g. +15551230001".into(),
            )
        })?;
    let sids = link.call_in(&from, req.count).await.map_err(|e| {
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

/// `{"applications":[…], "numbers":[…], "keys":[…]}` as the sandbox reports it (see `sandbox::Sandbox::setup`).
pub async fn setup(State(state): State<AppState>, Host(_): Host) -> Result<Json<Value>, AppError> {
    let Some(link) = &state.sandbox else {
        return Err(AppError::NotFound);
    };
    let setup = link.setup().await.map_err(|e| {
        AppError::Internal(format!("the sandbox process did not show its setup: {e:#}"))
    })?;
    Ok(Json(setup))
}
