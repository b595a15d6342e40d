//! The REST subset of api.twilio.com 2010-04-01 that piphone uses: Queues, Members, Calls, and the setup
//! resources (Keys, Applications, IncomingPhoneNumbers with the one station number).
//! Twilio's JSON shapes (RFC 2822 dates, `uri`, pagination fields) and error bodies
//! `{"code","message","more_info","status"}` with Twilio's codes. Checked against Twilio's
//! OpenAPI description by `tests/rest.rs` (Prism in validating proxy mode).

mod applications;
mod calls;
mod keys;
mod numbers;
mod queues;
mod voice;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use super::Sandbox;
use super::auth::{Caller, caller};

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/2010-04-01/Accounts/{account}/Queues.json",
            get(queues::list).post(queues::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Queues/{queue}",
            get(queues::fetch)
                .post(queues::update)
                .delete(queues::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Queues/{queue}/Members.json",
            get(queues::list_members),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Queues/{queue}/Members/{member}",
            get(queues::fetch_member).post(queues::dequeue_member),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls.json",
            axum::routing::post(calls::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Calls/{call}",
            get(calls::fetch).post(calls::update),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys.json",
            get(keys::list).post(keys::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Keys/{key}",
            get(keys::fetch).post(keys::update).delete(keys::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Applications.json",
            get(applications::list).post(applications::create),
        )
        .route(
            "/2010-04-01/Accounts/{account}/Applications/{app}",
            get(applications::fetch)
                .post(applications::update)
                .delete(applications::delete),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            get(numbers::list),
        )
        .route(
            "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{number}",
            get(numbers::fetch).post(numbers::update),
        )
}

/// A Twilio REST error.
#[derive(Debug)]
pub struct RestError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

impl RestError {
    /// 401, code 20003 `Authenticate` (answered with Twilio's `WWW-Authenticate` challenge).
    pub fn unauthenticated() -> RestError {
        RestError {
            status: StatusCode::UNAUTHORIZED,
            code: 20003,
            message: "Authenticate".into(),
        }
    }

    pub fn not_found(path: &str) -> RestError {
        RestError {
            status: StatusCode::NOT_FOUND,
            code: 20404,
            message: format!("The requested resource {path} was not found"),
        }
    }

    pub fn bad_request(code: u32, message: impl Into<String>) -> RestError {
        RestError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.code,
            "message": self.message,
            "more_info": format!("https://www.twilio.com/docs/errors/{}", self.code),
            "status": self.status.as_u16(),
        });
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                "WWW-Authenticate",
                "Basic realm=\"Twilio API\"".parse().expect("static header"),
            );
        }
        resp
    }
}

/// Basic auth with the account's auth token or one of its API keys, and the account SID in the path.
pub struct RestAuth(pub Caller);

impl RestAuth {
    /// Twilio's answer to a Standard API key managing keys: 401 `Authenticate`, as with no credentials.
    pub fn account_only(&self) -> Result<(), RestError> {
        match self.0 {
            Caller::Account => Ok(()),
            Caller::ApiKey => Err(RestError::unauthenticated()),
        }
    }
}

impl FromRequestParts<Sandbox> for RestAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        sandbox: &Sandbox,
    ) -> Result<Self, Self::Rejection> {
        let creds = &sandbox.engine.creds;
        let keys = &sandbox.engine.account;
        let Some(who) = caller(&parts.headers, creds, |sid| keys.key_secret(sid)) else {
            return Err(RestError::unauthenticated().into_response());
        };
        let account = parts.uri.path().split('/').nth(3).unwrap_or_default();
        if account != creds.account_sid {
            return Err(RestError::not_found(parts.uri.path()).into_response());
        }
        Ok(RestAuth(who))
    }
}

/// `QU….json` → `QU…`.
pub fn strip_json(segment: &str) -> Option<&str> {
    segment.strip_suffix(".json")
}

/// The SID in a path segment `XX….json`, or a 404 naming the request's path.
pub fn sid_in(segment: &str, uri: &axum::http::Uri) -> Result<String, RestError> {
    strip_json(segment)
        .map(str::to_owned)
        .ok_or_else(|| RestError::not_found(uri.path()))
}

pub fn rfc2822(t: OffsetDateTime) -> String {
    t.format(&Rfc2822).unwrap_or_default()
}

/// A form body as ordered pairs.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Twilio's list envelope around `items` under `key`, with `PageSize`/`Page` paging.
pub fn page(
    path: &str,
    key: &str,
    items: Vec<serde_json::Value>,
    query: &std::collections::HashMap<String, String>,
) -> serde_json::Value {
    let size: usize = query
        .get("PageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .clamp(1, 1000);
    let page: usize = query.get("Page").and_then(|s| s.parse().ok()).unwrap_or(0);
    let total = items.len();
    let start = (page * size).min(total);
    let chunk: Vec<_> = items.into_iter().skip(start).take(size).collect();
    let end = if chunk.is_empty() {
        start
    } else {
        start + chunk.len() - 1
    };
    let uri = |p: usize| format!("{path}?PageSize={size}&Page={p}");
    json!({
        key: chunk,
        "uri": uri(page),
        "first_page_uri": uri(0),
        "next_page_uri": if start + size < total { Some(uri(page + 1)) } else { None },
        "previous_page_uri": if page > 0 { Some(uri(page - 1)) } else { None },
        "page": page,
        "page_size": size,
        "start": start,
        "end": end,
    })
}
