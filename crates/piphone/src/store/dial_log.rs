//! The dial log: every outgoing call asked for, dialled or refused. The toll-fraud limits count from it and
//! admins read the refusals.

use serde::Serialize;

use super::{Store, StoreError, now_unix};

/// Dialled calls with no recorded end are counted as live for at most this long (a lost callback must not
/// lock a user out forever).
pub const STALE_LIVE_SECS: i64 = 4 * 3600;

/// A refused call, for the admin page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Refusal {
    pub at: i64,
    pub username: String,
    pub number: String,
    pub reason: String,
}

impl Store {
    pub async fn log_dialled(
        &self,
        username: &str,
        number: &str,
        call_sid: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO dial_log (at, username, number, outcome, call_sid) VALUES (?, ?, ?, 'dialled', ?)")
            .bind(now_unix())
            .bind(username)
            .bind(number)
            .bind(call_sid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn log_refused(
        &self,
        username: &str,
        number: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO dial_log (at, username, number, outcome, reason) VALUES (?, ?, ?, 'refused', ?)")
            .bind(now_unix())
            .bind(username)
            .bind(number)
            .bind(reason)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the dialled call with this CallSid as ended.
    pub async fn log_ended(&self, call_sid: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL")
            .bind(now_unix())
            .bind(call_sid)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// (calls dialled in the last 24 hours, calls live now) for a user.
    pub async fn dial_counts(&self, username: &str) -> Result<(i64, i64), StoreError> {
        let now = now_unix();
        let (day, live): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(ended_at IS NULL AND at > ?), 0) FROM dial_log \
             WHERE username = ? AND outcome = 'dialled' AND at > ?",
        )
        .bind(now - STALE_LIVE_SECS)
        .bind(username)
        .bind(now - 86_400)
        .fetch_one(&self.pool)
        .await?;
        Ok((day, live))
    }

    /// The most recent refusals, newest first.
    pub async fn recent_refusals(&self, limit: i64) -> Result<Vec<Refusal>, StoreError> {
        let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT at, username, number, reason FROM dial_log WHERE outcome = 'refused' ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, username, number, reason)| Refusal {
                at,
                username,
                number,
                reason: reason.unwrap_or_default(),
            })
            .collect())
    }
}
