//! Error paths of the REST client against wiremock: retries (which requests, how many times),
//! timeouts, malformed bodies, Twilio's error body, auth headers, form bodies and pagination.

use std::time::Duration;

use base64::Engine as _;
use serde_json::json;
use twilio::rest::{Auth, Client, ClientConfig, MemberRef, RestError};
use twilio::twiml::Method;
use wiremock::matchers::{body_string, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, ACCOUNT, CALL, QUEUE};

const RETRIES: usize = 2;

fn client(server: &MockServer) -> Client {
    client_with(server, Duration::from_secs(5))
}

fn client_with(server: &MockServer, timeout: Duration) -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = ClientConfig {
        base_url: server.uri(),
        timeout,
        max_retries: RETRIES,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..Default::default()
    };
    Client::new(ACCOUNT, Auth::api_key("SKkey", "secret"), config).unwrap()
}

fn queue_path() -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Queues/{QUEUE}.json")
}

fn member_path(member: &str) -> String {
    format!("/2010-04-01/Accounts/{ACCOUNT}/Queues/{QUEUE}/Members/{member}.json")
}

fn queue_json(sid: &str) -> serde_json::Value {
    json!({"sid": sid, "friendly_name": "radio", "current_size": 1, "max_size": 100,
           "average_wait_time": 3, "date_created": "Tue, 04 Aug 2015 18:39:09 +0000", "extra": true})
}

fn twilio_error(code: u32, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code, "message": "nope", "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

async fn hits(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn retries_429_then_succeeds_with_api_key_auth() {
    let server = MockServer::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode("SKkey:secret");
    Mock::given(method("GET"))
        .and(path(queue_path()))
        .respond_with(twilio_error(20429, 429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(queue_path()))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json(QUEUE)))
        .mount(&server)
        .await;
    let q = client(&server).fetch_queue(QUEUE).await.unwrap();
    assert_eq!((q.sid.as_str(), q.max_size), (QUEUE, 100));
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn honours_retry_after_and_gives_up_when_it_asks_too_much() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(queue_path()))
        .respond_with(twilio_error(20429, 429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(queue_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(queue_json(QUEUE)))
        .mount(&server)
        .await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = ClientConfig {
        base_url: server.uri(),
        max_retries: RETRIES,
        min_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_secs(2),
        ..Default::default()
    };
    let patient = Client::new(ACCOUNT, Auth::api_key("SKkey", "secret"), config).unwrap();
    let started = std::time::Instant::now();
    patient.fetch_queue(QUEUE).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited as asked, not the 1 ms backoff: {:?}",
        started.elapsed()
    );
    assert_eq!(hits(&server).await, 2);

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(20429, 429).insert_header("Retry-After", "3600"))
        .mount(&server)
        .await;
    let err = patient.fetch_queue(QUEUE).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(
        hits(&server).await,
        1,
        "an hour is beyond any wait this client makes: the error comes back at once"
    );
}

#[tokio::test]
async fn retries_429_even_for_dequeue_but_never_500() {
    let server = MockServer::start().await;
    let body = "Url=https%3A%2F%2Fpi.example%2Fon-air&Method=POST";
    Mock::given(method("POST"))
        .and(path(member_path("Front")))
        .and(body_string(body))
        .respond_with(twilio_error(20429, 429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(member_path("Front")))
        .and(body_string(body))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"call_sid": CALL, "position": 1})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let url = "https://pi.example/on-air";
    let m = c
        .dequeue_member(QUEUE, &MemberRef::Front, url, Method::Post)
        .await
        .unwrap();
    assert_eq!(m.call_sid, CALL);
    assert_eq!(hits(&server).await, 2);

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(twilio_error(20500, 500))
        .mount(&server)
        .await;
    let err = c
        .dequeue_member(QUEUE, &MemberRef::Front, url, Method::Post)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(500), Some(20500)));
    assert_eq!(
        hits(&server).await,
        1,
        "a dequeue must not be repeated after a 500"
    );
}

#[tokio::test]
async fn retries_500_for_gets_and_ending_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(20500, 500))
        .mount(&server)
        .await;
    let err = client(&server).fetch_queue(QUEUE).await.unwrap_err();
    assert!(matches!(err, RestError::Api { status: 500, .. }), "{err:?}");
    assert_eq!(hits(&server).await, 1 + RETRIES);

    server.reset().await;
    let call_path = format!("/2010-04-01/Accounts/{ACCOUNT}/Calls/{CALL}.json");
    Mock::given(method("POST"))
        .and(path(call_path.as_str()))
        .and(body_string("Status=completed"))
        .respond_with(ResponseTemplate::new(503).set_body_string("<html>busy</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(call_path.as_str()))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"sid": CALL, "status": "completed"})),
        )
        .mount(&server)
        .await;
    let call = client(&server).end_call(CALL).await.unwrap();
    assert_eq!(call.status, Some(twilio::rest::CallStatus::Completed));
    assert_eq!(hits(&server).await, 2);
}

#[tokio::test]
async fn timeout_is_typed_and_retried_for_gets() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(queue_json(QUEUE))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let err = client_with(&server, Duration::from_millis(200))
        .fetch_queue(QUEUE)
        .await
        .unwrap_err();
    assert!(matches!(err, RestError::Timeout(_)), "{err:?}");
    assert_eq!(hits(&server).await, 1 + RETRIES);
}

#[tokio::test]
async fn malformed_json_and_error_bodies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(queue_path()))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"sid\": "))
        .mount(&server)
        .await;
    let err = client(&server).fetch_queue(QUEUE).await.unwrap_err();
    assert!(
        matches!(err, RestError::Decode { status: 200, .. }),
        "{err:?}"
    );
    assert_eq!(hits(&server).await, 1, "a bad body is not retried");

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(twilio_error(20404, 404))
        .mount(&server)
        .await;
    match client(&server).fetch_call(CALL).await.unwrap_err() {
        RestError::Api { status, error, .. } => {
            assert_eq!(
                (status, error.code, error.status),
                (404, Some(20404), Some(404))
            );
            assert_eq!(error.message, "nope");
            assert_eq!(
                error.more_info.as_deref(),
                Some("https://www.twilio.com/docs/errors/20404")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hits(&server).await, 1, "a 404 is not retried");

    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .mount(&server)
        .await;
    let err = client(&server).fetch_call(CALL).await.unwrap_err();
    assert_eq!(err.code(), None);
    assert!(err.to_string().contains("Unauthorized"), "{err}");
}

#[tokio::test]
async fn follows_next_page_uri_under_a_base_path_prefix() {
    let server = MockServer::start().await;
    let list = format!("/sandbox/2010-04-01/Accounts/{ACCOUNT}/Queues.json");
    let next =
        format!("/2010-04-01/Accounts/{ACCOUNT}/Queues.json?PageSize=2&Page=1&PageToken=PA2");
    Mock::given(method("GET"))
        .and(path(list.as_str()))
        .and(query_param("PageSize", "1000"))
        .and(query_param_is_missing("PageToken"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queues": [queue_json("QU1"), queue_json("QU2")], "next_page_uri": next, "page": 0})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list.as_str()))
        .and(query_param("PageToken", "PA2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queues": [queue_json("QU3")], "next_page_uri": null, "page": 1})))
        .mount(&server)
        .await;
    let c = support::rest_client(
        &format!("{}/sandbox/", server.uri()),
        Auth::auth_token("tok"),
    );
    let queues = c.list_queues().await.unwrap();
    let sids: Vec<_> = queues.iter().map(|q| q.sid.as_str()).collect();
    assert_eq!(sids, ["QU1", "QU2", "QU3"]);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:tok"));
    for request in server.received_requests().await.unwrap() {
        let auth = request
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(
            auth,
            format!("Basic {basic}"),
            "auth-token credentials use the account SID"
        );
    }
}

#[tokio::test]
async fn refuses_next_page_elsewhere_and_loops() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queue_members": [], "next_page_uri": "https://evil.example/steal"})))
        .mount(&server)
        .await;
    let err = client(&server).list_members(QUEUE).await.unwrap_err();
    assert!(matches!(err, RestError::Url(_)), "{err:?}");
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "queue_members": [], "next_page_uri": "/same?Page=1"})))
        .mount(&server)
        .await;
    let err = client(&server).list_members(QUEUE).await.unwrap_err();
    assert!(err.to_string().contains("pagination loops"), "{err}");
    assert_eq!(hits(&server).await, 2);
}
