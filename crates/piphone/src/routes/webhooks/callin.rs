//! The station number's webhooks: the call to the station (into the call-in queue, or ringing hosts' browsers),
//! hold, leaving the queue, going on the air. Each feeds what Twilio says into the queue hub, so every console
//! sees it at once.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use twilio::rest::{CallUpdate, Method};
use twilio::twiml::{Client, Dial, VoiceResponse};

use super::{TwilioForm, active_user, refuse, twiml};
use crate::call_log;
use crate::callin::board::PickHold;
use crate::callin::poller::recall;
use crate::callin::{Line, twiml as say};
use crate::domain::Role;
use crate::settings::IncomingMode;
use crate::state::AppState;
use crate::store::{CallKind, NewCall};

/// The Dial action of station calls that ring browsers.
pub const RING_ENDED_PATH: &str = "/voice/ring-ended";

/// Twilio's `<Dial>` rings at most ten nouns at once.
const MAX_CLIENTS_RUNG: usize = 10;

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
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn station_call(State(state): State<AppState>, form: TwilioForm) -> Response {
    let number = call_log::caller_number(&state.policy, form.from());
    let kind = match state.settings.callin.incoming_mode {
        IncomingMode::Ring => CallKind::Incoming,
        IncomingMode::Queue => CallKind::Queue,
    };
    if form.phone_from().is_some() && is_banned(&state, &number).await {
        tracing::info!(from = number, "call from a banned number rejected");
        let call = NewCall::now(form.call_sid(), kind, &number, "banned");
        call_log::started(&state.store, call.detail("on the ban list").ended()).await;
        state
            .callin
            .update(|b| b.refused(form.call_sid(), &number, "banned"));
        return twiml(say::refuse_banned());
    }
    match state.settings.callin.incoming_mode {
        IncomingMode::Ring => ring_browsers(&state, &form, &number).await,
        IncomingMode::Queue => enqueue_caller(&state, &form, &number).await,
    }
}

/// Greets the caller and puts them in the call-in queue, unless it is full.
async fn enqueue_caller(state: &AppState, form: &TwilioForm, number: &str) -> Response {
    let settings = &state.settings.callin;
    let sid = form.call_sid();
    let from = form.phone_from();
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
        call_log::started(&state.store, call.ended()).await;
        return twiml(say::lines_full());
    }
    tracing::info!(from = from.unwrap_or(""), "caller joins the call-in queue");
    call_log::started(
        &state.store,
        NewCall::now(sid, CallKind::Queue, number, "waiting"),
    )
    .await;
    if from.is_some() && !sid.is_empty() {
        // Returning callers are flagged while their greeting plays.
        recall(&state.callin, &state.store, sid, number).await;
    }
    twiml(say::greet_and_enqueue(settings))
}

/// `POST /voice/wait`, the `<Enqueue waitUrl>`: the caller's place (every `PIPHONE_QUEUE_ANNOUNCE_EVERY`
/// rounds), then hold music. Twilio's `QueuePosition` and `QueueTime` go to the consoles.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
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
    if let (Some(hybrid), true) = (&state.hybrid, query.after_fault()) {
        hybrid
            .back_after_fault(form.call_sid(), form.phone_from())
            .await;
    }
    let position: Option<u32> = form.number("QueuePosition");
    let queue_time: Option<u64> = form.number("QueueTime");
    let round = state.callin.update(|b| {
        if let Some(q) = form.get("QueueSid").filter(|q| !q.is_empty()) {
            b.learn_queue_sid(line, Some(q));
        }
        b.holding(
            line,
            form.call_sid(),
            form.phone_from(),
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
    let sid = form.call_sid();
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
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn left_queue(
    State(state): State<AppState>,
    Query(query): Query<LineQuery>,
    form: TwilioForm,
) -> Response {
    let result = form.get("QueueResult").unwrap_or("unknown");
    let queue_time: u64 = form.number("QueueTime").unwrap_or(0);
    tracing::info!(
        result,
        queue_seconds = queue_time,
        "caller left the call-in queue"
    );
    let sid = form.call_sid();
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
        call_log::ended(&state.store, sid, outcome, Some(result)).await;
    }
    twiml(say::goodbye(result))
}

/// `POST /voice/on-air`, the `<Queue url>`: requested for the caller just taken off the queue (with
/// `DequeingCallSid`, the host's call). Marks them on the air.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn on_air(State(state): State<AppState>, form: TwilioForm) -> Response {
    let host_call = form.get("DequeingCallSid").filter(|s| !s.is_empty());
    let host = state
        .callin
        .update(|b| b.on_air(form.call_sid(), form.phone_from(), host_call));
    tracing::info!(host_call = host_call.unwrap_or(""), "caller on the air");
    call_log::on_air(&state.store, form.call_sid(), host.as_deref()).await;
    twiml(say::on_air())
}

/// Which queue a hold or leave webhook is about: piphone adds `?line=screened` to the screened queue's URLs
/// and `?line=pick&host=<identity>` to a host's own queue's.
#[derive(Debug, Default, Deserialize)]
pub struct LineQuery {
    line: Option<String>,
    host: Option<String>,
    /// `fault`: a studio hybrid line's caller whose stream broke (`hybrid::twiml::AFTER_FAULT_WAIT_PATH`).
    after: Option<String>,
}

enum QueueKind {
    Line(Line),
    Pick(String),
}

impl LineQuery {
    fn after_fault(&self) -> bool {
        self.after.as_deref() == Some("fault")
    }

    fn queue(&self) -> QueueKind {
        match (self.line.as_deref(), &self.host) {
            (Some("pick"), Some(host)) => QueueKind::Pick(host.clone()),
            (line, _) => QueueKind::Line(Line::from_query(line)),
        }
    }
}

/// `/voice/incoming` with `PIPHONE_INCOMING_MODE=ring`: ring the browsers of online users who may take calls.
async fn ring_browsers(state: &AppState, form: &TwilioForm, number: &str) -> Response {
    let mut takers = Vec::new();
    for identity in state.presence.online() {
        if let Some(user) =
            active_user(state, &identity, Role::can_take_calls, "/voice/incoming").await
        {
            takers.push(user.username);
        }
        if takers.len() == MAX_CLIENTS_RUNG {
            break;
        }
    }
    let call_sid = form.call_sid();
    if takers.is_empty() {
        let call = NewCall::now(call_sid, CallKind::Incoming, number, "missed");
        call_log::started(&state.store, call.detail("nobody online").ended()).await;
        return refuse(
            "Nobody is available to take your call right now. Please try again later. Goodbye.",
        );
    }
    call_log::started(
        &state.store,
        NewCall::now(call_sid, CallKind::Incoming, number, "ringing"),
    )
    .await;
    let mut dial = Dial::new().timeout(30).action(RING_ENDED_PATH);
    if let Some(from) = form.get("From").filter(|f| f.starts_with('+')) {
        dial = dial.caller_id(from);
    }
    for identity in &takers {
        dial = dial.client(Client::new(identity));
    }
    tracing::info!(from = form.from(), rung = takers.len(), "incoming call");
    twiml(VoiceResponse::new().dial(dial))
}

/// `POST /voice/ring-ended`, the Dial `action` of a station call that rang browsers: answered or missed.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn ring_ended(State(state): State<AppState>, form: TwilioForm) -> Response {
    let status = form.dial_status();
    let outcome = if status == "completed" {
        "answered"
    } else {
        "missed"
    };
    call_log::ended(&state.store, form.call_sid(), outcome, Some(status)).await;
    twiml(VoiceResponse::new().hangup())
}
