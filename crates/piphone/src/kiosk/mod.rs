//! The kiosk: a headless Chromium on the same machine holding the phone page, driven from the command line.
//!
//! * [`supervisor`] — `piphone kiosk`: signs Chromium in with a one-time [`login_link`], restarts it when it dies.
//! * [`settings`] — `PIPHONE_KIOSK_*`.
//!
//! The page side is `web/static/kiosk.js`; the server side is `routes/kiosk.rs`.

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
