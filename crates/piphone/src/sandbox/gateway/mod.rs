//! The signaling gateway: `GET /signal`, the WebSocket the Voice SDK opens when its `chunderw`
//! option points here. PStream 1.6 JSON frames `{"type","version":"1.6","payload"}`; see
//! `@twilio/voice-sdk` `lib/twilio/pstream.ts`, `device.ts` and `call.ts` for the client side.

mod session;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use serde_json::{Value, json};

use super::Sandbox;

/// The PStream protocol version the SDK speaks.
pub const VERSION: &str = "1.6";

/// Error codes the SDK maps to `AccessTokenInvalid` (20101) and `AccessTokenExpired` (20104).
pub const TOKEN_INVALID: u32 = 31204;
pub const TOKEN_EXPIRED: u32 = 31205;

/// One PStream frame as sent on the wire.
pub fn frame(kind: &str, payload: Value) -> String {
    json!({ "type": kind, "version": VERSION, "payload": payload }).to_string()
}

pub async fn signal(State(sandbox): State<Sandbox>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session::run(sandbox.engine, socket))
}
