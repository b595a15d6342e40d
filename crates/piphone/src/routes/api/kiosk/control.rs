//! The command line's side of the relay: `Authorization: Bearer <control.secret>` from this machine.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::AUTHORIZATION;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;

use crate::error::AppError;
use crate::error::JsonBody;
use crate::kiosk::hub::RelayError;
use crate::kiosk::messages::{Command, Status};
use crate::state::AppState;

/// A command-line client on this machine: `Authorization: Bearer <data_dir>/control.secret`.
pub struct LocalControl;

impl FromRequestParts<AppState> for LocalControl {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if state.kiosk.authorizes(presented) {
            Ok(LocalControl)
        } else {
            Err(AppError::Unauthenticated)
        }
    }
}

/// The default wait for an outcome: a call may ring for a while; the rest is quick.
fn default_timeout(command: &Command) -> Duration {
    match command {
        Command::Call { .. } | Command::Answer => Duration::from_secs(60),
        Command::Hangup | Command::Dtmf { .. } => Duration::from_secs(15),
    }
}

#[derive(Deserialize)]
pub struct CommandBody {
    #[serde(flatten)]
    command: Command,
    timeout_secs: Option<u64>,
}

/// `POST /api/kiosk/command` (local control): relays a command to the kiosk page (with the stream engine: to the
/// server's own phone, `crate::phone`) and answers its outcome:
/// 200 `{ok, message, state}` (`ok` false when the phone could not do it), 400 for a number or digits the
/// server refuses, 503 with no kiosk page, 504 when the page does not answer in time.
pub async fn relay_command(
    State(state): State<AppState>,
    _control: LocalControl,
    JsonBody(body): JsonBody<CommandBody>,
) -> Result<Response, AppError> {
    let command = match body.command {
        Command::Call { number } => {
            let checked = state
                .policy
                .check(&number)
                .map_err(|refusal| AppError::BadRequest(format!("{number:?}: {refusal}")))?;
            Command::Call {
                number: checked.e164().to_owned(),
            }
        }
        Command::Dtmf { digits } => {
            let ok = (1..=32).contains(&digits.len())
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
            if !ok {
                return Err(AppError::BadRequest(
                    "digits are 1 to 32 of 0-9, * and #".into(),
                ));
            }
            Command::Dtmf { digits }
        }
        other => other,
    };
    let timeout = body
        .timeout_secs
        .map(|s| Duration::from_secs(s.clamp(1, 600)))
        .unwrap_or_else(|| default_timeout(&command));
    if let Some(phone) = &state.phone {
        return Ok(Json(phone.command(command, timeout).await).into_response());
    }
    match state.kiosk.relay(command, timeout).await {
        Ok(outcome) => Ok(Json(outcome).into_response()),
        Err(e) => {
            let status = match e {
                RelayError::NotConnected | RelayError::PageGone => StatusCode::SERVICE_UNAVAILABLE,
                RelayError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            };
            tracing::warn!(error = %e, "kiosk command failed");
            Ok((status, Json(json!({ "error": e.to_string() }))).into_response())
        }
    }
}

/// `GET /api/kiosk/status` (local control): whether a kiosk page is connected and what its phone is doing (with
/// the stream engine: the server's own phone).
pub async fn kiosk_status(State(state): State<AppState>, _control: LocalControl) -> Json<Status> {
    Json(match &state.phone {
        Some(phone) => phone.status(),
        None => state.kiosk.status(),
    })
}
