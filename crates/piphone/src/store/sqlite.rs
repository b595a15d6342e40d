//! Opening the SQLite database and running the embedded migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlSafeStr};

use super::{Store, StoreError};

fn migrator() -> Migrator {
    let m = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        m(
            1,
            "users and sessions",
            include_str!("../../migrations/sqlite/0001_users_sessions.sql"),
        ),
        m(
            2,
            "bans",
            include_str!("../../migrations/sqlite/0002_bans.sql"),
        ),
        m(
            3,
            "dial log",
            include_str!("../../migrations/sqlite/0003_dial_log.sql"),
        ),
        m(
            4,
            "call log and notes",
            include_str!("../../migrations/sqlite/0004_call_log.sql"),
        ),
        m(
            8,
            "login links",
            include_str!("../../migrations/sqlite/0008_login_links.sql"),
        ),
        m(
            9,
            "audio preferences",
            include_str!("../../migrations/sqlite/0009_audio_prefs.sql"),
        ),
    ])
}

/// Opens (creating if missing) the database at `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Store, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options.clone())
        .await?;
    migrator().run(&pool).await?;
    // The writer's own connection (dial log, call log). `synchronous=NORMAL` (WAL): a commit is in the WAL file,
    // safe from a killed process, when the caller is answered, and reaches the disk at the next checkpoint or
    // full commit. An fsync per call would bound /voice by the disk (docs/BENCHMARKS.md); a power cut can lose
    // the last moments of these logs, never the database.
    let writer = options
        .synchronous(SqliteSynchronous::Normal)
        .connect()
        .await?;
    Ok(Store {
        writer: super::writer::Writer::spawn(writer),
        cache: Default::default(),
        pool,
    })
}
