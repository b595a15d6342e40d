//! The screener's console actions (screeners, hosts and admins): take a waiting caller, write notes, send them
//! on to the host, drop or ban them; and the console's text messages. Each action changes Twilio through the
//! REST API (dequeue, redirect, end) and the board at once, so every console sees it; the webhooks that follow
//! confirm it.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use twilio::rest::{CallUpdate, MemberRef, Method, RestError};

use super::extract::{QueueWatcher, Screener};
use crate::call_log;
use crate::callin::board::ScreenRefusal;
use crate::callin::{Line, Place, twiml as paths};
use crate::domain::{CallerNotes, PhoneNumber};
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::AppState;
use crate::store::User;

/// Longest console message, in characters.
const MAX_MESSAGE: usize = 500;

pub(super) fn upstream(e: RestError) -> AppError {
    if e.status() == Some(404) {
        AppError::NotFound
    } else {
        AppError::Upstream(e)
    }
}

#[derive(Debug, Deserialize)]
pub struct CallRequest {
    call_sid: String,
}

/// Twilio's SID for a queue: the board's (webhooks tell it), else looked up by name once.
pub(super) async fn queue_sid(state: &AppState, line: Line) -> Result<String, AppError> {
    let (name, known) = state.callin.read(|b| b.queue_of(line));
    if let Some(sid) = known {
        return Ok(sid);
    }
    let queues = state.rest.list_queues().await.map_err(AppError::Upstream)?;
    let sid = queues
        .into_iter()
        .find(|q| q.friendly_name.as_deref() == Some(name.as_str()))
        .map(|q| q.sid)
        .ok_or(AppError::NotFound)?;
    state
        .callin
        .update(|b| b.learn_queue_sid(line, Some(sid.as_str())));
    Ok(sid)
}

/// `POST /api/callin/screen {call_sid}`: take a waiting caller. Twilio dequeues them into `/voice/screen`,
/// which rings this user's browser.
pub async fn screen(
    State(state): State<AppState>,
    Screener(user): Screener,
    JsonBody(req): JsonBody<CallRequest>,
) -> Result<Json<Value>, AppError> {
    let sid = req.call_sid;
    state
        .callin
        .update(|b| b.start_screening(&sid, &user.username))
        .map_err(|e| match e {
            ScreenRefusal::NotWaiting => AppError::NotFound,
            other => AppError::Conflict(other.to_string()),
        })?;
    let identity: String = url::form_urlencoded::byte_serialize(user.username.as_bytes()).collect();
    let url = state.webhook_url(&format!("{}?screener={identity}", paths::SCREEN_PATH));
    let dequeued = match queue_sid(&state, Line::Main).await {
        Ok(qsid) => state
            .rest
            .dequeue_member(&qsid, &MemberRef::Call(sid.clone()), &url, Method::Post)
            .await
            .map_err(upstream),
        Err(e) => Err(e),
    };
    if let Err(e) = dequeued {
        tracing::warn!(call_sid = %sid, error = %e, "screening: dequeue failed");
        state.callin.update(|b| b.screening_failed(&sid));
        return Err(e);
    }
    tracing::info!(user = %user.username, call_sid = %sid, "screener takes a caller");
    Ok(Json(json!({ "screening": sid })))
}

#[derive(Debug, Deserialize)]
pub struct NotesRequest {
    call_sid: String,
    #[serde(flatten)]
    notes: CallerNotes,
}

/// Stores the notes and shows them on the board (to the host).
async fn keep_notes(
    state: &AppState,
    user: &User,
    sid: &str,
    raw: &CallerNotes,
) -> Result<(), AppError> {
    let notes = CallerNotes::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (present, number) = state
        .callin
        .read(|b| (b.is_present(sid), b.number_of(sid).map(str::to_owned)));
    if !present {
        return Err(AppError::NotFound);
    }
    let number = number.unwrap_or_default();
    state
        .store
        .save_notes(sid, &number, &notes, &user.username)
        .await?;
    state
        .callin
        .update(|b| b.set_notes(sid, notes, Some(&user.username)));
    Ok(())
}

/// `POST /api/callin/notes {call_sid, name, location, topic, notes, priority}`: notes on a caller (waiting,
/// with a screener, screened or on the air).
pub async fn save_notes(
    State(state): State<AppState>,
    Screener(user): Screener,
    JsonBody(req): JsonBody<NotesRequest>,
) -> Result<Json<Value>, AppError> {
    keep_notes(&state, &user, &req.call_sid, &req.notes).await?;
    Ok(Json(json!({ "saved": req.call_sid })))
}

#[derive(Debug, Deserialize)]
pub struct ReadyRequest {
    call_sid: String,
    /// Notes saved first, when given.
    #[serde(default)]
    notes: Option<CallerNotes>,
}

/// `POST /api/callin/ready {call_sid, notes?}`: the screened caller goes to the screened queue. Twilio
/// redirects their call to `/voice/screened`; the screener's leg ends.
pub async fn ready(
    State(state): State<AppState>,
    Screener(user): Screener,
    JsonBody(req): JsonBody<ReadyRequest>,
) -> Result<Json<Value>, AppError> {
    let sid = req.call_sid;
    if let Some(notes) = &req.notes {
        keep_notes(&state, &user, &sid, notes).await?;
    }
    if state.callin.read(|b| b.place_of(&sid)) != Some(Place::Screening) {
        return Err(AppError::Conflict(
            "that caller is not with a screener".into(),
        ));
    }
    let redirect = CallUpdate::Redirect {
        url: state.webhook_url(paths::SCREENED_PATH),
        method: Method::Post,
    };
    state
        .rest
        .update_call(&sid, &redirect)
        .await
        .map_err(upstream)?;
    state.callin.update(|b| b.ready(&sid));
    call_log::progress(&state.store, &sid, "screened").await;
    tracing::info!(user = %user.username, call_sid = %sid, "caller ready for air");
    Ok(Json(json!({ "screened": sid })))
}

/// Ends a caller's call through Twilio (not one on the air: that is the host's) and records why.
async fn end_caller(
    state: &AppState,
    sid: &str,
    result: &str,
    detail: &str,
) -> Result<(), AppError> {
    match state.callin.read(|b| b.place_of(sid)) {
        None => return Err(AppError::NotFound),
        Some(Place::OnAir) => {
            return Err(AppError::Conflict(
                "that caller is on the air: the host hangs up".into(),
            ));
        }
        Some(_) => {}
    }
    match state.rest.end_call(sid).await {
        Ok(_) => {}
        Err(e) if e.status() == Some(404) => {}
        Err(e) => return Err(AppError::Upstream(e)),
    }
    state.callin.update(|b| b.depart(sid, result, 0));
    call_log::ended(&state.store, sid, result, Some(detail)).await;
    Ok(())
}

/// `POST /api/callin/drop {call_sid}`: end a waiting or screened caller's call.
pub async fn drop_caller(
    State(state): State<AppState>,
    Screener(user): Screener,
    JsonBody(req): JsonBody<CallRequest>,
) -> Result<Json<Value>, AppError> {
    let detail = format!("dropped by {}", user.username);
    end_caller(&state, &req.call_sid, "dropped", &detail).await?;
    tracing::info!(user = %user.username, call_sid = %req.call_sid, "caller dropped");
    Ok(Json(json!({ "dropped": req.call_sid })))
}

#[derive(Debug, Deserialize)]
pub struct BanRequest {
    call_sid: String,
    #[serde(default)]
    reason: String,
}

/// `POST /api/callin/ban {call_sid, reason}`: ban the caller's number (their next call is rejected before it
/// is answered) and end this call, unless it is on the air.
pub async fn ban_caller(
    State(state): State<AppState>,
    Screener(user): Screener,
    JsonBody(req): JsonBody<BanRequest>,
) -> Result<Json<Value>, AppError> {
    let sid = req.call_sid;
    let reason: String = req
        .reason
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if reason.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "the reason is longer than 200 characters".into(),
        ));
    }
    let (number, place) = state
        .callin
        .read(|b| (b.number_of(&sid).map(str::to_owned), b.place_of(&sid)));
    let number = number
        .and_then(|n| PhoneNumber::parse_caller(&n, state.policy.default_region.as_deref()).ok())
        .ok_or_else(|| AppError::BadRequest("this caller's number is not known".into()))?;
    let reason = Some(reason.as_str()).filter(|r| !r.is_empty());
    state.store.add_ban(&number, reason).await?;
    state
        .callin
        .update(|b| b.mark_banned(number.e164(), reason));
    tracing::info!(user = %user.username, number = %number.e164(), "number banned from the console");
    let detail = format!(
        "banned by {}: {}",
        user.username,
        reason.unwrap_or("no reason given")
    );
    let ended = if place.is_some_and(|p| p != Place::OnAir) {
        end_caller(&state, &sid, "banned", &detail).await?;
        true
    } else {
        false
    };
    Ok(Json(json!({ "banned": number.e164(), "ended": ended })))
}

#[derive(Debug, Deserialize)]
pub struct MessageRequest {
    text: String,
}

/// `POST /api/callin/messages {text}`: a message to everyone at the console (screeners ↔ hosts), delivered
/// with the next `/events` picture.
pub async fn send_message(
    State(state): State<AppState>,
    QueueWatcher(user): QueueWatcher,
    JsonBody(req): JsonBody<MessageRequest>,
) -> Result<Json<Value>, AppError> {
    let text: String = req
        .text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if text.is_empty() || text.chars().count() > MAX_MESSAGE {
        return Err(AppError::BadRequest(format!(
            "a message is 1 to {MAX_MESSAGE} characters"
        )));
    }
    state
        .callin
        .update(|b| b.message(&user.username, user.role, &text));
    Ok(Json(json!({ "sent": true })))
}
