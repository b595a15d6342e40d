//! The signaling gateway: `GET /signal`, the WebSocket the Voice SDK opens when its `chunderw`
//! option points here. PStream 1.6 JSON frames `{"type","version":"1.6","payload"}`; see
//! `@twilio/voice-sdk` `lib/twilio/pstream.ts`, `device.ts` and `call.ts` for the client side.

mod session;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;

use super::Sandbox;

pub async fn signal(State(sandbox): State<Sandbox>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session::run(sandbox.engine, socket))
}
