//! API keys: list, create (201, the only answer with the `secret`), fetch, rename, delete (204). Managing keys
//! takes the account's auth token: a Standard API key gets 401 `Authenticate`, as on Twilio.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RestAuth, RestError, field, form, page, rfc2822, sid_in};
use crate::Sandbox;
use crate::account::Key;
use crate::ids;

fn key_json(k: &Key) -> Value {
    json!({
        "date_created": rfc2822(k.created),
        "date_updated": rfc2822(k.updated),
        "friendly_name": k.friendly_name,
        "sid": k.sid,
    })
}

pub async fn list(
    auth: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, RestError> {
    auth.account_only()?;
    let items = sb.engine.account.lock().keys.iter().map(key_json).collect();
    Ok(Json(page(uri.path(), "keys", items, &q)))
}

pub async fn create(
    auth: RestAuth,
    State(sb): State<Sandbox>,
    body: Bytes,
) -> Result<Response, RestError> {
    auth.account_only()?;
    let f = form(&body);
    let now = OffsetDateTime::now_utc();
    let key = Key {
        sid: ids::sid("SK"),
        friendly_name: field(&f, "FriendlyName").unwrap_or_default().to_owned(),
        secret: ids::hex32(),
        created: now,
        updated: now,
    };
    let mut body = key_json(&key);
    body["secret"] = json!(key.secret);
    sb.engine.account.lock().keys.push(key);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub async fn fetch(
    auth: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<Json<Value>, RestError> {
    auth.account_only()?;
    let sid = sid_in(&seg, &uri)?;
    let res = sb.engine.account.lock();
    let key = res.keys.iter().find(|k| k.sid == sid);
    key.map(|k| Json(key_json(k)))
        .ok_or_else(|| RestError::not_found(uri.path()))
}

pub async fn update(
    auth: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    auth.account_only()?;
    let sid = sid_in(&seg, &uri)?;
    let f = form(&body);
    let mut res = sb.engine.account.lock();
    let key = res.keys.iter_mut().find(|k| k.sid == sid);
    let key = key.ok_or_else(|| RestError::not_found(uri.path()))?;
    if let Some(name) = field(&f, "FriendlyName") {
        key.friendly_name = name.to_owned();
        key.updated = OffsetDateTime::now_utc();
    }
    Ok(Json(key_json(key)))
}

/// Deletes the key: from now on it neither authenticates REST requests nor signs tokens the gateway accepts.
pub async fn delete(
    auth: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<StatusCode, RestError> {
    auth.account_only()?;
    let sid = sid_in(&seg, &uri)?;
    let mut res = sb.engine.account.lock();
    let before = res.keys.len();
    res.keys.retain(|k| k.sid != sid);
    if res.keys.len() == before {
        return Err(RestError::not_found(uri.path()));
    }
    Ok(StatusCode::NO_CONTENT)
}
