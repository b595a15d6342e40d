//! Extractors that routes use to require a logged-in user. Routes never check sessions by hand.

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Redirect, Response};
use http::request::Parts;

use crate::error::AppError;
use crate::state::AppState;
use crate::store::User;

use super::session;

/// A logged-in, enabled user. JSON routes: 401 without one.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

/// A logged-in admin. 401 without a session, 403 for other roles.
#[derive(Debug, Clone)]
pub struct AdminUser(pub User);

/// Same as [`CurrentUser`], for pages: a redirect to `/login` without one.
#[derive(Debug, Clone)]
pub struct PageUser(pub User);

async fn user_from_parts(parts: &Parts, state: &AppState) -> Result<Option<User>, AppError> {
    let Some(token) = session::token_from_headers(&parts.headers) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session_user(&session::hash_token(&token))
        .await?)
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        user_from_parts(parts, state)
            .await?
            .map(CurrentUser)
            .ok_or(AppError::Unauthenticated)
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match user_from_parts(parts, state).await {
            Ok(Some(user)) => Ok(PageUser(user)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.role.is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(AppError::Forbidden)
        }
    }
}
