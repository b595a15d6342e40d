//! Queues and their Members.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RestAuth, RestError, field, form, page, rfc2822, sid_in, strip_json};
use crate::Sandbox;
use crate::engine::{Engine, Method, Queue, Signal, Source, queue};

fn queue_json(engine: &Engine, q: &Queue) -> Value {
    let account = &engine.creds.account_sid;
    json!({
        "account_sid": account,
        "average_wait_time": q.average_wait(engine),
        "current_size": q.members.len(),
        "date_created": rfc2822(q.created),
        "date_updated": rfc2822(q.updated),
        "friendly_name": q.friendly_name,
        "max_size": q.max_size,
        "sid": q.sid,
        "uri": format!("/2010-04-01/Accounts/{account}/Queues/{}.json", q.sid),
    })
}

fn member_json(engine: &Engine, q: &Queue, index: usize) -> Value {
    let m = &q.members[index];
    json!({
        "call_sid": m.call_sid,
        "date_enqueued": rfc2822(m.date_enqueued),
        "position": index + 1,
        "queue_sid": q.sid,
        "uri": format!("/2010-04-01/Accounts/{}/Queues/{}/Members/{}.json", engine.creds.account_sid, q.sid, m.call_sid),
        "wait_time": engine.timing.sim_secs(m.enqueued.elapsed()),
    })
}

pub async fn list(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let items: Vec<Value> = sb
        .engine
        .state()
        .queues
        .iter()
        .map(|qu| queue_json(&sb.engine, qu))
        .collect();
    Json(page(uri.path(), "queues", items, &q))
}

pub async fn create(
    _: RestAuth,
    State(sb): State<Sandbox>,
    body: Bytes,
) -> Result<Response, RestError> {
    let f = form(&body);
    let name = field(&f, "FriendlyName")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            RestError::bad_request(
                21212,
                "Missing required parameter FriendlyName in the post body",
            )
        })?;
    if name.chars().count() > 64 {
        return Err(RestError::bad_request(
            21212,
            "FriendlyName must be at most 64 characters",
        ));
    }
    let max_size = max_size(&f)?.unwrap_or(queue::DEFAULT_MAX_SIZE);
    let mut st = sb.engine.state();
    if st.queues.iter().any(|q| q.friendly_name == name) {
        return Err(RestError::bad_request(
            22003,
            format!("A queue with friendly name {name} already exists"),
        ));
    }
    let q = Queue::new(name, max_size);
    let body = queue_json(&sb.engine, &q);
    st.queues.push(q);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn max_size(f: &[(String, String)]) -> Result<Option<u32>, RestError> {
    match field(f, "MaxSize") {
        None => Ok(None),
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=5000).contains(&n) => Ok(Some(n)),
            _ => Err(RestError::bad_request(
                22002,
                "MaxSize must be between 1 and 5000",
            )),
        },
    }
}

pub async fn fetch(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<Json<Value>, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let st = sb.engine.state();
    let q = st
        .queues
        .iter()
        .find(|q| q.sid == sid)
        .ok_or_else(|| RestError::not_found(uri.path()))?;
    Ok(Json(queue_json(&sb.engine, q)))
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
    let size = max_size(&f)?;
    let mut st = sb.engine.state();
    let q = st
        .queues
        .iter_mut()
        .find(|q| q.sid == sid)
        .ok_or_else(|| RestError::not_found(uri.path()))?;
    if let Some(name) = field(&f, "FriendlyName") {
        q.friendly_name = name.to_owned();
    }
    if let Some(n) = size {
        q.max_size = n;
    }
    q.updated = OffsetDateTime::now_utc();
    Ok(Json(queue_json(&sb.engine, q)))
}

pub async fn delete(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<StatusCode, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let mut st = sb.engine.state();
    let before = st.queues.len();
    st.queues.retain(|q| q.sid != sid);
    if st.queues.len() == before {
        return Err(RestError::not_found(uri.path()));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_members(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, sid)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, RestError> {
    let st = sb.engine.state();
    let q = st
        .queues
        .iter()
        .find(|q| q.sid == sid)
        .ok_or_else(|| RestError::not_found(uri.path()))?;
    let items = (0..q.members.len())
        .map(|i| member_json(&sb.engine, q, i))
        .collect();
    Ok(Json(page(uri.path(), "queue_members", items, &query)))
}

fn find_member(
    engine: &Engine,
    qsid: &str,
    seg: &str,
    uri: &Uri,
) -> Result<(Value, String), RestError> {
    let who = strip_json(seg).ok_or_else(|| RestError::not_found(uri.path()))?;
    let st = engine.state();
    let q = st
        .queues
        .iter()
        .find(|q| q.sid == qsid)
        .ok_or_else(|| RestError::not_found(uri.path()))?;
    let index = if who == "Front" {
        (!q.members.is_empty()).then_some(0)
    } else {
        q.members.iter().position(|m| m.call_sid == who)
    };
    let index = index.ok_or_else(|| RestError::not_found(uri.path()))?;
    Ok((
        member_json(engine, q, index),
        q.members[index].call_sid.clone(),
    ))
}

pub async fn fetch_member(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, qsid, seg)): Path<(String, String, String)>,
) -> Result<Json<Value>, RestError> {
    find_member(&sb.engine, &qsid, &seg, &uri).map(|(v, _)| Json(v))
}

/// POST with `Url` (+`Method`): the member leaves the queue (`QueueResult=redirected`) and its
/// call continues with the TwiML at `Url`.
pub async fn dequeue_member(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, qsid, seg)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let f = form(&body);
    let url = field(&f, "Url").ok_or_else(|| {
        RestError::bad_request(20001, "Missing required parameter Url in the post body")
    })?;
    let url = url::Url::parse(url)
        .map_err(|_| RestError::bad_request(21205, "Url is not a valid URL"))?;
    let method = Method::parse(field(&f, "Method"));
    let (view, call_sid) = find_member(&sb.engine, &qsid, &seg, &uri)?;
    queue::leave(&sb.engine, &call_sid, &qsid);
    sb.engine.signal(
        &call_sid,
        Signal::Redirect(Source::Fetch {
            url,
            method,
            params: vec![],
        }),
    );
    Ok(Json(view))
}
