//! The call-in's Twilio webhooks: the station number, hold, leaving the queue, going on the air, and the host's
//! line that takes callers one after another. Each takes a [`TwilioForm`] (signature checked first) and feeds
//! what Twilio says into the queue hub, so every console sees it at once.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::voice::{client_user, refuse, ring_browsers, twiml};
use crate::callin::{IncomingMode, twiml as say};
use crate::domain::PhoneNumber;
use crate::state::AppState;
use crate::store::User;
use crate::webhook::TwilioForm;

fn call_sid(form: &TwilioForm) -> &str {
    form.get("CallSid").unwrap_or("")
}

/// A number field Twilio sends as text (`QueuePosition`, `QueueTime`).
fn number<T: std::str::FromStr>(form: &TwilioForm, name: &str) -> Option<T> {
    form.get(name).and_then(|v| v.trim().parse().ok())
}

/// A caller's `From` if it is a phone number (not `client:…`, not empty).
fn phone_from(form: &TwilioForm) -> Option<&str> {
    form.get("From")
        .filter(|f| !f.is_empty() && !f.starts_with("client:"))
}

/// Whether the caller's number is on the ban list. A store failure lets the call through (logged): a broken
/// disk should not silence the phone-in.
async fn is_banned(state: &AppState, from: &str) -> bool {
    let number = PhoneNumber::parse_caller(from, state.policy.default_region.as_deref())
        .map(|n| n.e164().to_owned())
        .unwrap_or_else(|_| from.trim().to_owned());
    state.store.is_banned(&number).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "ban list lookup failed; letting the call through");
        false
    })
}

/// `POST /voice/incoming`, the station number's Voice URL. Banned numbers are rejected unanswered; then, by
/// `PIPHONE_INCOMING_MODE`, the caller joins the call-in queue (`queue`, the default) or online hosts' browsers
/// ring (`ring`).
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn station_call(State(state): State<AppState>, form: TwilioForm) -> Response {
    if let Some(from) = phone_from(&form)
        && is_banned(&state, from).await
    {
        tracing::info!(from, "call from a banned number rejected");
        return twiml(say::refuse_banned());
    }
    match state.settings.callin.incoming_mode {
        IncomingMode::Ring => ring_browsers(State(state), form).await,
        IncomingMode::Queue => enqueue_caller(&state, &form),
    }
}

/// Greets the caller and puts them in the call-in queue, unless it is full.
fn enqueue_caller(state: &AppState, form: &TwilioForm) -> Response {
    let settings = &state.settings.callin;
    let sid = call_sid(form);
    let from = phone_from(form);
    let joined = state.callin.update(|b| {
        if b.size() >= settings.max_size as usize {
            return false;
        }
        if !sid.is_empty() {
            b.arrived(sid, from);
        }
        true
    });
    if !joined {
        tracing::info!(from = from.unwrap_or(""), "call-in queue full");
        return twiml(say::lines_full());
    }
    tracing::info!(from = from.unwrap_or(""), "caller joins the call-in queue");
    twiml(say::greet_and_enqueue(settings))
}

/// `POST /voice/wait`, the `<Enqueue waitUrl>`: the caller's place (every `PIPHONE_QUEUE_ANNOUNCE_EVERY`
/// rounds), then hold music. Twilio's `QueuePosition` and `QueueTime` go to the consoles.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn hold(State(state): State<AppState>, form: TwilioForm) -> Response {
    let settings = &state.settings.callin;
    let position: Option<u32> = number(&form, "QueuePosition");
    let queue_time: Option<u64> = number(&form, "QueueTime");
    let round = state.callin.update(|b| {
        b.learn_queue_sid(form.get("QueueSid").unwrap_or(""));
        b.holding(call_sid(&form), phone_from(&form), position, queue_time)
    });
    let every = settings.announce_every;
    let announce = every > 0 && round % every == 0;
    let music = settings.hold_music_url.clone().unwrap_or_else(|| {
        state
            .public_url
            .join("/static/sounds/hold.wav")
            .expect("a fixed path joins any base URL")
    });
    twiml(say::hold(position.filter(|_| announce), &music))
}

/// `POST /voice/left`, the `<Enqueue action>`: why (`QueueResult`) and after how long (`QueueTime`) the caller
/// left. A caller dropped from the air by Next continues here, so they hear a goodbye, not silence.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn left_queue(State(state): State<AppState>, form: TwilioForm) -> Response {
    let result = form.get("QueueResult").unwrap_or("unknown");
    let queue_time: u64 = number(&form, "QueueTime").unwrap_or(0);
    tracing::info!(
        result,
        queue_seconds = queue_time,
        "caller left the call-in queue"
    );
    state
        .callin
        .update(|b| b.left(call_sid(&form), result, queue_time));
    twiml(say::goodbye(result))
}

/// `POST /voice/on-air`, the `<Queue url>`: requested for the caller just taken off the queue (with
/// `DequeingCallSid`, the host's call). Marks them on the air.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn on_air(State(state): State<AppState>, form: TwilioForm) -> Response {
    let host_call = form.get("DequeingCallSid").filter(|s| !s.is_empty());
    state
        .callin
        .update(|b| b.on_air(call_sid(&form), phone_from(&form), host_call));
    tracing::info!(host_call = host_call.unwrap_or(""), "caller on the air");
    twiml(say::on_air())
}

/// `POST /voice` with a `Queue` parameter: a host's browser takes calls. Only hosts and admins, and only the
/// configured queue; anyone else hears why and is hung up.
pub fn take_calls(state: &AppState, user: &User, queue: &str, form: &TwilioForm) -> Response {
    if !user.role.can_take_calls() {
        tracing::warn!(user = %user.username, "take calls refused: not a host");
        return refuse("This account may not take calls from the queue. Goodbye.");
    }
    let settings = &state.settings.callin;
    if queue != settings.queue || settings.incoming_mode != IncomingMode::Queue {
        tracing::warn!(user = %user.username, queue, "take calls refused: not the call-in queue");
        return refuse("There is no such call-in queue. Goodbye.");
    }
    tracing::info!(user = %user.username, "host takes calls");
    let waiting = state.callin.update(|b| {
        b.host_call(call_sid(form), &user.username);
        b.size()
    });
    if waiting > 0 {
        twiml(say::take_next(queue))
    } else {
        twiml(say::wait_for_callers(true))
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    /// Set on the idle loop's own redirects (nobody was waiting last time).
    idle: Option<String>,
}

/// `POST /voice/next`, the host's `<Dial action>`: the last caller was dropped (`*`) or hung up, or nobody
/// was waiting. Dials the queue again when someone waits; otherwise keeps the host's line open and looks again.
/// The host is checked again each time, so a demoted or disabled user's line ends here.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn next_caller(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
    form: TwilioForm,
) -> Response {
    let sid = call_sid(&form);
    let host = client_user(&state, &form).await;
    let Some(host) = host.filter(|u| u.role.can_take_calls()) else {
        state.callin.update(|b| b.host_gone(sid));
        return refuse("This account may not take calls from the queue. Goodbye.");
    };
    if form.get("CallStatus") == Some("completed") {
        state.callin.update(|b| b.host_gone(sid));
        return twiml(twilio::twiml::VoiceResponse::new().hangup());
    }
    let waiting = state.callin.update(|b| {
        b.host_moved_on(sid);
        b.host_call(sid, &host.username);
        b.size()
    });
    if waiting > 0 {
        twiml(say::take_next(&state.settings.callin.queue))
    } else {
        twiml(say::wait_for_callers(query.idle.is_none()))
    }
}
