//! The router: every route piphone serves, and the layers around them. Routes are split by who calls them:
//! [`webhooks`] (Twilio, signed requests, answered with TwiML) and `api` (the browser, with a session cookie:
//! pages, login, JSON). The two never import each other; what both need lives here or below.

mod api;
mod health;
mod middleware;
mod webhooks;

use axum::Router;
use axum::routing::get;
use std::time::Duration;

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use middleware::header;

/// Routes anyone may call without a session. Everything else answers 401 (JSON) or redirects to /login
/// (pages); Twilio's webhooks are refused without a valid signature. The route-inventory test checks this list.
pub const PUBLIC_ROUTES: &[&str] = &["/healthz", "/login", "/login/kiosk", "/static/{*path}"];

/// Twilio's webhooks: public, but only with a valid `X-Twilio-Signature`.
pub const WEBHOOK_ROUTES: &[&str] = &[
    "/voice",
    "/voice/incoming",
    "/voice/wait",
    "/voice/left",
    "/voice/next",
    "/voice/on-air",
    "/voice/dial-ended",
    "/voice/ring-ended",
    "/voice/screen",
    "/voice/screen-ended",
    "/voice/screened",
    "/voice/picked",
    "/voice/line",
    "/voice/stream",
];

/// Longest a webhook request (headers, body and answer) may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The app's own routes (the sandbox, when on, is merged in by the caller).
pub fn router(state: AppState) -> Router {
    let app = api::router()
        .route("/healthz", get(health::healthz))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::same_origin_posts,
        ));

    with_layers(
        Router::new()
            .merge(app)
            .merge(webhooks::router())
            .merge(crate::assets::static_routes()),
        state,
    )
}

/// The layers every route gets, outermost first: request tracing, security headers (on every answer, the 500
/// of a panic and the 413 of an oversized body included), panic isolation (a panicking handler becomes a 500;
/// the server keeps serving) and a body size limit. One layer stack, so one boxed service per route rather
/// than one per layer. Public so tests can wrap their own routes in exactly the production stack.
pub fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .layer(
            tower::ServiceBuilder::new()
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(SetResponseHeaderLayer::overriding(
                    http::header::CONTENT_SECURITY_POLICY,
                    middleware::content_security_policy(
                        state
                            .sandbox
                            .as_ref()
                            .and_then(|link| link.signal_host())
                            .as_deref(),
                    ),
                ))
                .layer(header(http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(header(http::header::X_FRAME_OPTIONS, "DENY"))
                .layer(header(http::header::REFERRER_POLICY, "no-referrer"))
                .layer(header(
                    http::HeaderName::from_static("permissions-policy"),
                    middleware::PERMISSIONS_POLICY,
                ))
                .option_layer(
                    state.tls.then(|| {
                        header(http::header::STRICT_TRANSPORT_SECURITY, "max-age=31536000")
                    }),
                )
                .layer(CatchPanicLayer::custom(middleware::panic_response))
                .layer(RequestBodyLimitLayer::new(256 * 1024)),
        )
        .with_state(state)
}

/// The span of one request: method, matched route and path, never the query string (one-time login tokens and
/// other credentials may travel there).
fn request_span<B>(req: &http::Request<B>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("-", |m| m.as_str());
    tracing::info_span!(
        "request",
        method = req.method().as_str(),
        route,
        path = req.uri().path(),
    )
}
