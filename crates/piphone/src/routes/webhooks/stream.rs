//! `GET /voice/stream`: the WebSocket Twilio opens for `<Connect><Stream>`. The upgrade is refused (403, nothing
//! read) unless it carries a valid `X-Twilio-Signature` for the stream URL built from `PIPHONE_PUBLIC_URL`
//! (`https` → `wss`, path and query as received, no parameters: what Twilio signs, see twilio-facts.md). The
//! socket then belongs to [`crate::media::streams::StreamHub::serve`], which checks the `start` message.
//!
//! The signature covers the URL alone, so it is the same for every stream of the account and can be replayed:
//! it keeps strangers from opening sockets at all, and the per-call secret in `start` is what admits a stream.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use twilio::signature::{RequestValidator, SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER};

use crate::media::streams::{MAX_MESSAGE, ws_url};
use crate::state::AppState;

pub async fn media_stream(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = ws_url(
        &state.public_url,
        uri.path_and_query().map_or("/", |pq| pq.as_str()),
    );
    let valid = header(SIGNATURE_HEADER).is_some_and(|signature| {
        RequestValidator::new(state.twilio.auth_token.expose()).validate(
            &signed,
            &[],
            signature,
            header(SIGNATURE_SETTINGS_HEADER),
        )
    });
    if !valid {
        tracing::warn!("media stream upgrade refused: invalid or missing Twilio signature");
        return (StatusCode::FORBIDDEN, "invalid or missing Twilio signature").into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let hub = state.streams.clone();
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move { hub.serve(socket).await })
}
