//! Logging in and out.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::header::SET_COOKIE;
use serde::Deserialize;

use crate::auth::{password, session};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn login_page() -> Response {
    super::pages::page("login")
}

/// `POST /login`: the same answer for an unknown user and a wrong password, in about the same time.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_owned();
    let user_key = format!("user:{}", username.to_lowercase());
    let keys = [format!("ip:{}", peer.ip()), user_key.clone()];
    if state.limiter.check(&keys, Instant::now()).is_err() {
        tracing::warn!(username = %username, peer = %peer.ip(), "login rate-limited");
        return Ok(Redirect::to("/login?error=rate").into_response());
    }
    let found = if username.is_empty() || username.len() > 64 {
        None
    } else {
        state.store.user_with_hash(&username).await?
    };
    let (user, hash) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), Some(hash)),
        _ => (None, None),
    };
    if !password::verify(form.password, hash).await {
        state.limiter.record_failure(&keys, Instant::now());
        tracing::info!(username = %username, peer = %peer.ip(), "login failed");
        return Ok(Redirect::to("/login?error=invalid").into_response());
    }
    let Some(user) = user else {
        return Err(AppError::Internal(
            "password verified without a user".into(),
        ));
    };
    state.limiter.record_success(&user_key);
    let (token, token_hash) = session::new_token();
    state
        .store
        .create_session(&token_hash, user.id, session::TTL_SECS)
        .await?;
    tracing::info!(username = %user.username, role = %user.role, "logged in");
    Ok((
        [(SET_COOKIE, session::set_cookie(&token, state.tls))],
        Redirect::to("/"),
    )
        .into_response())
}

/// `POST /logout`: ends the session (if any) and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    headers: http::HeaderMap,
) -> Result<Response, AppError> {
    if let Some(token) = session::token_from_headers(&headers) {
        state
            .store
            .delete_session(&session::hash_token(&token))
            .await?;
    }
    Ok((
        [(SET_COOKIE, session::clear_cookie(state.tls))],
        Redirect::to("/login"),
    )
        .into_response())
}
