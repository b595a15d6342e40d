//! The router: every route piphone serves, grouped by resource, and the layers around them.

mod admin;
mod audio;
mod callin;
mod calls;
mod console;
mod health;
mod kiosk;
mod login;
mod middleware;
mod numbers;
mod pages;
mod sandbox_panel;
mod screener;
mod screening;
mod token;
pub mod voice;

use axum::Router;
use axum::routing::{get, post};
use std::time::Duration;

use http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
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
];

/// Longest a webhook request (headers, body and answer) may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The app's own routes (the sandbox, when on, is merged in by the caller).
pub fn router(state: AppState) -> Router {
    let webhooks = Router::new()
        .route("/voice", post(voice::dial_twiml))
        .route("/voice/incoming", post(callin::station_call))
        .route("/voice/wait", post(callin::hold))
        .route("/voice/left", post(callin::left_queue))
        .route("/voice/next", post(callin::next_caller))
        .route("/voice/on-air", post(callin::on_air))
        .route("/voice/dial-ended", post(voice::dial_ended))
        .route("/voice/ring-ended", post(voice::ring_ended))
        .route("/voice/screen", post(screening::ring_screener))
        .route("/voice/screen-ended", post(screening::screen_ended))
        .route("/voice/screened", post(screening::enqueue_screened))
        .route("/voice/picked", post(screening::enqueue_picked))
        // Twilio waits 15 s for TwiML; a request still incomplete after WEBHOOK_TIMEOUT is a stalled or hostile
        // client, not Twilio. (Only here: SSE and WebSocket routes must not time out.)
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            WEBHOOK_TIMEOUT,
        ));

    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/login", get(login::login_page).post(login::login))
        .route("/logout", post(login::logout))
        .route("/login/kiosk", get(kiosk::login_with_link))
        .route("/api/kiosk/commands", get(kiosk::command_stream))
        .route("/api/kiosk/results", post(kiosk::command_result))
        .route("/api/kiosk/state", post(kiosk::page_state))
        .route("/api/kiosk/command", post(kiosk::relay_command))
        .route("/api/kiosk/status", get(kiosk::kiosk_status))
        .route("/", get(pages::phone))
        .route("/api/me", get(pages::me))
        .route(
            "/api/me/audio",
            get(audio::audio_prefs).put(audio::set_audio_prefs),
        )
        .route("/settings", get(audio::settings_page))
        .route("/api/check-number", get(numbers::check_number))
        .route("/token", get(token::token))
        .route("/console", get(console::console_page))
        .route("/queue-status", get(console::queue_status))
        .route("/events", get(console::events))
        .route("/api/callin/hangup", post(console::hangup_caller))
        .route("/api/callin/take", post(console::take_caller))
        .route("/api/callin/screen", post(screener::screen))
        .route("/api/callin/notes", post(screener::save_notes))
        .route("/api/callin/ready", post(screener::ready))
        .route("/api/callin/drop", post(screener::drop_caller))
        .route("/api/callin/ban", post(screener::ban_caller))
        .route("/api/callin/messages", post(screener::send_message))
        .route("/calls", get(calls::calls_page))
        .route("/calls.csv", get(calls::calls_csv))
        .route("/api/calls", get(calls::list_calls))
        .route("/api/callers/{number}", get(calls::caller_history))
        .route("/admin", get(admin::admin_page))
        .route(
            "/api/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/admin/users/{name}", post(admin::update_user))
        .route("/api/admin/refusals", get(admin::refusals))
        .route("/api/sandbox/call-in", post(sandbox_panel::call_in))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::same_origin_posts,
        ));

    with_layers(
        Router::new()
            .merge(app)
            .merge(webhooks)
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
