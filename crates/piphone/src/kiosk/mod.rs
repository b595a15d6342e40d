//! The kiosk: a headless Chromium on the same machine holding the phone page, driven from the command line.
//!
//! * [`supervisor`] — `piphone kiosk`: signs Chromium ([`browser`]) in with a one-time [`login_link`], pins the
//!   server's key for it ([`pin`]), restarts it when it dies or its page goes missing.
//! * [`hub`] — the server's relay: a command from the command line down the kiosk page's SSE stream, its outcome back.
//! * [`cli`] — `piphone call/hangup/answer/dtmf/status` (and `kiosk`), through [`client`]: the local server with its
//!   certificate pinned and the [`control`] secret.
//! * [`settings`] — `PIPHONE_KIOSK_*`.
//!
//! The page side is `web/static/kiosk.js`; the routes are `routes/api/kiosk/`.

pub mod browser;
pub mod cli;
pub mod client;
pub mod control;
pub mod hub;
pub mod login_link;
pub mod pin;
pub mod settings;
pub mod supervisor;

pub use control::ControlSecret;
pub use hub::KioskHub;
pub use settings::KioskSettings;
