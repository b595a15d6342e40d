//! The studio hybrid's lines (`PIPHONE_ONAIR=hybrid`): their state, and their buttons for the console and the
//! command line (`piphone line …`). The buttons themselves are `hybrid::control`; this only checks who may press
//! them and turns refusals into answers (409 with a sentence; a Twilio failure 502).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;

use super::extract::LineOperator;
use crate::error::{AppError, JsonBody};
use crate::hybrid::control::{Action, LineError};
use crate::hybrid::lines::{Mode, Refusal};
use crate::hybrid::{Hybrid, LinesSnapshot};
use crate::state::AppState;

fn hybrid(state: &AppState) -> Result<Arc<Hybrid>, AppError> {
    state.hybrid.clone().ok_or_else(|| {
        AppError::Conflict("the studio hybrid is off: set PIPHONE_ONAIR=hybrid".into())
    })
}

fn refused(e: LineError) -> AppError {
    match e {
        LineError::Refused(Refusal::NoSuchLine(_)) => AppError::BadRequest(e.to_string()),
        LineError::Twilio(e) => AppError::Upstream(e),
        other => AppError::Conflict(other.to_string()),
    }
}

/// `GET /api/lines`: every line, and the callers a fault sent back to the screened queue.
pub async fn lines(
    State(state): State<AppState>,
    _who: LineOperator,
) -> Result<Json<LinesSnapshot>, AppError> {
    Ok(Json(hybrid(&state)?.snapshot()))
}

#[derive(Debug, Deserialize)]
pub struct PressBody {
    action: Action,
}

/// `POST /api/lines/{n}` `{"action": "air"|"hold"|"drop"|"lock"|"unlock"}`.
pub async fn press(
    State(state): State<AppState>,
    who: LineOperator,
    Path(n): Path<u8>,
    JsonBody(body): JsonBody<PressBody>,
) -> Result<Json<LinesSnapshot>, AppError> {
    let hybrid = hybrid(&state)?;
    tracing::info!(by = who.name(), line = n, action = ?body.action, "line button");
    hybrid.press(n, body.action).await.map_err(refused)?;
    Ok(Json(hybrid.snapshot()))
}

#[derive(Debug, Deserialize)]
pub struct TakeBody {
    call_sid: String,
    /// Straight on the air (default: on hold, ready to go).
    #[serde(default)]
    air: bool,
}

/// `POST /api/lines/{n}/take` `{"call_sid": …, "air": false}`: a waiting, screened or screening caller onto
/// line `n`.
pub async fn take(
    State(state): State<AppState>,
    who: LineOperator,
    Path(n): Path<u8>,
    JsonBody(body): JsonBody<TakeBody>,
) -> Result<Json<LinesSnapshot>, AppError> {
    let hybrid = hybrid(&state)?;
    let mode = if body.air { Mode::OnAir } else { Mode::Hold };
    tracing::info!(by = who.name(), line = n, call_sid = %body.call_sid, "take onto a line");
    hybrid
        .take(n, &body.call_sid, mode)
        .await
        .map_err(refused)?;
    Ok(Json(hybrid.snapshot()))
}

/// `POST /api/lines/next`: drops the unlocked lines on the air, puts the next caller (screened first) on the air.
pub async fn next(
    State(state): State<AppState>,
    who: LineOperator,
) -> Result<Json<serde_json::Value>, AppError> {
    let hybrid = hybrid(&state)?;
    tracing::info!(by = who.name(), "next on the lines");
    let on_air = hybrid.next().await.map_err(refused)?;
    Ok(Json(
        json!({ "on_air": on_air, "lines": hybrid.snapshot().lines }),
    ))
}
