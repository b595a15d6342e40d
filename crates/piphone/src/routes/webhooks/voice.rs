//! The browser phone's webhooks: `/voice` (a browser placed a call, or a host's console takes callers) and
//! the end of a dialled call.

use axum::extract::State;
use axum::response::Response;
use twilio::twiml::{Dial, Number, Say, VoiceResponse};

use super::{TwilioForm, client_user, host_line, refuse, twiml};
use crate::call_log;
use crate::state::AppState;
use crate::store::{CallKind, DialVerdict, NewCall, User};

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
    if !user.role.can_dial() {
        tracing::warn!(user = %user.username, "call refused: role may not dial");
        return refuse("This account is not allowed to make calls.");
    }
    let Some(caller_id) = state.caller_id.as_deref() else {
        tracing::error!("call refused: no caller ID configured (PIPHONE_CALLER_ID)");
        return refuse("No caller ID is configured, so the call cannot be placed.");
    };
    let to = form.get("To").unwrap_or("");
    let number = match state.policy.check(to) {
        Ok(number) => number,
        Err(refusal) => {
            return refuse_logged(
                &state,
                &form,
                &user,
                to,
                refusal.code(),
                &format!("Sorry, {refusal}. Goodbye."),
            )
            .await;
        }
    };
    let call_sid = form.call_sid();
    let verdict = state
        .store
        .try_dial(
            &user.username,
            number.e164(),
            call_sid,
            i64::from(state.settings.max_calls_per_day),
            i64::from(state.settings.max_concurrent_calls),
        )
        .await;
    let (reason, sentence) = match verdict {
        Ok(DialVerdict::Dialled) => ("", ""),
        Ok(DialVerdict::DailyLimit) => (
            "daily_limit",
            "Sorry, this account has reached its daily call limit.",
        ),
        Ok(DialVerdict::ConcurrentLimit) => (
            "concurrent_limit",
            "Sorry, this account already has calls in progress.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "dial log unavailable; refusing rather than dialling unchecked");
            return refuse("Sorry, the call cannot be placed right now. Please try again.");
        }
    };
    if !reason.is_empty() {
        return refuse_logged(&state, &form, &user, to, reason, sentence).await;
    }
    tracing::info!(user = %user.username, to = %number, "dialling");
    let call = NewCall::now(call_sid, CallKind::Outgoing, number.e164(), "dialling");
    call_log::started(&state.store, call.username(&user.username)).await;
    twiml(
        VoiceResponse::new()
            .say(Say::new(format!("Calling {}", number.spoken())))
            .dial(
                Dial::new()
                    .caller_id(caller_id)
                    .answer_on_bridge(true)
                    .action("/voice/dial-ended")
                    .number(Number::new(number.e164())),
            ),
    )
}

/// Refuses a call and records the refusal (user, number, reason) for the admins.
async fn refuse_logged(
    state: &AppState,
    form: &TwilioForm,
    user: &User,
    to: &str,
    reason: &str,
    sentence: &str,
) -> Response {
    tracing::warn!(user = %user.username, to = %to, reason, "call refused");
    if let Err(e) = state.store.log_refused(&user.username, to, reason).await {
        tracing::error!(error = %e, "could not record a refused call");
    }
    let call = NewCall::now(form.call_sid(), CallKind::Outgoing, to.trim(), "refused");
    call_log::started(
        &state.store,
        call.detail(reason).username(&user.username).ended(),
    )
    .await;
    refuse(sentence)
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
