//! Extractors that the browser's routes use to require a logged-in user, and a role. Handlers never check
//! sessions or roles by hand: a handler that takes [`Host`] runs for hosts and admins only.

use axum::extract::FromRequestParts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use http::StatusCode;
use http::request::Parts;

use crate::auth::session;
use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::User;

/// A logged-in, enabled user. JSON routes: 401 without one.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

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

impl From<CurrentUser> for User {
    fn from(CurrentUser(user): CurrentUser) -> User {
        user
    }
}

impl From<PageUser> for User {
    fn from(PageUser(user): PageUser) -> User {
        user
    }
}

/// The user `U` finds (its refusal stands: 401 for JSON routes, a redirect to `/login` for pages), if their role
/// passes `allowed`; else `refused()`.
async fn user_with_role<U>(
    parts: &mut Parts,
    state: &AppState,
    allowed: fn(Role) -> bool,
    refused: fn() -> Response,
) -> Result<User, Response>
where
    U: FromRequestParts<AppState> + Into<User>,
    U::Rejection: IntoResponse,
{
    let user: User = U::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?
        .into();
    if allowed(user.role) {
        Ok(user)
    } else {
        Err(refused())
    }
}

/// Declares an extractor for the users whose role passes `Role::$rule`, found by `$via`; other roles get
/// `$refused`. `Name(User)` keeps the user for the handler; a bare `Name` only lets them in.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident(User): $via:ident, $rule:ident, else $refused:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub User);

        impl FromRequestParts<AppState> for $name {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
                user_with_role::<$via>(parts, state, Role::$rule, || $refused)
                    .await
                    .map($name)
            }
        }
    };
    ($(#[$doc:meta])* $name:ident: $via:ident, $rule:ident, else $refused:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl FromRequestParts<AppState> for $name {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
                user_with_role::<$via>(parts, state, Role::$rule, || $refused)
                    .await
                    .map(|_| $name)
            }
        }
    };
}

role_extractor!(
    /// A logged-in admin. 401 without a session, 403 for other roles.
    AdminUser(User): CurrentUser, is_admin, else AppError::Forbidden.into_response()
);
role_extractor!(
    /// A user who may take calls from the queue (hosts, admins). 401 without a session, 403 for other roles.
    Host(User): CurrentUser, can_take_calls, else AppError::Forbidden.into_response()
);
role_extractor!(
    /// A user who may screen callers (screeners, hosts, admins). 401 without a session, 403 for other roles.
    Screener(User): CurrentUser, can_screen, else AppError::Forbidden.into_response()
);
role_extractor!(
    /// A user who may watch the call-in queue (screeners, hosts, admins). 401 without a session, 403 for other
    /// roles.
    QueueWatcher(User): CurrentUser, can_view_queue, else AppError::Forbidden.into_response()
);
role_extractor!(
    /// A user who may read the whole call log (hosts, admins). 401 without a session, 403 for other roles.
    LogReader(User): CurrentUser, can_read_call_log, else AppError::Forbidden.into_response()
);
role_extractor!(
    /// An admin, for the admin page: other users are sent to the phone.
    AdminPage: PageUser, is_admin, else Redirect::to("/").into_response()
);
role_extractor!(
    /// Someone who may watch the queue, for the console page: anyone else gets a polite 403 page.
    ConsolePage: PageUser, can_view_queue, else refusal_page(CONSOLE_REFUSAL)
);
role_extractor!(
    /// Someone who may read the call log, for its page: anyone else gets a polite 403 page.
    CallLogPage: PageUser, can_read_call_log, else refusal_page(CALL_LOG_REFUSAL)
);

/// A page's 403 for a role that may not see it.
fn refusal_page(html: &'static str) -> Response {
    (StatusCode::FORBIDDEN, Html(html)).into_response()
}

const CONSOLE_REFUSAL: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Console - piphone</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>\
<h1>The call-in console is for hosts and screeners</h1><p>Ask an admin to make your account a host or a \
screener, or go back to \
<a href=\"/\">the phone</a>.</p></main></body></html>";

const CALL_LOG_REFUSAL: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Call log - piphone</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main>\
<h1>The call log is for hosts and admins</h1><p>Go back to <a href=\"/console\">the console</a> or \
<a href=\"/\">the phone</a>.</p></main></body></html>";

/// Who may press the studio hybrid's line buttons: a host (or admin) with a session, or the command line on this
/// machine with the local control secret (`piphone line …`, for buttons wired to GPIO or a stream deck).
#[derive(Debug, Clone)]
pub enum LineOperator {
    Host(User),
    Local,
}

impl FromRequestParts<AppState> for LineOperator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        if parts.headers.contains_key(http::header::AUTHORIZATION) {
            return super::kiosk::LocalControl::from_request_parts(parts, state)
                .await
                .map(|_| LineOperator::Local)
                .map_err(IntoResponse::into_response);
        }
        Host::from_request_parts(parts, state)
            .await
            .map(|Host(user)| LineOperator::Host(user))
    }
}

impl LineOperator {
    /// Who pressed, for the log.
    pub fn name(&self) -> &str {
        match self {
            LineOperator::Host(user) => user.username.as_str(),
            LineOperator::Local => "(command line)",
        }
    }
}
