//! A stand-in for Twilio's REST API (api.twilio.com/2010-04-01) that counts every request it answers, so the
//! benchmark can tell how many Twilio requests per minute a server makes with 1 or 1,000 browsers watching.
//!
//! `twilio-mock <port>`. It knows one queue (`radio-callin-queue`) whose members are whatever the benchmark put
//! there through the control routes, and answers Queues, Members and Calls with Twilio's JSON shapes:
//! - `GET /__bench/count`: `{"total": n, "by_path": {...}}` (requests to the API, not to `/__bench`)
//! - `POST /__bench/members` (body: a CallSid) adds a waiting caller; `DELETE /__bench/members` empties the queue.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

const QUEUE_SID: &str = "QU0123456789abcdef0123456789abcdef";
const QUEUE_NAME: &str = "radio-callin-queue";
const DATE: &str = "Mon, 16 Aug 2010 03:45:01 +0000";

#[derive(Default)]
struct Mock {
    members: Vec<String>,
    total: u64,
    by_path: BTreeMap<String, u64>,
}

type Shared = Arc<Mutex<Mock>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: twilio-mock <port>");
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/__bench/count", get(count))
        .route(
            "/__bench/members",
            axum::routing::post(add_member).delete(clear_members),
        )
        .fallback(api)
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

async fn count(State(s): State<Shared>) -> Response {
    let m = s.lock().unwrap();
    json_response(
        StatusCode::OK,
        json!({ "total": m.total, "by_path": m.by_path }),
    )
}

async fn add_member(State(s): State<Shared>, body: Bytes) -> StatusCode {
    let sid = String::from_utf8_lossy(&body).trim().to_owned();
    let mut m = s.lock().unwrap();
    if !sid.is_empty() && !m.members.contains(&sid) {
        m.members.push(sid);
    }
    StatusCode::NO_CONTENT
}

async fn clear_members(State(s): State<Shared>) -> StatusCode {
    s.lock().unwrap().members.clear();
    StatusCode::NO_CONTENT
}

fn json_response(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn queue(size: usize) -> Value {
    json!({
        "sid": QUEUE_SID, "friendly_name": QUEUE_NAME, "current_size": size, "average_wait_time": 0,
        "max_size": 1000, "account_sid": null, "date_created": DATE, "date_updated": DATE,
        "uri": format!("/2010-04-01/Accounts/AC/Queues/{QUEUE_SID}.json"),
    })
}

fn page(key: &str, items: Vec<Value>) -> Value {
    json!({
        key: items, "first_page_uri": null, "next_page_uri": null, "previous_page_uri": null,
        "page": 0, "page_size": 50, "start": 0, "end": 0, "uri": null,
    })
}

/// Everything under `/2010-04-01/Accounts/{AC}/`: counted, then answered by the path's last segments.
async fn api(State(s): State<Shared>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let mut m = s.lock().unwrap();
    m.total += 1;
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let rest: &[&str] = match parts.as_slice() {
        ["2010-04-01", "Accounts", _account, rest @ ..] => rest,
        _ => &[],
    };
    let key = match rest {
        ["Queues.json"] => "Queues.json",
        ["Queues", _, "Members.json"] => "Queues/{QU}/Members.json",
        ["Queues", _] => "Queues/{QU}.json",
        ["Calls", _] => "Calls/{CA}.json",
        _ => "other",
    };
    *m.by_path.entry(key.to_owned()).or_default() += 1;
    let size = m.members.len();
    match rest {
        ["Queues.json"] => json_response(StatusCode::OK, page("queues", vec![queue(size)])),
        ["Queues", q] if q.strip_suffix(".json") == Some(QUEUE_SID) => {
            json_response(StatusCode::OK, queue(size))
        }
        ["Queues", q, "Members.json"] if *q == QUEUE_SID => {
            let members = m
                .members
                .iter()
                .enumerate()
                .map(|(i, sid)| {
                    json!({ "call_sid": sid, "queue_sid": QUEUE_SID, "position": i + 1, "wait_time": 0,
                            "date_enqueued": DATE })
                })
                .collect();
            json_response(StatusCode::OK, page("queue_members", members))
        }
        ["Calls", c] if c.ends_with(".json") => {
            let sid = c.trim_end_matches(".json");
            json_response(
                StatusCode::OK,
                json!({ "sid": sid, "from": "+15550100123", "to": "+15550100100", "status": "queued",
                        "direction": "inbound", "date_created": DATE, "date_updated": DATE }),
            )
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({ "code": 20404, "message": "The requested resource was not found", "more_info": "",
                    "status": 404 }),
        ),
    }
}
