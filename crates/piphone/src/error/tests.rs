use std::sync::{Arc, Mutex};

use axum::response::IntoResponse;
use twilio::rest::RestError;

use super::*;

/// Log lines written by a test's own subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn a_5xx_logs_the_whole_cause_chain_and_answers_nothing_internal() {
    let internal = "https://api.twilio.example/2010-04-01/Accounts/AC123";
    let error = AppError::Upstream(RestError::Url(format!("{internal}: bad next page")));
    assert!(
        std::error::Error::source(&error).is_some(),
        "the REST error is kept as the source"
    );

    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_ansi(false)
        .finish();
    let response = tracing::subscriber::with_default(subscriber, || error.into_response());

    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let body = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(
        body, r#"{"error":"Twilio could not be reached; try again"}"#,
        "the body says nothing internal"
    );
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains(&format!(
            "Twilio request failed: invalid URL: {internal}: bad next page"
        )),
        "the log line carries the cause chain: {log}"
    );
}

#[test]
fn the_cause_chain_names_every_source() {
    let error = AppError::Upstream(RestError::Url("no host".into()));
    assert_eq!(
        CauseChain(&error).to_string(),
        "Twilio request failed: invalid URL: no host"
    );
    assert_eq!(CauseChain(&AppError::NotFound).to_string(), "not found");
}
