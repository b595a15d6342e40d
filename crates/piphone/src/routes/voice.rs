//! Twilio's voice webhooks. Every handler takes a [`TwilioForm`], so nothing runs before the signature is
//! checked; each answers TwiML built with the protocol crate (no hand-written XML, so no caller-controlled
//! string can break it).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use twilio::twiml::{Client, Dial, Number, Say, VoiceResponse};

use crate::call_log;
use crate::state::AppState;
use crate::store::{CallKind, DialVerdict, NewCall, User};
use crate::webhook::TwilioForm;

/// The Dial action of station calls that ring browsers.
pub const RING_ENDED_PATH: &str = "/voice/ring-ended";

/// Twilio's `<Dial>` rings at most ten nouns at once.
const MAX_CLIENTS_RUNG: usize = 10;

/// A TwiML document as an HTTP response.
pub fn twiml(response: VoiceResponse) -> Response {
    (
        [(CONTENT_TYPE, "text/xml; charset=utf-8")],
        response.to_xml(),
    )
        .into_response()
}

/// A spoken reason, then hang up. Never a Dial.
pub fn refuse(sentence: &str) -> Response {
    twiml(VoiceResponse::new().say(Say::new(sentence)).hangup())
}

/// The user behind `From=client:<identity>`, if that is an active user.
pub(crate) async fn client_user(state: &AppState, form: &TwilioForm) -> Option<User> {
    let identity = form.get("From")?.strip_prefix("client:")?;
    match state.store.user_by_name(identity).await {
        Ok(Some(user)) if !user.disabled => Some(user),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, "user lookup failed in /voice");
            None
        }
    }
}

/// `POST /voice`, the TwiML App's Voice URL: a browser phone placed a call.
#[tracing::instrument(skip_all, fields(call_sid = form.get("CallSid").unwrap_or("")))]
pub async fn dial_twiml(State(state): State<AppState>, form: TwilioForm) -> Response {
    let Some(user) = client_user(&state, &form).await else {
        tracing::warn!(
            from = form.get("From").unwrap_or(""),
            "call refused: not an active user"
        );
        return refuse("This phone is not allowed to make calls.");
    };
    // A host's console takes calls from the call-in queue: `connect({params: {Queue: …}})`.
    if let Some(queue) = form.get("Queue") {
        return super::callin::take_calls(&state, &user, queue, &form);
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
    let call_sid = form.get("CallSid").unwrap_or("");
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
    call_log::started(&state, call.username(&user.username)).await;
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
    let call_sid = form.get("CallSid").unwrap_or("");
    let call = NewCall::now(call_sid, CallKind::Outgoing, to.trim(), "refused");
    call_log::started(state, call.detail(reason).username(&user.username).ended()).await;
    refuse(sentence)
}

/// `POST /voice/dial-ended`, the Dial `action` of browser calls: the call is over; free the user's slot.
#[tracing::instrument(skip_all, fields(call_sid = form.get("CallSid").unwrap_or("")))]
pub async fn dial_ended(State(state): State<AppState>, form: TwilioForm) -> Response {
    if let Some(sid) = form.get("CallSid")
        && let Err(e) = state.store.log_ended(sid).await
    {
        tracing::error!(error = %e, "could not record the end of a call");
    }
    let status = dial_status(&form);
    call_log::ended(
        &state,
        form.get("CallSid").unwrap_or(""),
        status,
        Some(status),
    )
    .await;
    twiml(VoiceResponse::new().hangup())
}

/// Twilio's `DialCallStatus` (completed, busy, no-answer, failed, canceled), `completed` when absent.
fn dial_status(form: &TwilioForm) -> &str {
    form.get("DialCallStatus")
        .filter(|s| !s.is_empty())
        .unwrap_or("completed")
}

/// `POST /voice/ring-ended`, the Dial `action` of a station call that rang browsers: answered or missed.
#[tracing::instrument(skip_all, fields(call_sid = form.get("CallSid").unwrap_or("")))]
pub async fn ring_ended(State(state): State<AppState>, form: TwilioForm) -> Response {
    let status = dial_status(&form);
    let outcome = if status == "completed" {
        "answered"
    } else {
        "missed"
    };
    call_log::ended(
        &state,
        form.get("CallSid").unwrap_or(""),
        outcome,
        Some(status),
    )
    .await;
    twiml(VoiceResponse::new().hangup())
}

/// `/voice/incoming` with `PIPHONE_INCOMING_MODE=ring` (see `routes/callin.rs`): ring the browsers of online users who may take calls.
#[tracing::instrument(skip_all, fields(call_sid = form.get("CallSid").unwrap_or("")))]
pub async fn ring_browsers(State(state): State<AppState>, form: TwilioForm) -> Response {
    let mut takers = Vec::new();
    for identity in state.presence.online() {
        if let Ok(Some(user)) = state.store.user_by_name(&identity).await
            && !user.disabled
            && user.role.can_take_calls()
        {
            takers.push(user.username);
        }
        if takers.len() == MAX_CLIENTS_RUNG {
            break;
        }
    }
    let call_sid = form.get("CallSid").unwrap_or("");
    let number = call_log::caller_number(&state, form.get("From").unwrap_or(""));
    if takers.is_empty() {
        let call = NewCall::now(call_sid, CallKind::Incoming, &number, "missed");
        call_log::started(&state, call.detail("nobody online").ended()).await;
        return refuse(
            "Nobody is available to take your call right now. Please try again later. Goodbye.",
        );
    }
    call_log::started(
        &state,
        NewCall::now(call_sid, CallKind::Incoming, &number, "ringing"),
    )
    .await;
    let mut dial = Dial::new().timeout(30).action(RING_ENDED_PATH);
    if let Some(from) = form.get("From").filter(|f| f.starts_with('+')) {
        dial = dial.caller_id(from);
    }
    for identity in &takers {
        dial = dial.client(Client::new(identity));
    }
    tracing::info!(
        from = form.get("From").unwrap_or(""),
        rung = takers.len(),
        "incoming call"
    );
    twiml(VoiceResponse::new().dial(dial))
}
