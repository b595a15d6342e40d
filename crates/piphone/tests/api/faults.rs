//! Fault injection against a mock Twilio: a bounded run of mixed faults (429 with Twilio's 20429, 500, 503,
//! requests that hang past the timeout, connection resets, malformed JSON, an error body); piphone never
//! panics, keeps answering, marks the queue view stale, and is fresh again within one poll period after the
//! faults stop.
//!
//! The mock is raw TCP (not wiremock) so that it can also reset connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{ACCOUNT_SID, ADMIN_PASSWORD, spawn_app_with};

const QU: &str = "QU0123456789abcdef0123456789abcdef";
const CA: &str = "CA0123456789abcdef0123456789abcdef";
const POLL: Duration = Duration::from_secs(1);
const FAULT_PHASE: Duration = Duration::from_secs(6);
const KINDS: [&str; 7] = [
    "429",
    "500",
    "503",
    "hang",
    "reset",
    "bad-json",
    "error-body",
];

#[derive(Default)]
struct Mock {
    faulty: AtomicBool,
    served: AtomicUsize,
    faults: [AtomicUsize; 7],
}

fn response(status: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn healthy(path: &str) -> String {
    let queue = format!(
        r#"{{"sid":"{QU}","friendly_name":"radio-callin-queue","current_size":1,"average_wait_time":3,"max_size":100,"account_sid":"{ACCOUNT_SID}"}}"#
    );
    let body = if path.ends_with("/Queues.json") || path.contains("/Queues.json?") {
        format!(r#"{{"queues":[{queue}],"next_page_uri":null}}"#)
    } else if path.contains("/Members.json") {
        format!(
            r#"{{"queue_members":[{{"call_sid":"{CA}","queue_sid":"{QU}","position":1,"wait_time":12}}],"next_page_uri":null}}"#
        )
    } else if path.contains(&format!("/Queues/{QU}.json")) {
        queue
    } else if path.contains(&format!("/Calls/{CA}.json")) {
        format!(r#"{{"sid":"{CA}","from":"+15551230001","to":"+14155550100","status":"queued"}}"#)
    } else {
        return response(
            "404 Not Found",
            r#"{"code":20404,"message":"not found","status":404}"#,
        );
    };
    response("200 OK", &body)
}

async fn serve_one(mock: Arc<Mock>, mut stream: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let n = mock.served.fetch_add(1, Ordering::SeqCst);
    let answer = if mock.faulty.load(Ordering::SeqCst) {
        let kind = n % KINDS.len();
        mock.faults[kind].fetch_add(1, Ordering::SeqCst);
        match KINDS[kind] {
            "429" => response(
                "429 Too Many Requests",
                r#"{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}"#,
            ),
            "500" => response("500 Internal Server Error", "oops"),
            "503" => response("503 Service Unavailable", ""),
            "hang" => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            "reset" => {
                #[allow(deprecated)]
                let _ = stream.set_linger(Some(Duration::ZERO));
                return; // dropped with SO_LINGER 0: the client sees a connection reset
            }
            "bad-json" => response("200 OK", r#"{"queues": [{"sid": "#),
            _ => response(
                "400 Bad Request",
                r#"{"code":20001,"message":"Invalid parameter","more_info":"https://www.twilio.com/docs/errors/20001","status":400}"#,
            ),
        }
    } else {
        healthy(&path)
    };
    let _ = stream.write_all(answer.as_bytes()).await;
}

async fn status(app: &crate::helpers::TestApp, cookie: &str) -> Value {
    let res = app.get_with("/queue-status", Some(cookie)).await;
    assert_eq!(res.status(), 200, "the queue view keeps answering");
    res.json().await.unwrap()
}

fn fresh_with_member(s: &Value) -> bool {
    s["stale"] == false && s["members"].as_array().is_some_and(|m| m.len() == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_twilio_faults_then_fresh_within_one_poll() {
    let mock = Arc::new(Mock::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mock_url = format!("http://{}", listener.local_addr().unwrap());
    let m = mock.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_one(m.clone(), stream));
        }
    });
    let app = spawn_app_with(&[
        ("PIPHONE_TWILIO_API_URL", &mock_url),
        ("PIPHONE_QUEUE_POLL_SECS", "1"),
    ])
    .await;
    let cookie = app.login("admin", ADMIN_PASSWORD).await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    while !fresh_with_member(&status(&app, &cookie).await) {
        assert!(Instant::now() < deadline, "the first poll never succeeded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    mock.faulty.store(true, Ordering::SeqCst);
    let fault_start = Instant::now();
    let mut saw_stale = false;
    while fault_start.elapsed() < FAULT_PHASE {
        saw_stale |= status(&app, &cookie).await["stale"] == true;
        assert_eq!(app.get_with("/healthz", None).await.status(), 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mock.faulty.store(false, Ordering::SeqCst);
    let faults_end = Instant::now();
    let counts: Vec<usize> = mock
        .faults
        .iter()
        .map(|c| c.load(Ordering::SeqCst))
        .collect();
    assert!(saw_stale, "the view was marked stale during the outage");

    let recovered = loop {
        if fresh_with_member(&status(&app, &cookie).await) {
            break faults_end.elapsed();
        }
        assert!(
            faults_end.elapsed() < Duration::from_secs(10),
            "never recovered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!(
        "faults injected {:?}; fresh again {} ms after they stopped (poll period {} ms)",
        KINDS.iter().zip(&counts).collect::<Vec<_>>(),
        recovered.as_millis(),
        POLL.as_millis()
    );
    assert!(
        counts.iter().all(|&c| c > 0),
        "every kind of fault was injected: {counts:?}"
    );
    // One poll period, plus a little for the successful poll's own requests on a loaded machine.
    assert!(
        recovered <= POLL + Duration::from_millis(400),
        "fresh again after {recovered:?}"
    );
}
