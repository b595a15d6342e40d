//! Each user's microphone and speaker: `GET/PUT /api/me/audio`, and the `/settings` page that lists the devices
//! the browser sees. The phone page applies the saved choice and saves a new one when it is changed there.

use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::extract::{CurrentUser, PageUser};
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::AppState;
use crate::store::{AudioDevice, AudioPrefs};

/// Browsers' device ids are 64 hex characters; labels are short product names.
const MAX_ID: usize = 256;
const MAX_LABEL: usize = 200;

/// `GET /settings`: the audio settings page.
pub async fn settings_page(_user: PageUser) -> Response {
    super::pages::page("settings")
}

/// `GET /api/me/audio`: the signed-in user's chosen devices (`null`: the browser's default).
pub async fn audio_prefs(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<AudioPrefs>, AppError> {
    Ok(Json(state.store.audio_prefs(user.id).await?))
}

fn check(which: &str, device: &Option<AudioDevice>) -> Result<(), AppError> {
    match device {
        Some(d) if d.id.len() > MAX_ID || d.label.len() > MAX_LABEL => Err(AppError::BadRequest(
            format!("{which}: the id or label is too long"),
        )),
        Some(d) if d.id.chars().chain(d.label.chars()).any(char::is_control) => Err(
            AppError::BadRequest(format!("{which}: control characters are not allowed")),
        ),
        _ => Ok(()),
    }
}

/// `PUT /api/me/audio` `{input: {id, label} | null, output: {id, label} | null}`: replaces the user's choice.
pub async fn set_audio_prefs(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(prefs): JsonBody<AudioPrefs>,
) -> Result<Json<AudioPrefs>, AppError> {
    check("input", &prefs.input)?;
    check("output", &prefs.output)?;
    state.store.set_audio_prefs(user.id, &prefs).await?;
    tracing::info!(user = %user.username, input = ?prefs.input.as_ref().map(|d| &d.label),
        output = ?prefs.output.as_ref().map(|d| &d.label), "audio devices chosen");
    Ok(Json(state.store.audio_prefs(user.id).await?))
}
