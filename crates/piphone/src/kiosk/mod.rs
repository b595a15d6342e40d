//! The kiosk, server side: the relay between the command line and the kiosk page, the one-time login links the
//! kiosk process signs its browser in with, and the local control secret.
//!
//! * [`hub`] — the relay: a command from the command line down the kiosk page's SSE stream, its outcome back.
//! * [`messages`] — what the command line and the server exchange (command, outcome, status).
//! * [`login_link`] — one-time login links (minted by `piphone kiosk`, traded for a kiosk session by the server).
//! * [`control`] — the local control secret `piphone call/hangup/…` present, and its check.
//!
//! The command-line side (`piphone kiosk`, its Chromium supervisor, `call/hangup/answer/dtmf/status`) is
//! `cli::kiosk`; the page side is `web/static/kiosk.js`; the routes are `routes/api/kiosk/`.

pub mod control;
pub mod hub;
pub mod login_link;
pub mod messages;

pub use control::ControlSecret;
pub use hub::KioskHub;
