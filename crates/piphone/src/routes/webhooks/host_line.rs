//! A host's line: the host's browser phone calls `/voice` with a `Queue` parameter and takes callers one after
//! another; `*` (Next) or a caller hanging up brings the line back to `/voice/next`.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{TwilioForm, client_user, refuse, twiml};
use crate::callin::board::HostTake;
use crate::callin::{Line, twiml as say};
use crate::settings::IncomingMode;
use crate::state::AppState;
use crate::store::User;

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
        b.host_call(form.call_sid(), &user.username);
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

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    /// Set on the idle loop's own redirects (nobody was waiting last time).
    idle: Option<String>,
}

/// `POST /voice/next`, the host's `<Dial action>`: the last caller was dropped (`*`) or hung up, or nobody
/// was waiting. Dials the queue again when someone waits; otherwise keeps the host's line open and looks again.
/// The host is checked again each time, so a demoted or disabled user's line ends here.
#[tracing::instrument(skip_all, fields(call_sid = form.call_sid()))]
pub async fn next_caller(
    State(state): State<AppState>,
    Query(query): Query<NextQuery>,
    form: TwilioForm,
) -> Response {
    let sid = form.call_sid();
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
