//! The ceiling: the smallest axum server answering piphone's benchmarked requests with fixed bodies, on the same
//! runtime and HTTP stack piphone uses. No signature check, no session, no database: whatever piphone spends
//! beyond this is the cost of its own work.
//!
//! `ceiling <port>`: `POST /voice` (fixed TwiML), `GET /token` (fixed JSON), `GET /healthz`, and for the fan-out
//! test `GET /events` (SSE from one `watch` channel, like piphone's) fed by `POST /voice/incoming`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tokio_stream::wrappers::WatchStream;

const TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Calling 4 1 5, 5 5 5, 2 6 7 1</Say>\
<Dial action=\"/voice/dial-ended\" answerOnBridge=\"true\" callerId=\"+14155550100\"><Number>+14155552671</Number>\
</Dial></Response>";

const TOKEN: &str = "{\"identity\":\"admin\",\"token\":\"eyJhbGciOiJIUzI1NiIsImN0eSI6InR3aWxpby1mcGE7dj0xIiwidHlwIjoiSldUIn0.\
eyJqdGkiOiJTSzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmLTE3MDAwMDAwMDAiLCJpc3MiOiJTSzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5\
YWJjZGVmIiwic3ViIjoiQUMwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwLCJncmFu\
dHMiOnsiaWRlbnRpdHkiOiJhZG1pbiIsInZvaWNlIjp7ImluY29taW5nIjp7ImFsbG93Ijp0cnVlfSwib3V0Z29pbmciOnsiYXBwbGljYXRpb25fc2lkIjoi\
QVAwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZiJ9fX19.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLXNpZ25hdHVyZS1wbGFjZWhvbGRlcg\",\"ttl\":3600}";

type Board = Arc<watch::Sender<Arc<str>>>;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("usage: ceiling <port>");
    let (tx, _) = watch::channel::<Arc<str>>(Arc::from("{\"members\":[]}"));
    let board: Board = Arc::new(tx);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/voice", post(voice))
        .route("/token", get(token))
        .route("/voice/incoming", post(incoming))
        .route("/queue-status", get(queue_status))
        .route("/events", get(events))
        .with_state(board);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

async fn voice(_body: Bytes) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/xml; charset=utf-8")], TWIML)
}

async fn token() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], TOKEN)
}

/// Publishes a picture naming the new caller's CallSid, as piphone's board would.
async fn incoming(State(board): State<Board>, body: Bytes) -> impl IntoResponse {
    let body = String::from_utf8_lossy(&body);
    let sid = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("CallSid="))
        .unwrap_or("");
    board.send_replace(Arc::from(format!(
        "{{\"members\":[{{\"call_sid\":\"{sid}\"}}]}}"
    )));
    ([(CONTENT_TYPE, "text/xml; charset=utf-8")], TWIML)
}

async fn queue_status(State(board): State<Board>) -> impl IntoResponse {
    let json = board.borrow().clone();
    ([(CONTENT_TYPE, "application/json")], json.to_string())
}

async fn events(State(board): State<Board>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = WatchStream::new(board.subscribe())
        .map(|json| Ok(Event::default().event("queue").data(&*json)));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
