//! Pages behind the login, and what the page needs to know about its user.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::extract::{CurrentUser, PageUser};
use crate::error::AppError;
use crate::state::AppState;

/// An embedded page, or 404 when the build lacks it.
pub(super) fn page(name: &str) -> Response {
    crate::assets::page(name).unwrap_or_else(|| AppError::NotFound.into_response())
}

/// `GET /`: the phone.
pub async fn phone(_user: PageUser) -> Response {
    page("index")
}

/// `GET /api/me`: who is logged in and what the page should offer them.
pub async fn me(State(state): State<AppState>, CurrentUser(user): CurrentUser) -> Json<Value> {
    Json(json!({
        "identity": user.username,
        "role": user.role,
        "can_dial": user.role.can_dial(),
        "can_take_calls": user.role.can_take_calls(),
        "can_screen": user.role.can_screen(),
        "can_read_call_log": user.role.can_read_call_log(),
        "sandbox": state.sandbox(),
        // Where callers go on the air: this browser (`browser`) or the studio hybrid's lines (`hybrid`).
        "onair": if state.hybrid.is_some() { "hybrid" } else { "browser" },
        // host:port of the sandbox's signaling gateway when it runs as its own process; null: this host.
        "sandbox_signal_host": state.sandbox.as_ref().and_then(|link| link.signal_host()),
        "default_number": state.default_number,
        "caller_id": state.caller_id,
        "dial_countries": state.policy.allowed_countries,
    }))
}
