//! The browser phone's webhooks: `/voice` (a browser placed a call, or a host's console takes callers) and
//! the end of a dialled call.

use axum::extract::State;
use axum::response::Response;
use twilio::twiml::{Dial, Number, Say, VoiceResponse};

use super::{TwilioForm, client_user, host_line, refuse, twiml};
use crate::call_log;
use crate::outgoing::{self, Dialling, Verdict};
use crate::state::AppState;
use crate::store::{CallKind, NewCall};

/// `POST /voice`, the TwiML App's Voice URL: a browser phone placed a call.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn dial_twiml(State(state): State<AppState>, form: TwilioForm) -> Response {
    let Some(user) = client_user(&state, &form).await else {
        tracing::warn!(from = form.from(), "call refused: not an active user");
        return refuse("This phone is not allowed to make calls.");
    };
    // A host's console takes calls from the call-in queue: `connect({params: {Queue: …}})`.
    if let Some(queue) = form.get("Queue") {
        return host_line::take_calls(&state, &user, queue, &form);
    }
    let dialling = Dialling {
        store: &state.store,
        policy: &state.policy,
        settings: &state.settings,
        caller_id: state.caller_id.as_deref(),
    };
    let call_sid = form.call_sid();
    let (number, caller_id) =
        match outgoing::check(&dialling, &user, form.get("To").unwrap_or(""), call_sid).await {
            Verdict::Dial { number, caller_id } => (number, caller_id),
            Verdict::Refused(sentence) => return refuse(&sentence),
        };
    tracing::info!(user = %user.username, to = %number, "dialling");
    let call = NewCall::now(call_sid, CallKind::Outgoing, number.e164(), "dialling");
    call_log::started(&state.store, call.username(&user.username)).await;
    twiml(
        VoiceResponse::new()
            .say(Say::new(format!("Calling {}", number.spoken())))
            .dial(
                Dial::new()
                    .caller_id(&caller_id)
                    .answer_on_bridge(true)
                    .action("/voice/dial-ended")
                    .number(Number::new(number.e164())),
            ),
    )
}

/// `POST /voice/dial-ended`, the Dial `action` of browser calls: the call is over; free the user's slot.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn dial_ended(State(state): State<AppState>, form: TwilioForm) -> Response {
    if let Some(sid) = form.get("CallSid")
        && let Err(e) = state.store.log_ended(sid).await
    {
        tracing::error!(error = %e, "could not record the end of a call");
    }
    let status = form.dial_status();
    call_log::ended(&state.store, form.call_sid(), status, Some(status)).await;
    twiml(VoiceResponse::new().hangup())
}
