//! The kiosk's routes: its one-time login link (here), the kiosk page's command channel ([`page`]: SSE down,
//! outcomes and state posted back) and the local control API the command line uses ([`control`]); the relay
//! between them is [`crate::kiosk::hub`].

pub mod control;
pub mod page;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::header::SET_COOKIE;
use serde::Deserialize;

use crate::auth::session;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::LinkCheck;

pub use control::{LocalControl, kiosk_status, relay_command};
pub use page::{command_result, command_stream, page_state};

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
