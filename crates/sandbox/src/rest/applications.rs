//! TwiML Apps: list (filter `FriendlyName`), create (201), fetch, update, delete (204). A browser call whose
//! token names an app requests that app's Voice URL (the engine reads it from [`crate::account`]).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RestAuth, RestError, field, form, page, rfc2822, sid_in, voice};
use crate::Sandbox;
use crate::account::Application;

fn app_json(account: &str, a: &Application) -> Value {
    voice::with_fields(
        &a.voice,
        json!({
            "account_sid": account,
            "api_version": "2010-04-01",
            "date_created": rfc2822(a.created),
            "date_updated": rfc2822(a.updated),
            "friendly_name": a.friendly_name,
            "message_status_callback": null,
            "public_application_connect_enabled": false,
            "sid": a.sid,
            "sms_fallback_method": "POST",
            "sms_fallback_url": null,
            "sms_method": "POST",
            "sms_status_callback": null,
            "sms_url": null,
            "uri": format!("/2010-04-01/Accounts/{account}/Applications/{}.json", a.sid),
        }),
    )
}

pub async fn list(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let account = &sb.engine.creds.account_sid;
    let name = q.get("FriendlyName");
    let items = sb
        .engine
        .account
        .lock()
        .applications
        .iter()
        .filter(|a| name.is_none_or(|n| &a.friendly_name == n))
        .map(|a| app_json(account, a))
        .collect();
    Json(page(uri.path(), "applications", items, &q))
}

pub async fn create(
    _: RestAuth,
    State(sb): State<Sandbox>,
    body: Bytes,
) -> Result<Response, RestError> {
    let f = form(&body);
    let mut app = Application::new(field(&f, "FriendlyName").unwrap_or_default());
    voice::apply(&f, &mut app.voice)?;
    let body = app_json(&sb.engine.creds.account_sid, &app);
    sb.engine.account.lock().applications.push(app);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn fetch(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<Json<Value>, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let res = sb.engine.account.lock();
    let app = res.applications.iter().find(|a| a.sid == sid);
    app.map(|a| Json(app_json(&sb.engine.creds.account_sid, a)))
        .ok_or_else(|| RestError::not_found(uri.path()))
}

pub async fn update(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let f = form(&body);
    let mut res = sb.engine.account.lock();
    let app = res.applications.iter_mut().find(|a| a.sid == sid);
    let app = app.ok_or_else(|| RestError::not_found(uri.path()))?;
    voice::apply(&f, &mut app.voice)?;
    if let Some(name) = field(&f, "FriendlyName") {
        app.friendly_name = name.to_owned();
    }
    app.updated = OffsetDateTime::now_utc();
    Ok(Json(app_json(&sb.engine.creds.account_sid, app)))
}

/// Deletes the app; a number whose `VoiceApplicationSid` named it goes back to its own voice URLs, as on Twilio.
pub async fn delete(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<StatusCode, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let mut res = sb.engine.account.lock();
    let before = res.applications.len();
    res.applications.retain(|a| a.sid != sid);
    if res.applications.len() == before {
        return Err(RestError::not_found(uri.path()));
    }
    if res.number.voice_application_sid.as_deref() == Some(sid.as_str()) {
        res.number.voice_application_sid = None;
    }
    Ok(StatusCode::NO_CONTENT)
}
