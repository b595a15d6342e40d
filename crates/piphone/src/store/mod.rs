//! Persistent state: users, sessions, the ban list, the dial log, the call log and screeners' notes, login links,
//! audio preferences.
//!
//! SQLite by default (WAL, `synchronous=FULL`, `busy_timeout`, created if missing); migrations are compiled into
//! the binary and run at start-up. Every write is committed before the caller is answered, so a killed process
//! loses nothing it acknowledged. The per-call writes (dial log, call log) go through one writer that commits
//! together what arrives together ([`writer`]); the hot reads (sessions, users, toll-fraud counts) are served
//! from memory ([`cache`], [`ledger`]).

mod audio;
mod bans;
mod cache;
mod call_log;
mod dial_log;
mod kiosk;
mod ledger;
mod sqlite;
mod users;
mod writer;

pub use audio::{AudioDevice, AudioPrefs};
pub use bans::Ban;
pub use call_log::{CallEntry, CallFilter, CallKind, History, NewCall, StoredNotes};
pub use dial_log::Refusal;
pub use kiosk::{KioskOptions, LinkCheck};
pub use ledger::DialVerdict;
pub use sqlite::connect;
pub use users::{NewUser, User};

/// A store failure. Callers map it to a 500 without showing it to the user; the log gets the cause.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database write failed: {0}")]
    Write(String),
}

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: sqlx::SqlitePool,
    /// Recently read users and sessions.
    cache: std::sync::Arc<cache::ReadCache>,
    /// The one writer of the dial log and the call log, and the toll-fraud counters it keeps.
    writer: writer::Writer,
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
