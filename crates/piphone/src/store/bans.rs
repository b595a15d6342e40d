//! The ban list: numbers whose calls to the station are rejected unanswered.

use super::{Store, StoreError, now_unix};
use crate::domain::PhoneNumber;

/// A banned number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// E.164.
    pub number: String,
    pub reason: Option<String>,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
}

impl Store {
    /// Bans `number`; banning it again replaces the reason. Returns whether it was new.
    pub async fn add_ban(
        &self,
        number: &PhoneNumber,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let existed = self.is_banned(number.e164()).await?;
        sqlx::query(
            "INSERT INTO bans (number, reason, created_at) VALUES (?, ?, ?) \
             ON CONFLICT(number) DO UPDATE SET reason = excluded.reason",
        )
        .bind(number.e164())
        .bind(reason)
        .bind(now_unix())
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    /// Lifts a ban; returns whether there was one.
    pub async fn remove_ban(&self, number: &PhoneNumber) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM bans WHERE number = ?")
            .bind(number.e164())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether `e164` (exactly as stored: E.164) is banned.
    pub async fn is_banned(&self, e164: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM bans WHERE number = ?")
            .bind(e164)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    pub async fn list_bans(&self) -> Result<Vec<Ban>, StoreError> {
        let rows: Vec<(String, Option<String>, i64)> =
            sqlx::query_as("SELECT number, reason, created_at FROM bans ORDER BY number")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(number, reason, created_at)| Ban {
                number,
                reason,
                created_at,
            })
            .collect())
    }
}
