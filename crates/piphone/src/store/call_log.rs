//! The call log (every call, with times, outcome and who handled it) and the screeners' notes on each call.
//! A caller's history is read from both: past calls, notes, times on the air, last call.
//!
//! Writes are keyed by CallSid and safe to repeat: Twilio may retry a webhook, and a call's end may be told
//! twice (the server ended it, then Twilio's action arrives). The first end wins.
//!
//! The per-call writes are queued to the store's writer and not waited for (a slow disk must not hold up the
//! answer to Twilio; a failure is logged there); the writer commits them in order, and every read here first
//! waits for what is queued, so a reader always sees the calls recorded before it asked.

use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::writer::Write;
use super::{Store, StoreError, now_unix};
use crate::domain::{CallerNotes, Priority};

/// Which way a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallKind {
    /// A listener phoning the station, into the call-in queue.
    Queue,
    /// A call to the station that rang browsers (`PIPHONE_INCOMING_MODE=ring`).
    Incoming,
    /// A browser phone dialling out.
    Outgoing,
}

impl CallKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallKind::Queue => "queue",
            CallKind::Incoming => "incoming",
            CallKind::Outgoing => "outgoing",
        }
    }

    pub fn parse(s: &str) -> Option<CallKind> {
        match s {
            "queue" => Some(CallKind::Queue),
            "incoming" => Some(CallKind::Incoming),
            "outgoing" => Some(CallKind::Outgoing),
            _ => None,
        }
    }
}

/// A new call for the log.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub call_sid: &'a str,
    pub kind: CallKind,
    pub number: &'a str,
    /// Seconds since the Unix epoch.
    pub at: i64,
    pub outcome: &'a str,
    pub detail: Option<&'a str>,
    pub username: Option<&'a str>,
    /// Over as soon as it began (refused, banned, lines full): `ended_at = at`.
    pub ended: bool,
}

impl<'a> NewCall<'a> {
    /// A call starting now.
    pub fn now(call_sid: &'a str, kind: CallKind, number: &'a str, outcome: &'a str) -> Self {
        NewCall {
            call_sid,
            kind,
            number,
            at: now_unix(),
            outcome,
            detail: None,
            username: None,
            ended: false,
        }
    }

    pub fn detail(mut self, detail: &'a str) -> Self {
        self.detail = Some(detail);
        self
    }

    pub fn username(mut self, username: &'a str) -> Self {
        self.username = Some(username);
        self
    }

    /// Over as soon as it began.
    pub fn ended(mut self) -> Self {
        self.ended = true;
        self
    }
}

/// Notes as stored: what the screener wrote, who wrote it, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredNotes {
    #[serde(flatten)]
    pub notes: CallerNotes,
    pub screener: Option<String>,
    pub updated_at: i64,
}

/// One row of the call log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallEntry {
    pub call_sid: String,
    pub kind: String,
    pub number: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// `ended_at - started_at`, once ended.
    pub duration_seconds: Option<i64>,
    pub outcome: String,
    pub detail: Option<String>,
    pub username: Option<String>,
    pub screener: Option<String>,
    pub host: Option<String>,
    pub on_air_at: Option<i64>,
    pub on_air_seconds: Option<i64>,
    pub notes: Option<StoredNotes>,
}

/// Which rows `list_calls` returns: newest first.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// Matched (case-insensitively, anywhere) against number, outcome, people and notes.
    pub text: Option<String>,
    pub kind: Option<CallKind>,
    pub number: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// What the station knows about a number from earlier calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct History {
    /// Earlier calls still in the log (the call asked about is not counted).
    pub calls: i64,
    pub times_on_air: i64,
    pub last_call_at: Option<i64>,
    /// The name given on the most recent call that has one.
    pub name: Option<String>,
    pub banned: bool,
    pub ban_reason: Option<String>,
}

/// The log joined with its notes, followed by `$tail` (sqlx takes only static SQL).
macro_rules! select {
    ($tail:literal) => {
        concat!(
            "SELECT l.call_sid, l.kind, l.number, l.started_at, l.ended_at, l.outcome, l.detail, \
     l.username, l.screener, l.host, l.on_air_at, l.on_air_seconds, n.name, n.location, n.topic, n.notes, \
     n.priority, n.screener AS notes_screener, n.updated_at FROM call_log l \
     LEFT JOIN call_notes n ON n.call_sid = l.call_sid ",
            $tail
        )
    };
}

fn entry(row: &SqliteRow) -> Result<CallEntry, sqlx::Error> {
    let started_at: i64 = row.try_get("started_at")?;
    let ended_at: Option<i64> = row.try_get("ended_at")?;
    let updated_at: Option<i64> = row.try_get("updated_at")?;
    let notes = match updated_at {
        Some(updated_at) => Some(StoredNotes {
            notes: CallerNotes {
                name: row.try_get("name")?,
                location: row.try_get("location")?,
                topic: row.try_get("topic")?,
                notes: row.try_get("notes")?,
                priority: Priority::from_stored(row.try_get("priority")?),
            },
            screener: row.try_get("notes_screener")?,
            updated_at,
        }),
        None => None,
    };
    Ok(CallEntry {
        call_sid: row.try_get("call_sid")?,
        kind: row.try_get("kind")?,
        number: row.try_get("number")?,
        started_at,
        ended_at,
        duration_seconds: ended_at.map(|e| (e - started_at).max(0)),
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
        username: row.try_get("username")?,
        screener: row.try_get("screener")?,
        host: row.try_get("host")?,
        on_air_at: row.try_get("on_air_at")?,
        on_air_seconds: row.try_get("on_air_seconds")?,
        notes,
    })
}

/// `%text%` for LIKE, with LIKE's own wildcards escaped (`\`).
fn like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// Records a new call; a repeat (Twilio retried the webhook) only updates its outcome.
    pub async fn log_call(&self, call: NewCall<'_>) -> Result<(), StoreError> {
        let write = Write::row(
            "INSERT INTO call_log (call_sid, kind, number, started_at, outcome, detail, username, ended_at)",
            "ON CONFLICT(call_sid) DO UPDATE SET outcome = excluded.outcome, detail = excluded.detail, \
             ended_at = excluded.ended_at WHERE call_log.ended_at IS NULL",
        )
        .bind(call.call_sid)
        .bind(call.kind.as_str())
        .bind(call.number)
        .bind(call.at)
        .bind(call.outcome)
        .bind(call.detail)
        .bind(call.username)
        .bind(call.ended.then_some(call.at));
        self.write_later(write).await?;
        Ok(())
    }

    /// Where a live call is now (`waiting`, `screening`, `screened`…). Ignored once the call has ended.
    pub async fn log_call_progress(&self, call_sid: &str, outcome: &str) -> Result<(), StoreError> {
        let write =
            Write::new("UPDATE call_log SET outcome = ? WHERE call_sid = ? AND ended_at IS NULL")
                .bind(outcome)
                .bind(call_sid);
        self.write_later(write).await?;
        Ok(())
    }

    /// A screener took the call.
    pub async fn log_call_screener(
        &self,
        call_sid: &str,
        screener: &str,
    ) -> Result<(), StoreError> {
        let write = Write::new(
            "UPDATE call_log SET screener = ?, outcome = 'screening' WHERE call_sid = ? AND ended_at IS NULL",
        )
        .bind(screener)
        .bind(call_sid);
        self.write_later(write).await?;
        Ok(())
    }

    /// The caller went on the air with `host`.
    pub async fn log_call_on_air(
        &self,
        call_sid: &str,
        host: Option<&str>,
    ) -> Result<(), StoreError> {
        let write = Write::new(
            "UPDATE call_log SET host = COALESCE(?, host), on_air_at = ?, outcome = 'on-air' \
             WHERE call_sid = ? AND ended_at IS NULL",
        )
        .bind(host)
        .bind(now_unix())
        .bind(call_sid);
        self.write_later(write).await?;
        Ok(())
    }

    /// The call is over. A call that reached the air is `aired` whatever ended it (`detail` says what);
    /// otherwise `outcome`. Only the first end counts.
    pub async fn log_call_ended(
        &self,
        call_sid: &str,
        outcome: &str,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = now_unix();
        let write = Write::new(
            "UPDATE call_log SET ended_at = ?1, \
             outcome = CASE WHEN on_air_at IS NOT NULL THEN 'aired' ELSE ?2 END, \
             detail = COALESCE(?3, detail), \
             on_air_seconds = CASE WHEN on_air_at IS NOT NULL THEN MAX(?1 - on_air_at, 0) END \
             WHERE call_sid = ?4 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(outcome)
        .bind(detail)
        .bind(call_sid);
        self.write_later(write).await?;
        Ok(())
    }

    /// Saves the notes on a call (replacing earlier ones). A call missing from the log (its first webhook
    /// could not be recorded) is added, so the notes are never lost.
    pub async fn save_notes(
        &self,
        call_sid: &str,
        number: &str,
        notes: &CallerNotes,
        screener: &str,
    ) -> Result<(), StoreError> {
        self.flush_writes().await?;
        let now = now_unix();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO call_log (call_sid, kind, number, started_at, outcome) \
             VALUES (?, 'queue', ?, ?, 'waiting')",
        )
        .bind(call_sid)
        .bind(number)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO call_notes (call_sid, name, location, topic, notes, priority, screener, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(call_sid) DO UPDATE SET name = excluded.name, \
             location = excluded.location, topic = excluded.topic, notes = excluded.notes, \
             priority = excluded.priority, screener = excluded.screener, updated_at = excluded.updated_at",
        )
        .bind(call_sid)
        .bind(&notes.name)
        .bind(&notes.location)
        .bind(&notes.topic)
        .bind(&notes.notes)
        .bind(notes.priority.as_str())
        .bind(screener)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One call, with its notes.
    pub async fn call(&self, call_sid: &str) -> Result<Option<CallEntry>, StoreError> {
        self.flush_writes().await?;
        let row = sqlx::query(select!("WHERE l.call_sid = ?"))
            .bind(call_sid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(entry).transpose()?)
    }

    /// The log, newest first.
    pub async fn list_calls(&self, filter: &CallFilter) -> Result<Vec<CallEntry>, StoreError> {
        self.flush_writes().await?;
        let text = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let rows = sqlx::query(select!(
            "WHERE (?1 IS NULL OR l.kind = ?1) AND (?2 IS NULL OR l.number = ?2) AND (?3 IS NULL OR \
             l.number LIKE ?3 ESCAPE '\\' OR l.outcome LIKE ?3 ESCAPE '\\' OR l.detail LIKE ?3 ESCAPE '\\' \
             OR l.username LIKE ?3 ESCAPE '\\' OR l.screener LIKE ?3 ESCAPE '\\' OR l.host LIKE ?3 ESCAPE '\\' \
             OR n.name LIKE ?3 ESCAPE '\\' OR n.location LIKE ?3 ESCAPE '\\' OR n.topic LIKE ?3 ESCAPE '\\' \
             OR n.notes LIKE ?3 ESCAPE '\\') ORDER BY l.started_at DESC, l.id DESC LIMIT ?4 OFFSET ?5"
        ))
        .bind(filter.kind.map(CallKind::as_str))
        .bind(filter.number.as_deref())
        .bind(text.map(like))
        .bind(filter.limit)
        .bind(filter.offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(entry).collect::<Result<_, _>>()?)
    }

    /// What is known about `number` from calls other than `except` (the call ringing now).
    pub async fn history(&self, number: &str, except: Option<&str>) -> Result<History, StoreError> {
        self.flush_writes().await?;
        let (calls, times_on_air, last_call_at): (i64, i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(on_air_at IS NOT NULL), 0), MAX(started_at) FROM call_log \
             WHERE number = ? AND call_sid IS NOT ?",
        )
        .bind(number)
        .bind(except)
        .fetch_one(&self.pool)
        .await?;
        let name: Option<(String,)> = sqlx::query_as(
            "SELECT n.name FROM call_notes n JOIN call_log l ON l.call_sid = n.call_sid \
             WHERE l.number = ? AND n.name != '' ORDER BY n.updated_at DESC LIMIT 1",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        let ban: Option<(Option<String>,)> =
            sqlx::query_as("SELECT reason FROM bans WHERE number = ?")
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
        Ok(History {
            calls,
            times_on_air,
            last_call_at,
            name: name.map(|(n,)| n),
            banned: ban.is_some(),
            ban_reason: ban.and_then(|(r,)| r),
        })
    }

    /// Deletes log rows (and their notes) for calls that started before `cutoff`; returns how many.
    pub async fn purge_call_log(&self, cutoff: i64) -> Result<u64, StoreError> {
        self.flush_writes().await?;
        let done = sqlx::query("DELETE FROM call_log WHERE started_at < ?")
            .bind(cutoff)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests;
