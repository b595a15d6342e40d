//! Layers: security headers on every response, same-origin checks on state-changing requests, panics → 500.

use std::any::Any;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// No inline script or style anywhere; the Voice SDK talks to Twilio's hosts in real mode.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     media-src 'self' blob: data:; connect-src 'self' wss://*.twilio.com https://*.twilio.com; \
     worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/// The `Content-Security-Policy` value: [`CSP`], plus the signaling gateway of a sandbox running as its own
/// process (`signal_host`, see `SandboxLink::signal_host`) in `connect-src`, where the page's Voice SDK opens
/// `wss://<host:port>/signal`.
pub fn content_security_policy(signal_host: Option<&str>) -> HeaderValue {
    signal_host
        .and_then(|host| {
            let connect = format!("connect-src 'self' wss://{host}");
            HeaderValue::from_str(&CSP.replacen("connect-src 'self'", &connect, 1)).ok()
        })
        .unwrap_or(HeaderValue::from_static(CSP))
}

/// Permissions: the microphone for this origin only, nothing else.
pub const PERMISSIONS_POLICY: &str = "microphone=(self), camera=(), geolocation=()";

/// A layer setting one fixed response header (replacing any the handler set): no per-request allocation.
pub fn header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

/// Refuses cross-site state-changing requests: `Sec-Fetch-Site` must be same-origin or none (typed URL, CLI),
/// else `Origin` must be the public URL's or the request's own host.
pub async fn same_origin_posts(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match fetch_site {
        Some("same-origin") | Some("none") => true,
        Some(_) => false,
        None => match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true, // not a browser: no ambient cookies to abuse beyond what the client holds itself
            Some(origin) => origin_matches(origin, &state, headers.get(header::HOST)),
        },
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        (StatusCode::FORBIDDEN, "cross-site requests are not allowed").into_response()
    }
}

fn origin_matches(origin: &str, state: &AppState, host: Option<&HeaderValue>) -> bool {
    let Ok(origin) = url::Url::parse(origin) else {
        return false;
    };
    let origin_host = origin.host_str().map(|h| match origin.port() {
        Some(p) => format!("{h}:{p}"),
        None => h.to_owned(),
    });
    let public = state
        .public_url
        .host_str()
        .map(|h| match state.public_url.port() {
            Some(p) => format!("{h}:{p}"),
            None => h.to_owned(),
        });
    let own = host.and_then(|h| h.to_str().ok()).map(str::to_owned);
    origin_host.is_some() && (origin_host == public || origin_host == own)
}

/// A panic in one handler becomes a 500 and a log line; the server keeps serving.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(serde_json::json!({"error": "internal error"})),
    )
        .into_response()
}
