//! The dial log: every outgoing call asked for, dialled or refused. The toll-fraud limits count from it and
//! admins read the refusals.

use serde::Serialize;

use super::writer::{DialAttempt, Op};
use super::{DialVerdict, Store, StoreError, now_unix};

/// A refused call, for the admin page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Refusal {
    pub at: i64,
    pub username: String,
    pub number: String,
    pub reason: String,
}

impl Store {
    /// Checks the user's limits and, if they allow it, records the call as dialled — atomically per user: the
    /// writer decides each attempt after the ones before it, so a burst of simultaneous calls cannot all pass the
    /// check before any is recorded, and the calls let through are still written together.
    pub async fn try_dial(
        &self,
        username: &str,
        number: &str,
        call_sid: &str,
        max_per_day: i64,
        max_live: i64,
    ) -> Result<DialVerdict, StoreError> {
        self.writer
            .try_dial(DialAttempt {
                username: username.to_owned(),
                number: number.to_owned(),
                call_sid: call_sid.to_owned(),
                at: now_unix(),
                max_per_day,
                max_live,
            })
            .await
    }

    /// Records a call about to be dialled; returns once it is durable (committed with others queued alongside).
    pub async fn log_dialled(
        &self,
        username: &str,
        number: &str,
        call_sid: &str,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(Op::Dialled {
                username: username.to_owned(),
                number: number.to_owned(),
                call_sid: call_sid.to_owned(),
                at: now_unix(),
                counted: None,
            })
            .await
            .map(drop)
    }

    pub async fn log_refused(
        &self,
        username: &str,
        number: &str,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.writer
            .submit(Op::Refused {
                username: username.to_owned(),
                number: number.to_owned(),
                reason: reason.to_owned(),
                at: now_unix(),
            })
            .await
            .map(drop)
    }

    /// Marks the dialled call with this CallSid as ended.
    pub async fn log_ended(&self, call_sid: &str) -> Result<(), StoreError> {
        self.writer
            .submit(Op::Ended {
                call_sid: call_sid.to_owned(),
                at: now_unix(),
            })
            .await
            .map(drop)
    }

    /// (calls dialled in the last 24 hours, calls live now) for a user, from the in-memory ledger (loaded from
    /// the table on a user's first call).
    pub async fn dial_counts(&self, username: &str) -> Result<(i64, i64), StoreError> {
        if let Some(counts) = self.writer.ledger().counts(username, now_unix()) {
            return Ok(counts);
        }
        self.writer
            .submit(Op::Load {
                username: username.to_owned(),
            })
            .await?;
        self.writer
            .ledger()
            .counts(username, now_unix())
            .ok_or_else(|| StoreError::Write("dial counts did not load".into()))
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
