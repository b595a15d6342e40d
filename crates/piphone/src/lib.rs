//! piphone: a self-hosted browser phone and radio call-in console on Twilio Programmable Voice.
//!
//! `main.rs` only parses the command line; everything else lives here so tests can build the app on port 0.
//! See `ARCHITECTURE.md` at the repository root for the map.

pub mod assets;
pub mod auth;
pub mod call_log;
pub mod callin;
pub mod cli;
pub mod domain;
pub mod error;
pub mod fsutil;
pub mod hybrid;
pub mod kiosk;
pub mod media;
pub mod routes;
pub mod server;
pub mod settings;
pub mod sounds;
pub mod startup;
pub mod state;
pub mod store;
pub mod tls;

pub use settings::Settings;
pub use startup::Application;
pub use state::AppState;
