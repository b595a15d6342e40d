//! The kiosk's routes: its one-time login link, the kiosk page's command channel (SSE down, outcomes and state
//! posted back), and the local control API the command line uses (see [`crate::kiosk::hub`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use http::header::{AUTHORIZATION, SET_COOKIE};
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{CurrentUser, session};
use crate::error::AppError;
use crate::kiosk::hub::{Command, Outcome, PageEvent, PageReport, RelayError, Status};
use crate::state::AppState;
use crate::store::{KioskOptions, LinkCheck, User};

/// Where a kiosk session lands: the phone page, told to take commands.
pub const KIOSK_PAGE: &str = "/?kiosk";

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

/// `GET /login/kiosk?token=…`: trades a one-time login link (minted by `piphone kiosk`) for a kiosk session.
/// Unknown, used and expired links all get the same answer (the login page); the log says which it was.
/// Links work from this machine only: the kiosk's Chromium runs next to the server.
pub async fn login_with_link(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<LinkQuery>,
) -> Result<Response, AppError> {
    let refused = Redirect::to("/login?error=link").into_response();
    if !peer.ip().to_canonical().is_loopback() {
        tracing::warn!(peer = %peer.ip(), "kiosk login link refused: not from this machine");
        return Ok(refused);
    }
    if query.token.is_empty() || query.token.len() > 128 {
        tracing::warn!("kiosk login link refused: no token");
        return Ok(refused);
    }
    let verdict = state
        .store
        .consume_login_link(&session::hash_token(&query.token))
        .await?;
    let (user, options) = match verdict {
        LinkCheck::Valid(user, options) => (user, options),
        other => {
            tracing::warn!(reason = ?other, "kiosk login link refused");
            return Ok(refused);
        }
    };
    let (token, token_hash) = session::new_token();
    state
        .store
        .create_kiosk_session(&token_hash, user.id, session::TTL_SECS, &options)
        .await?;
    tracing::info!(username = %user.username, auto_answer = options.auto_answer, "kiosk logged in with a one-time link");
    Ok((
        [(SET_COOKIE, session::set_cookie(&token, state.tls))],
        Redirect::to(KIOSK_PAGE),
    )
        .into_response())
}

/// A request from a browser signed in through a login link: only kiosk sessions may hold the command channel.
pub struct KioskPage {
    pub user: User,
    pub options: KioskOptions,
}

impl FromRequestParts<AppState> for KioskPage {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        let token = session::token_from_headers(&parts.headers).ok_or(AppError::Unauthenticated)?;
        match state
            .store
            .kiosk_options(&session::hash_token(&token))
            .await?
        {
            Some(options) => Ok(KioskPage { user, options }),
            None => Err(AppError::Forbidden),
        }
    }
}

/// A command-line client on this machine: `Authorization: Bearer <data_dir>/control.secret`.
pub struct LocalControl;

impl FromRequestParts<AppState> for LocalControl {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if state.kiosk.authorizes(presented) {
            Ok(LocalControl)
        } else {
            Err(AppError::Unauthenticated)
        }
    }
}

/// How often an idle command stream sends a comment, so it is known to be alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /api/kiosk/commands` (kiosk sessions): the page's command channel. First a `hello` event (the page's id
/// and options), then a `command` event per command, or `replaced` when a newer kiosk page took over.
pub async fn command_stream(
    State(state): State<AppState>,
    page: KioskPage,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let attached = state
        .kiosk
        .attach(&page.user.username, page.options.clone());
    let hello = json!({
        "page": attached.page,
        "identity": page.user.username,
        "auto_answer": page.options.auto_answer,
    });
    let page_id = attached.page;
    let first = futures_util::stream::once(async move {
        Ok(Event::default().event("hello").data(hello.to_string()))
    });
    let commands = futures_util::stream::unfold(attached, |mut attached| async move {
        let event = attached.events.recv().await?;
        Some((event, attached))
    })
    .map(move |event| {
        Ok(match event {
            PageEvent::Command {
                id,
                command,
                timeout,
            } => {
                let mut data = serde_json::to_value(&command).unwrap_or_default();
                data["id"] = json!(id);
                data["page"] = json!(page_id);
                data["timeout_ms"] = json!(timeout.as_millis() as u64);
                Event::default().event("command").data(data.to_string())
            }
            PageEvent::Replaced => Event::default().event("replaced").data("{}"),
        })
    });
    let stream = first.chain(commands).take_until(state.kiosk.closed());
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

#[derive(Deserialize)]
pub struct ResultBody {
    id: String,
    #[serde(flatten)]
    outcome: Outcome,
    /// The page's id and its phone afterwards, recorded before the outcome is answered.
    page: Option<u64>,
    phone: Option<PageReport>,
}

/// `POST /api/kiosk/results` (kiosk sessions): the outcome of a command. 404 when nobody waits for it any more.
pub async fn command_result(
    State(state): State<AppState>,
    _page: KioskPage,
    Json(body): Json<ResultBody>,
) -> StatusCode {
    if let (Some(page), Some(phone)) = (body.page, body.phone) {
        state.kiosk.report(page, phone);
    }
    if state.kiosk.resolve(&body.id, body.outcome) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

#[derive(Deserialize)]
pub struct StateBody {
    page: u64,
    #[serde(flatten)]
    report: PageReport,
}

/// `POST /api/kiosk/state` (kiosk sessions): the page's phone after a change. 409 from a replaced page.
pub async fn page_state(
    State(state): State<AppState>,
    _page: KioskPage,
    Json(body): Json<StateBody>,
) -> StatusCode {
    if state.kiosk.report(body.page, body.report) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CONFLICT
    }
}

/// The default wait for an outcome: a call may ring for a while; the rest is quick.
fn default_timeout(command: &Command) -> Duration {
    match command {
        Command::Call { .. } | Command::Answer => Duration::from_secs(60),
        Command::Hangup | Command::Dtmf { .. } => Duration::from_secs(15),
    }
}

#[derive(Deserialize)]
pub struct CommandBody {
    #[serde(flatten)]
    command: Command,
    timeout_secs: Option<u64>,
}

/// `POST /api/kiosk/command` (local control): relays a command to the kiosk page and answers its outcome:
/// 200 `{ok, message, state}` (`ok` false when the phone could not do it), 400 for a number or digits the
/// server refuses, 503 with no kiosk page, 504 when the page does not answer in time.
pub async fn relay_command(
    State(state): State<AppState>,
    _control: LocalControl,
    Json(body): Json<CommandBody>,
) -> Result<Response, AppError> {
    let command = match body.command {
        Command::Call { number } => {
            let checked = state
                .policy
                .check(&number)
                .map_err(|refusal| AppError::BadRequest(format!("{number:?}: {refusal}")))?;
            Command::Call {
                number: checked.e164().to_owned(),
            }
        }
        Command::Dtmf { digits } => {
            let ok = (1..=32).contains(&digits.len())
                && digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
            if !ok {
                return Err(AppError::BadRequest(
                    "digits are 1 to 32 of 0-9, * and #".into(),
                ));
            }
            Command::Dtmf { digits }
        }
        other => other,
    };
    let timeout = body
        .timeout_secs
        .map(|s| Duration::from_secs(s.clamp(1, 600)))
        .unwrap_or_else(|| default_timeout(&command));
    match state.kiosk.relay(command, timeout).await {
        Ok(outcome) => Ok(Json(outcome).into_response()),
        Err(e) => {
            let status = match e {
                RelayError::NotConnected | RelayError::PageGone => StatusCode::SERVICE_UNAVAILABLE,
                RelayError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            };
            tracing::warn!(error = %e, "kiosk command failed");
            Ok((status, Json(json!({ "error": e.to_string() }))).into_response())
        }
    }
}

/// `GET /api/kiosk/status` (local control): whether a kiosk page is connected and what its phone is doing.
pub async fn kiosk_status(State(state): State<AppState>, _control: LocalControl) -> Json<Status> {
    Json(state.kiosk.status())
}
