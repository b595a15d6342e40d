//! Call screening's Twilio webhooks. A screener's "Screen" dequeues the caller through the REST API into
//! `/voice/screen`, which rings the screener's browser (`<Dial><Client>`); "Ready for air" redirects the caller's
//! call (REST `Calls/{sid}` `Url`) to `/voice/screened`, which enqueues them in the screened queue with the same
//! hold music and leaving as the call-in queue. Redirecting the caller ends the `<Dial>` (and so the screener's
//! leg) without its action; Twilio requests the action only when the screener did not answer, hung up, or the
//! caller hung up.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use twilio::twiml::VoiceResponse;

use super::{TwilioForm, active_user, twiml};
use crate::call_log;
use crate::callin::{Line, Place, twiml as say};
use crate::domain::Role;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ScreenQuery {
    /// The screener's identity, as piphone wrote it into the dequeue `Url` (signed by Twilio with the URL).
    screener: Option<String>,
}

/// `POST /voice/screen?screener=<identity>`: the caller, just dequeued for screening, rings the screener's
/// browser. A screener who may no longer screen (disabled, demoted) sends the caller back in line.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn ring_screener(
    State(state): State<AppState>,
    Query(query): Query<ScreenQuery>,
    form: TwilioForm,
) -> Response {
    let sid = form.call_sid();
    let screener = query.screener.unwrap_or_default();
    if active_user(&state, &screener, Role::can_screen, "/voice/screen")
        .await
        .is_none()
    {
        tracing::warn!(
            screener,
            "screening refused: not a screener; caller back in line"
        );
        state.callin.update(|b| b.back_in_line(sid));
        return twiml(say::back_in_line(&state.settings.callin));
    }
    state
        .callin
        .update(|b| b.screening_connected(sid, form.phone_from(), &screener));
    call_log::screener(&state.store, sid, &screener).await;
    tracing::info!(screener, "caller put through to the screener");
    twiml(say::ring_screener(&screener, sid))
}

/// `POST /voice/screen-ended`, the screener's `<Dial action>`: the screener's browser did not answer, or the
/// call with the screener ended without a decision (the caller goes back in line), or the caller hung up.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn screen_ended(State(state): State<AppState>, form: TwilioForm) -> Response {
    let sid = form.call_sid();
    let dial = form.get("DialCallStatus").unwrap_or("");
    if form.get("CallStatus") == Some("completed") {
        let was_screening = state.callin.update(|b| {
            let screening = b.place_of(sid) == Some(Place::Screening);
            if screening {
                b.depart(sid, "hangup", 0);
            }
            screening
        });
        if was_screening {
            call_log::ended(
                &state.store,
                sid,
                "abandoned",
                Some("hung up while screened"),
            )
            .await;
        }
        return twiml(VoiceResponse::new().hangup());
    }
    tracing::info!(
        dial,
        "screening ended without a decision; caller back in line"
    );
    state.callin.update(|b| b.back_in_line(sid));
    call_log::progress(&state.store, sid, "waiting").await;
    twiml(say::back_in_line(&state.settings.callin))
}

/// `POST /voice/screened`: a screened caller, redirected here by "Ready for air", joins the screened queue.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn enqueue_screened(State(state): State<AppState>, form: TwilioForm) -> Response {
    let sid = form.call_sid();
    state.callin.update(|b| {
        b.ready(sid);
        b.arrived(Line::Screened, sid, form.phone_from());
    });
    twiml(say::enqueue_screened(&state.settings.callin))
}

#[derive(Debug, Deserialize)]
pub struct HostQuery {
    /// The host's identity, as piphone wrote it into the dequeue `Url`.
    host: Option<String>,
}

/// `POST /voice/picked?host=<identity>`: a caller the host chose ("Take"), dequeued here, waits a moment in the
/// host's own queue until the host's line takes them. A host who may no longer take calls sends them back.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn enqueue_picked(
    State(state): State<AppState>,
    Query(query): Query<HostQuery>,
    form: TwilioForm,
) -> Response {
    let sid = form.call_sid();
    let host = active_user(
        &state,
        query.host.as_deref().unwrap_or(""),
        Role::can_take_calls,
        "/voice/picked",
    )
    .await;
    let settings = &state.settings.callin;
    let picked = host.and_then(|h| say::enqueue_picked(&settings.pick_queue(h.id), &h.username));
    match picked {
        Some(response) => twiml(response),
        None => {
            tracing::warn!("chosen caller has no host to go to; back to the screened queue");
            state.callin.update(|b| b.pick_returned(sid));
            twiml(say::enqueue_screened(settings))
        }
    }
}
