//! The kiosk page's side of the relay: only a session opened by a login link may hold the command channel.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;

use crate::auth::session;
use crate::error::AppError;
use crate::error::JsonBody;
use crate::kiosk::hub::PageEvent;
use crate::kiosk::messages::{Outcome, PageReport};
use crate::routes::api::extract::CurrentUser;
use crate::state::AppState;
use crate::store::{KioskOptions, User};

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
    JsonBody(body): JsonBody<ResultBody>,
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
    JsonBody(body): JsonBody<StateBody>,
) -> StatusCode {
    if state.kiosk.report(body.page, body.report) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CONFLICT
    }
}
