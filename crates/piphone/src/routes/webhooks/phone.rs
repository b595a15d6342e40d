//! The stream phone's webhooks (`crate::phone`, `PIPHONE_KIOSK_ENGINE=stream`): an outgoing call answered
//! (→ `<Connect><Stream>`), its status callbacks, and the ring loop of an incoming call. `?call=` names the call
//! (part of the signed URL). Without the stream engine each answers `<Hangup/>`.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::response::Response;
use http::StatusCode;
use serde::Deserialize;
use twilio::twiml::VoiceResponse;

use super::{TwilioForm, twiml};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct CallQuery {
    #[serde(default)]
    call: String,
}

/// `POST /voice/phone/answered?call=…`: the far end answered the phone's call.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn answered(
    State(state): State<AppState>,
    Query(query): Query<CallQuery>,
    form: TwilioForm,
) -> Response {
    twiml(match &state.phone {
        Some(phone) => phone.answered_twiml(&query.call, form.call_sid()),
        None => VoiceResponse::new().hangup(),
    })
}

/// `POST /voice/phone/status?call=…`: the status callback of the phone's call.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn status(
    State(state): State<AppState>,
    Query(query): Query<CallQuery>,
    form: TwilioForm,
) -> Response {
    if let Some(phone) = &state.phone {
        let status = form.get("CallStatus").unwrap_or("");
        phone.progress(&query.call, form.call_sid(), status).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /voice/phone/wait?call=…`: an incoming call's ring loop, again while the phone rings.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn ring_wait(State(state): State<AppState>, form: TwilioForm) -> Response {
    twiml(match &state.phone {
        Some(phone) => phone.ring_wait(form.call_sid()),
        None => VoiceResponse::new().hangup(),
    })
}
