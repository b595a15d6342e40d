//! The call-in's Twilio webhooks: the station number, hold, leaving the queue, going on the air, and the host's
//! line that takes callers one after another. Each takes a [`TwilioForm`] (signature checked first) and feeds
//! what Twilio says into the queue hub, so every console sees it at once.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use twilio::rest::{CallUpdate, Method};

use super::voice::{client_user, refuse, ring_browsers, twiml};
use crate::call_log;
use crate::callin::board::{HostTake, PickHold};
use crate::callin::poller::recall;
use crate::callin::{Line, twiml as say};
use crate::settings::IncomingMode;
use crate::state::AppState;
use crate::store::{CallKind, NewCall, User};
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

/// Whether the caller's number (E.164) is on the ban list. A store failure lets the call through (logged): a
/// broken disk should not silence the phone-in.
async fn is_banned(state: &AppState, number: &str) -> bool {
    state.store.is_banned(number).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "ban list lookup failed; letting the call through");
        false
    })
}

/// `POST /voice/incoming`, the station number's Voice URL. Banned numbers are rejected unanswered; then, by
/// `PIPHONE_INCOMING_MODE`, the caller joins the call-in queue (`queue`, the default) or online hosts' browsers
/// ring (`ring`).
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn station_call(State(state): State<AppState>, form: TwilioForm) -> Response {
    let number = call_log::caller_number(&state, form.get("From").unwrap_or(""));
    let kind = match state.settings.callin.incoming_mode {
        IncomingMode::Ring => CallKind::Incoming,
        IncomingMode::Queue => CallKind::Queue,
    };
    if phone_from(&form).is_some() && is_banned(&state, &number).await {
        tracing::info!(from = number, "call from a banned number rejected");
        let call = NewCall::now(call_sid(&form), kind, &number, "banned");
        call_log::started(&state, call.detail("on the ban list").ended()).await;
        state
            .callin
            .update(|b| b.refused(call_sid(&form), &number, "banned"));
        return twiml(say::refuse_banned());
    }
    match state.settings.callin.incoming_mode {
        IncomingMode::Ring => ring_browsers(State(state), form).await,
        IncomingMode::Queue => enqueue_caller(&state, &form, &number).await,
    }
}

/// Greets the caller and puts them in the call-in queue, unless it is full.
async fn enqueue_caller(state: &AppState, form: &TwilioForm, number: &str) -> Response {
    let settings = &state.settings.callin;
    let sid = call_sid(form);
    let from = phone_from(form);
    let joined = state.callin.update(|b| {
        if b.size() >= settings.max_size as usize {
            return false;
        }
        if !sid.is_empty() {
            b.arrived(Line::Main, sid, from);
        }
        true
    });
    if !joined {
        tracing::info!(from = from.unwrap_or(""), "call-in queue full");
        let call = NewCall::now(sid, CallKind::Queue, number, "queue-full");
        call_log::started(state, call.ended()).await;
        return twiml(say::lines_full());
    }
    tracing::info!(from = from.unwrap_or(""), "caller joins the call-in queue");
    call_log::started(state, NewCall::now(sid, CallKind::Queue, number, "waiting")).await;
    if from.is_some() && !sid.is_empty() {
        // Returning callers are flagged while their greeting plays.
        recall(&state.callin, &state.store, sid, number).await;
    }
    twiml(say::greet_and_enqueue(settings))
}

/// `POST /voice/wait`, the `<Enqueue waitUrl>`: the caller's place (every `PIPHONE_QUEUE_ANNOUNCE_EVERY`
/// rounds), then hold music. Twilio's `QueuePosition` and `QueueTime` go to the consoles.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn hold(
    State(state): State<AppState>,
    Query(query): Query<LineQuery>,
    form: TwilioForm,
) -> Response {
    let settings = &state.settings.callin;
    let music = settings.hold_music_url.clone().unwrap_or_else(|| {
        state
            .public_url
            .join("/static/sounds/hold.wav")
            .expect("a fixed path joins any base URL")
    });
    let line = match query.queue() {
        QueueKind::Pick(host) => return hold_picked(&state, &form, &host, &music),
        QueueKind::Line(line) => line,
    };
    let position: Option<u32> = number(&form, "QueuePosition");
    let queue_time: Option<u64> = number(&form, "QueueTime");
    let round = state.callin.update(|b| {
        if let Some(q) = form.get("QueueSid").filter(|q| !q.is_empty()) {
            b.learn_queue_sid(line, Some(q));
        }
        b.holding(
            line,
            call_sid(&form),
            phone_from(&form),
            position,
            queue_time,
        )
    });
    let every = settings.announce_every;
    let announce = every > 0 && round % every == 0;
    twiml(say::hold(position.filter(|_| announce), &music))
}

/// Hold in a host's own queue for the caller the host chose. The first round moves the host's line on (a REST
/// redirect to `/voice/next`, which dials this queue); if the host's line is gone, the caller leaves for the
/// screened queue.
fn hold_picked(state: &AppState, form: &TwilioForm, host: &str, music: &url::Url) -> Response {
    let sid = call_sid(form);
    match state.callin.update(|b| b.pick_hold(sid, host)) {
        PickHold::Leave => {
            tracing::info!(host, "chosen caller not taken; back to the screened queue");
            twiml(say::leave_queue())
        }
        PickHold::Wait { redirect_host } => {
            if let Some(host_call) = redirect_host {
                let (rest, url) = (state.rest.clone(), state.webhook_url(say::NEXT_PATH));
                tokio::spawn(async move {
                    let redirect = CallUpdate::Redirect {
                        url,
                        method: Method::Post,
                    };
                    if let Err(e) = rest.update_call(&host_call, &redirect).await {
                        tracing::warn!(host_call, error = %e, "could not move the host's line on");
                    }
                });
            }
            twiml(say::hold(None, music))
        }
    }
}

/// `POST /voice/left`, the `<Enqueue action>`: why (`QueueResult`) and after how long (`QueueTime`) the caller
/// left. A caller dropped from the air by Next continues here, so they hear a goodbye, not silence.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn left_queue(
    State(state): State<AppState>,
    Query(query): Query<LineQuery>,
    form: TwilioForm,
) -> Response {
    let result = form.get("QueueResult").unwrap_or("unknown");
    let queue_time: u64 = number(&form, "QueueTime").unwrap_or(0);
    tracing::info!(
        result,
        queue_seconds = queue_time,
        "caller left the call-in queue"
    );
    let sid = call_sid(&form);
    let line = match query.queue() {
        QueueKind::Pick(_) if matches!(result, "leave" | "redirected") => {
            state.callin.update(|b| b.pick_returned(sid));
            return twiml(say::enqueue_screened(&state.settings.callin));
        }
        QueueKind::Pick(_) => Line::Screened,
        QueueKind::Line(line) => line,
    };
    state
        .callin
        .update(|b| b.left(line, sid, result, queue_time));
    if let Some(outcome) = call_log::queue_outcome(result) {
        call_log::ended(&state, sid, outcome, Some(result)).await;
    }
    twiml(say::goodbye(result))
}

/// `POST /voice/on-air`, the `<Queue url>`: requested for the caller just taken off the queue (with
/// `DequeingCallSid`, the host's call). Marks them on the air.
#[tracing::instrument(skip_all, fields(call_sid = call_sid(&form)))]
pub async fn on_air(State(state): State<AppState>, form: TwilioForm) -> Response {
    let host_call = form.get("DequeingCallSid").filter(|s| !s.is_empty());
    let host = state
        .callin
        .update(|b| b.on_air(call_sid(&form), phone_from(&form), host_call));
    tracing::info!(host_call = host_call.unwrap_or(""), "caller on the air");
    call_log::on_air(&state, call_sid(&form), host.as_deref()).await;
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
    let next = state.callin.update(|b| {
        b.host_call(call_sid(form), &user.username);
        b.host_next(&user.username)
    });
    take_from(state, user, next, true)
}

/// The host's line dials the queue to take from (the caller they chose, then screened callers, then the
/// call-in queue: [`crate::callin::board::Board::host_next`]), or waits for callers.
fn take_from(state: &AppState, host: &User, next: Option<HostTake>, first_idle: bool) -> Response {
    let settings = &state.settings.callin;
    match next {
        Some(HostTake::Picked) => twiml(say::take_next(&settings.pick_queue(host.id))),
        Some(HostTake::Queue(Line::Screened)) => twiml(say::take_next(&settings.screened_queue())),
        Some(HostTake::Queue(Line::Main)) => twiml(say::take_next(&settings.queue)),
        None => twiml(say::wait_for_callers(first_idle)),
    }
}

/// Which queue a hold or leave webhook is about: piphone adds `?line=screened` to the screened queue's URLs
/// and `?line=pick&host=<identity>` to a host's own queue's.
#[derive(Debug, Default, Deserialize)]
pub struct LineQuery {
    line: Option<String>,
    host: Option<String>,
}

enum QueueKind {
    Line(Line),
    Pick(String),
}

impl LineQuery {
    fn queue(&self) -> QueueKind {
        match (self.line.as_deref(), &self.host) {
            (Some("pick"), Some(host)) => QueueKind::Pick(host.clone()),
            (line, _) => QueueKind::Line(Line::from_query(line)),
        }
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
    let next = state.callin.update(|b| {
        b.host_moved_on(sid);
        b.host_call(sid, &host.username);
        b.host_next(&host.username)
    });
    take_from(&state, &host, next, query.idle.is_none())
}
