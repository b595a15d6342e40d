//! The call-in console's browser side: the page, the queue as JSON, its live updates (SSE), and the host's
//! actions: ending the on-air caller's call, taking a chosen caller. None of these asks Twilio about the
//! queue: they read the hub, which the one shared poller and the webhooks keep current.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::wrappers::WatchStream;

use twilio::rest::{MemberRef, Method};

use super::extract::{ConsolePage, Host, QueueWatcher};
use crate::callin::board::ScreenRefusal;
use crate::callin::{Snapshot, twiml as say};
use crate::error::AppError;
use crate::hybrid::LinesSnapshot;
use crate::state::AppState;

/// How often an idle `/events` stream sends a comment, so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /console`: the console for hosts, screeners and admins; a polite page for anyone else.
pub async fn console_page(_user: ConsolePage) -> Response {
    super::pages::page("console")
}

/// `GET /queue-status`: the queue now, and with the studio hybrid on, its lines (`lines`, `returned`).
pub async fn queue_status(
    State(state): State<AppState>,
    _user: QueueWatcher,
) -> Result<Json<Status>, AppError> {
    Ok(Json(Status {
        queue: state.callin.snapshot(),
        lines: state.hybrid.as_ref().map(|h| h.snapshot()),
    }))
}

/// What `/queue-status` answers.
#[derive(Serialize)]
pub struct Status {
    #[serde(flatten)]
    queue: Snapshot,
    #[serde(flatten)]
    lines: Option<LinesSnapshot>,
}

/// `GET /events`: Server-Sent Events, one `queue` event with the whole picture now and after each change, and
/// with the studio hybrid on, `lines` events (`{"lines": […], "returned": […]}`: states, callers, meters).
/// A slow reader skips to the newest picture (a `watch` channel holds one value), with keep-alive comments.
/// Streams end when the server shuts down.
pub async fn events(
    State(state): State<AppState>,
    _user: QueueWatcher,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let queue = WatchStream::new(state.callin.subscribe())
        .map(|json| Ok(Event::default().event("queue").data(&*json)));
    let lines = match &state.hybrid {
        Some(hybrid) => WatchStream::new(hybrid.subscribe())
            .map(|json| Ok(Event::default().event("lines").data(&*json)))
            .left_stream(),
        None => futures_util::stream::empty().right_stream(),
    };
    let stream = futures_util::stream::select(queue, lines).take_until(state.callin.closed());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

#[derive(Debug, Default, Deserialize)]
struct HangupRequest {
    /// A caller on the air or waiting; default: the caller on the air with this host.
    call_sid: Option<String>,
}

/// `POST /api/callin/hangup` (hosts and admins): ends a caller's call through Twilio's REST API. The host's
/// own line then continues at `/voice/next`, which takes the next caller.
pub async fn hangup_caller(
    State(state): State<AppState>,
    Host(user): Host,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let request: HangupRequest = if body.iter().all(u8::is_ascii_whitespace) {
        HangupRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(e.to_string()))?
    };
    let target = state.callin.read(|b| match request.call_sid {
        Some(sid) => b.is_present(&sid).then_some(sid),
        None => b.on_air_for(&user.username),
    });
    let Some(sid) = target else {
        return Err(AppError::NotFound);
    };
    tracing::info!(user = %user.username, call_sid = %sid, "host hangs up a caller");
    state
        .rest
        .end_call(&sid)
        .await
        .map_err(AppError::Upstream)?;
    Ok(Json(json!({ "ended": sid })))
}

/// `POST /api/callin/take {call_sid}` (hosts and admins with their line open): put a particular caller on the
/// air now. `<Dial><Queue>` can only take the front of a queue, so Twilio dequeues that caller (REST) into
/// `/voice/picked`, a queue of this host's own; once they are there, the host's line is redirected to
/// `/voice/next`, which dials that queue (the caller on the air before hears the usual goodbye).
pub async fn take_caller(
    State(state): State<AppState>,
    Host(user): Host,
    body: Bytes,
) -> Result<Json<serde_json::Value>, AppError> {
    let request: TakeRequest =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let sid = request.call_sid;
    if state
        .callin
        .read(|b| b.host_line_of(&user.username))
        .is_none()
    {
        return Err(AppError::Conflict(
            "take calls first: your line is not open".into(),
        ));
    }
    let from = state
        .callin
        .update(|b| b.start_pick(&sid, &user.username))
        .map_err(|e| match e {
            ScreenRefusal::NotWaiting => AppError::NotFound,
            other => AppError::Conflict(other.to_string()),
        })?;
    let identity: String = url::form_urlencoded::byte_serialize(user.username.as_bytes()).collect();
    let url = state.webhook_url(&format!("{}?host={identity}", say::PICKED_PATH));
    let dequeued = match super::screener::queue_sid(&state, from).await {
        Ok(qsid) => state
            .rest
            .dequeue_member(&qsid, &MemberRef::Call(sid.clone()), &url, Method::Post)
            .await
            .map_err(super::screener::upstream),
        Err(e) => Err(e),
    };
    if let Err(e) = dequeued {
        tracing::warn!(call_sid = %sid, error = %e, "take: dequeue failed");
        state.callin.update(|b| b.pick_failed(&sid, from));
        return Err(e);
    }
    tracing::info!(user = %user.username, call_sid = %sid, "host takes a chosen caller");
    Ok(Json(json!({ "taking": sid })))
}

#[derive(Debug, Deserialize)]
struct TakeRequest {
    call_sid: String,
}
