//! The browser's side: the pages, login, and the JSON API behind a session cookie (plus the kiosk's local
//! control API, which the command line reaches with its bearer secret). Who may call what is said by the
//! extractors in [`extract`]. Nothing here imports Twilio's webhooks (`routes::webhooks`), nor they this.

mod admin;
mod audio;
mod calls;
mod console;
mod extract;
mod kiosk;
mod lines;
mod login;
mod numbers;
mod pages;
mod sandbox_panel;
mod screener;
mod token;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The browser's routes (and the kiosk's control API), without layers.
pub fn router() -> Router<AppState> {
    Router::new()
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
        .route("/api/lines", get(lines::lines))
        .route("/api/lines/next", post(lines::next))
        .route("/api/lines/{n}", post(lines::press))
        .route("/api/lines/{n}/take", post(lines::take))
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
        .route("/api/sandbox/setup", get(sandbox_panel::setup))
}
