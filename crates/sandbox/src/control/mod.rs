//! The control API: what tests, `piphone sandbox call-in` and the panel use to play the outside
//! world (listeners calling in, phones answering, parties hanging up or pressing keys).
//! HTTP Basic auth with the sandbox `account_sid:auth_token`; JSON in and out.
//!
//! | Route | Body | Answer |
//! |---|---|---|
//! | `POST /sandbox/call-in` | `{"from":"+15551230001","count":1,"voice":{"tone_hz":440},"wait":false}` (voice: or `{"speech":"…"}`, or `{"echo":true}`: says back what it hears, one 20 ms tick later) | `{"calls":[{"call_sid","from"}]}`; with `"wait":true` each call also has `webhook` (its first webhook's `url`, `delivered_to`, `status` or `error`, see [`crate::PlacedCall`]) once known, waiting up to 16 s |
//! | `GET /sandbox/setup` | | the setup resources, see [`crate::Sandbox::setup`] |
//! | `GET /sandbox/calls` | | `{"calls":[CallView…]}` |
//! | `GET /sandbox/calls/{sid}` | | `CallView {call_sid, direction, from, to, status, parent_call_sid, queue, bridged_with, events, audio}` |
//! | `GET /sandbox/calls/{sid}/heard.wav` | | the last 30 s the party heard (8 kHz mono 16-bit WAV) |
//! | `POST /sandbox/calls/{sid}/hangup` | | the simulated party hangs up |
//! | `POST /sandbox/calls/{sid}/digits` | `{"digits":"1","inband":false}` | the party presses keys (`inband`: plays their tones) |
//! | `POST /sandbox/phones` | `{"number","behaviour":"answer|busy|no-answer|failed","ring_ms":800,"voice":{…}}` | how a dialled number behaves |
//!
//! `audio` is `{"heard": {"packets", "dominant_hz", "level_dbfs"}, "sent": {…}}` over the last second.

use std::time::Instant;

use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::Sandbox;
use super::auth::{Caller, caller};
use super::delivery::{FIRST_WEBHOOK_WAIT, PlacedCall, first_webhook};
use super::engine::{Behaviour, Party, Phone, Signal};
use super::media::Voice;

pub fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/call-in", post(call_in))
        .route("/sandbox/calls", get(list_calls))
        .route("/sandbox/calls/{sid}", get(fetch_call))
        .route("/sandbox/calls/{sid}/heard.wav", get(heard_wav))
        .route("/sandbox/calls/{sid}/hangup", post(hang_up))
        .route("/sandbox/calls/{sid}/digits", post(press_digits))
        .route("/sandbox/phones", post(set_phone))
        .route("/sandbox/setup", get(setup))
}

/// Requires the sandbox account's Basic credentials.
pub struct ControlAuth;

impl FromRequestParts<Sandbox> for ControlAuth {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        sandbox: &Sandbox,
    ) -> Result<Self, Self::Rejection> {
        if caller(&parts.headers, &sandbox.engine.creds, |_| None) == Some(Caller::Account) {
            Ok(ControlAuth)
        } else {
            Err((
                [(header::WWW_AUTHENTICATE, "Basic realm=\"piphone sandbox\"")],
                refusal(StatusCode::UNAUTHORIZED, "unauthorized"),
            )
                .into_response())
        }
    }
}

/// The control API's error answer: `{"error": message}` with `status`.
fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn not_found() -> Response {
    refusal(StatusCode::NOT_FOUND, "no such call")
}

/// A JSON request body whose refusals (broken JSON, wrong shape, wrong content type, too large) answer in the
/// control API's error shape, with the status axum gives them (400, 422, 415, 413).
struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(refusal(rejection.status(), rejection.body_text())),
        }
    }
}

#[derive(Deserialize)]
struct CallIn {
    from: String,
    #[serde(default = "one")]
    count: u32,
    voice: Option<Voice>,
    /// Wait for each call's first webhook and report its outcome.
    #[serde(default)]
    wait: bool,
}

fn one() -> u32 {
    1
}

/// `+15551230001` with `n` added to its digits (`+15551230003` for n = 2).
pub fn nth_number(from: &str, n: u32) -> String {
    let digits = from.trim_start_matches('+');
    match digits.parse::<u64>() {
        Ok(v) if !digits.is_empty() => format!(
            "{}{:0width$}",
            if from.starts_with('+') { "+" } else { "" },
            v + u64::from(n),
            width = digits.len()
        ),
        _ if n == 0 => from.to_owned(),
        _ => format!("{from}-{n}"),
    }
}

async fn call_in(_: ControlAuth, State(sb): State<Sandbox>, Body(req): Body<CallIn>) -> Response {
    if req.count == 0 || req.count > 100 {
        return refusal(StatusCode::BAD_REQUEST, "count must be 1..=100");
    }
    if let Some(Err(e)) = req.voice.as_ref().map(Voice::check) {
        return refusal(StatusCode::BAD_REQUEST, e);
    }
    let mut calls: Vec<PlacedCall> = sb
        .call_in_with_voice(&req.from, req.count, req.voice.as_ref())
        .into_iter()
        .enumerate()
        .map(|(i, call_sid)| PlacedCall {
            call_sid,
            from: nth_number(&req.from, i as u32),
            webhook: None,
        })
        .collect();
    if req.wait {
        let deadline = Instant::now() + FIRST_WEBHOOK_WAIT;
        for call in &mut calls {
            call.webhook = first_webhook(&sb.engine, &call.call_sid, deadline).await;
        }
    }
    Json(json!({ "calls": calls })).into_response()
}

async fn setup(_: ControlAuth, State(sb): State<Sandbox>) -> Json<Value> {
    Json(sb.setup())
}

async fn list_calls(_: ControlAuth, State(sb): State<Sandbox>) -> Json<Value> {
    let st = sb.engine.state();
    let calls: Vec<Value> = st
        .order
        .iter()
        .filter_map(|sid| st.calls.get(sid))
        .map(|c| c.view())
        .collect();
    Json(json!({ "calls": calls }))
}

async fn fetch_call(
    _: ControlAuth,
    State(sb): State<Sandbox>,
    Path(sid): Path<String>,
) -> Response {
    let Some(mut view) = sb.engine.state().calls.get(&sid).map(|c| c.view()) else {
        return not_found();
    };
    view["audio"] = sb.engine.media.view(&sid).unwrap_or(Value::Null);
    Json(view).into_response()
}

async fn heard_wav(_: ControlAuth, State(sb): State<Sandbox>, Path(sid): Path<String>) -> Response {
    match sb.engine.media.heard_wav(&sid) {
        Some(wav) => ([(header::CONTENT_TYPE, "audio/wav")], wav).into_response(),
        None => not_found(),
    }
}

async fn hang_up(_: ControlAuth, State(sb): State<Sandbox>, Path(sid): Path<String>) -> Response {
    let by = match sb.engine.state().calls.get(&sid) {
        None => return not_found(),
        Some(c) if matches!(c.party, Party::Phone) => "callee",
        Some(c) if matches!(c.party, Party::Browser { .. }) => "client",
        Some(_) => "caller",
    };
    let delivered = sb.engine.signal(&sid, Signal::Hangup { by: by.into() });
    Json(json!({ "call_sid": sid, "delivered": delivered })).into_response()
}

#[derive(Deserialize)]
struct Digits {
    digits: String,
    /// Play the keys' tones in what the party says instead of pressing them out of band.
    #[serde(default)]
    inband: bool,
}

async fn press_digits(
    _: ControlAuth,
    State(sb): State<Sandbox>,
    Path(sid): Path<String>,
    Body(req): Body<Digits>,
) -> Response {
    if !sb.engine.state().calls.contains_key(&sid) {
        return not_found();
    }
    if req.inband {
        return match sb.engine.media.press_inband(&sid, &req.digits) {
            Ok(()) => Json(json!({ "call_sid": sid, "delivered": true })).into_response(),
            Err(e) => refusal(StatusCode::BAD_REQUEST, e),
        };
    }
    let signal = Signal::Digits {
        digits: req.digits,
        inband: false,
    };
    let delivered = sb.engine.signal(&sid, signal);
    Json(json!({ "call_sid": sid, "delivered": delivered })).into_response()
}

#[derive(Deserialize)]
struct PhoneReq {
    number: String,
    #[serde(default = "answer")]
    behaviour: Behaviour,
    ring_ms: Option<u64>,
    voice: Option<Voice>,
}

fn answer() -> Behaviour {
    Behaviour::Answer
}

async fn set_phone(
    _: ControlAuth,
    State(sb): State<Sandbox>,
    Body(req): Body<PhoneReq>,
) -> Response {
    if let Some(Err(e)) = req.voice.as_ref().map(Voice::check) {
        return refusal(StatusCode::BAD_REQUEST, e);
    }
    let ring_ms = req.ring_ms.unwrap_or(super::engine::DEFAULT_RING_MS);
    let answer = json!({ "number": req.number, "behaviour": req.behaviour, "ring_ms": ring_ms, "voice": req.voice });
    sb.engine.state().phones.insert(
        req.number,
        Phone {
            behaviour: req.behaviour,
            ring_ms,
            voice: req.voice,
        },
    );
    Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn consecutive_numbers() {
        assert_eq!(super::nth_number("+15551230001", 0), "+15551230001");
        assert_eq!(super::nth_number("+15551230009", 2), "+15551230011");
    }
}
