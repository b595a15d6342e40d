//! Reliability: graceful shutdown lets in-flight webhooks finish; a panicking handler becomes a 500 and the
//! server keeps serving.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twilio::signature::{Algorithm, compute_signature};

use crate::helpers::{AUTH_TOKEN, client_call, spawn_app, spawn_app_until};

#[tokio::test]
async fn shutdown_lets_an_in_flight_webhook_finish_and_refuses_new_connections() {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let app = spawn_app_until(&[], async move {
        let _ = stop_rx.await;
    })
    .await;
    let params = client_call("admin", "+14155552671");
    let body = serde_urlencoded::to_string(&params).unwrap();
    let sig = compute_signature(AUTH_TOKEN, &app.at("/voice"), &params, Algorithm::HmacSha1);
    let addr = app.url.trim_start_matches("http://").to_owned();

    // Twilio has sent the headers and half the body when the shutdown signal arrives.
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /voice HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {sig}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop_tx.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "no new connections once shutting down"
    );
    conn.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(10), conn.read_to_string(&mut response))
        .await
        .expect("the in-flight request completes")
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("<Dial"),
        "the webhook was answered in full: {response}"
    );
}

#[tokio::test]
async fn a_panicking_handler_becomes_a_500_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    async fn boom() -> &'static str {
        panic!("handler bug")
    }
    let router = piphone::routes::with_layers(
        Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" })),
        app.state.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    for _ in 0..3 {
        let res = reqwest::get(format!("{url}/boom")).await.unwrap();
        assert_eq!(res.status(), 500);
        assert!(
            res.headers().contains_key("content-security-policy"),
            "the 500 of a panic carries the security headers too"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            body["error"], "internal error",
            "nothing internal in the body"
        );
        assert_eq!(
            reqwest::get(format!("{url}/ok"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
            "ok"
        );
    }
}

#[tokio::test]
async fn oversized_and_stalled_webhooks_are_cut_off() {
    let app = spawn_app().await;
    let huge = format!("From=client%3Aadmin&To={}", "1".repeat(70 * 1024));
    let res = app
        .client
        .post(app.at("/voice"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("X-Twilio-Signature", "x")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "body over the webhook limit");

    // A client that sends the headers and then stalls is answered 408, not held forever.
    let addr = app.url.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /voice HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: x\r\nContent-Length: 100\r\n\r\nFrom="
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let started = std::time::Instant::now();
    let n = tokio::time::timeout(
        piphone::routes::WEBHOOK_TIMEOUT + Duration::from_secs(5),
        conn.read(&mut buf),
    )
    .await
    .expect("answered before the test's own deadline")
    .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() >= piphone::routes::WEBHOOK_TIMEOUT - Duration::from_millis(500));
}
