//! Twilio's webhooks: the routes Twilio (or the sandbox) requests, each answering TwiML. Every handler takes a
//! [`TwilioForm`], so nothing runs before the `X-Twilio-Signature` is checked; the answers are built with the
//! protocol crate (no hand-written XML, so no caller-controlled string can break it).
//!
//! [`voice`]: the browser phone's calls; [`callin`]: the station number and its queues; [`host_line`]: a host's
//! browser taking callers; [`screening`]: a caller with a screener; [`lines`]: a caller on a studio hybrid line;
//! [`stream`]: the Media Streams WebSocket. Nothing here imports the browser's side (`routes::api`), nor it this.

mod callin;
mod form;
mod host_line;
mod lines;
mod screening;
mod stream;
mod voice;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use tower_http::timeout::TimeoutLayer;
use twilio::twiml::{Say, VoiceResponse};

pub use form::TwilioForm;

use super::WEBHOOK_TIMEOUT;
use crate::domain::Role;
use crate::state::AppState;
use crate::store::User;

/// Twilio's webhooks, each with [`WEBHOOK_TIMEOUT`], and the Media Streams WebSocket (without: it lasts the call).
pub fn router() -> Router<AppState> {
    let stream = Router::new().route(
        crate::media::streams::STREAM_PATH,
        get(stream::media_stream),
    );
    Router::new()
        .route("/voice", post(voice::dial_twiml))
        .route("/voice/incoming", post(callin::station_call))
        .route("/voice/wait", post(callin::hold))
        .route("/voice/left", post(callin::left_queue))
        .route("/voice/next", post(host_line::next_caller))
        .route("/voice/on-air", post(callin::on_air))
        .route("/voice/dial-ended", post(voice::dial_ended))
        .route(callin::RING_ENDED_PATH, post(callin::ring_ended))
        .route("/voice/screen", post(screening::ring_screener))
        .route("/voice/screen-ended", post(screening::screen_ended))
        .route("/voice/screened", post(screening::enqueue_screened))
        .route("/voice/picked", post(screening::enqueue_picked))
        .route(crate::hybrid::twiml::LINE_PATH, post(lines::line_stream))
        // Twilio waits 15 s for TwiML; a request still incomplete after WEBHOOK_TIMEOUT is a stalled or hostile
        // client, not Twilio. (Only here: SSE and WebSocket routes must not time out.)
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            WEBHOOK_TIMEOUT,
        ))
        .merge(stream)
}

/// A TwiML document as an HTTP response.
fn twiml(response: VoiceResponse) -> Response {
    (
        [(CONTENT_TYPE, "text/xml; charset=utf-8")],
        response.to_xml(),
    )
        .into_response()
}

/// A spoken reason, then hang up. Never a Dial.
fn refuse(sentence: &str) -> Response {
    twiml(VoiceResponse::new().say(Say::new(sentence)).hangup())
}

/// An enabled user whose role passes `allowed`, by name; `None` otherwise (a failed lookup is logged: the
/// webhook then refuses rather than fails). `what` names the webhook in the log.
async fn active_user(
    state: &AppState,
    name: &str,
    allowed: fn(Role) -> bool,
    what: &str,
) -> Option<User> {
    match state.store.user_by_name(name).await {
        Ok(Some(user)) if !user.disabled && allowed(user.role) => Some(user),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %e, "user lookup failed in {what}");
            None
        }
    }
}

/// The active user behind `From=client:<identity>` (a browser phone's call).
async fn client_user(state: &AppState, form: &TwilioForm) -> Option<User> {
    active_user(state, form.client_identity()?, |_| true, "/voice").await
}
