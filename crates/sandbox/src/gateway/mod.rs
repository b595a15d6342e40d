//! The signaling gateway: `GET /signal`, the WebSocket the Voice SDK opens when its `chunderw`
//! option points here. PStream 1.6 JSON frames `{"type","version":"1.6","payload"}`; see
//! `@twilio/voice-sdk` `lib/twilio/pstream.ts`, `device.ts` and `call.ts` for the client side.

mod session;

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;

use super::Sandbox;

/// With the `webrtc` feature, the browser's media goes to a socket on the local IP its signaling connection
/// reached (the peer address comes from piphone's server; a server that records none, like the tests'
/// `axum::serve`, means loopback).
pub async fn signal(
    State(sandbox): State<Sandbox>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    ws: WebSocketUpgrade,
) -> Response {
    let peer = peer.map(|p| p.0.0.ip());
    ws.on_upgrade(move |socket| session::run(sandbox, peer, socket))
}
