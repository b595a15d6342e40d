//! The writer: one task, on its own connection, that makes the per-call writes (the dial log and the call log)
//! and keeps the in-memory [`DialLedger`] in step.
//!
//! Every `/voice` records its call before Twilio is told to dial, and logs it in the call log. Written one by one
//! from the pool's connections, those commits fought over SQLite's single write lock, and the losers slept in
//! SQLite's busy handler (1 to 100 ms a time). Here callers queue instead, and the writer takes everything
//! queued at once: all new dial-log rows in one multi-row `INSERT`, consecutive call-log rows likewise, the rest
//! one statement each. A multi-row statement takes its rows as one JSON array bound to one parameter
//! (`… SELECT value->>0, … FROM json_each(?)`), so its SQL is the same whatever the number of rows: it is
//! prepared once per connection and cached, not parsed again for every batch. Each statement commits on its own (no transaction around the batch: fewer round trips to
//! the connection's thread, and a failed statement touches no other); a failed multi-row statement is retried
//! row by row, so one bad change fails only its own caller. Callers are answered once their change is committed.

use std::sync::{Arc, Mutex};

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::DialVerdict;
use super::ledger::{DialLedger, DialRow};
use super::{StoreError, now_unix};

/// Most changes taken at once.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;

#[derive(Debug)]
pub(crate) enum Op {
    Dialled {
        username: String,
        number: String,
        call_sid: String,
        at: i64,
        /// Set when this row came from a [`Op::TryDial`] the writer let through: the ledger already counts it
        /// (and whether its CallSid was a new live call, to undo it if the write fails).
        counted: Option<bool>,
    },
    /// Check the user's toll-fraud limits and, within them, record the call as dialled. The writer decides the
    /// attempts one after another (each seeing those before it, even in the same batch), so a burst of
    /// simultaneous calls cannot all pass; the rows still go to the disk together. Answered with a
    /// [`DialVerdict`] code.
    TryDial {
        username: String,
        number: String,
        call_sid: String,
        at: i64,
        max_per_day: i64,
        max_live: i64,
    },
    Refused {
        username: String,
        number: String,
        reason: String,
        at: i64,
    },
    Ended {
        call_sid: String,
        at: i64,
    },
    /// Any other write statement (the call log).
    Exec(Write),
    /// Load a user's counters into the ledger (a read, done after the batch's writes are committed).
    Load {
        username: String,
    },
    /// Nothing: answered once every change queued before it is committed (readers of queued writes wait on it).
    Flush,
}

/// A write for the writer, built like `sqlx::query(..).bind(..)`. Its values are kept, so that it can be run
/// again on its own if its batch fails, and so that consecutive [`Write::row`]s of the same shape are sent as one
/// multi-row statement (one round trip to the connection's thread instead of one each).
#[derive(Debug)]
pub(crate) struct Write {
    sql: Sql,
    values: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sql {
    Statement(&'static str),
    /// `INSERT INTO t (a, b) ` + `VALUES (?, ?)` + tail (e.g. an `ON CONFLICT` clause, or empty).
    Row {
        head: &'static str,
        tail: &'static str,
    },
}

/// A value bound to a [`Write`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl Write {
    /// One statement with `?` placeholders.
    pub(crate) fn new(sql: &'static str) -> Write {
        Write {
            sql: Sql::Statement(sql),
            values: Vec::new(),
        }
    }

    /// One row for `head` (`INSERT INTO t (a, b) `), followed by `tail` (e.g. `ON CONFLICT … DO UPDATE …`);
    /// bind one value per column.
    pub(crate) fn row(head: &'static str, tail: &'static str) -> Write {
        Write {
            sql: Sql::Row { head, tail },
            values: Vec::new(),
        }
    }

    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Write {
        self.values.push(value.into());
        self
    }
}

/// Runs `writes` (all the same [`Sql`]; several only for rows) as one statement; returns the rows changed.
async fn execute(conn: &mut SqliteConnection, writes: &[&Write]) -> Result<u64, sqlx::Error> {
    let done = match writes[0].sql {
        Sql::Statement(sql) => {
            let mut args = SqliteArguments::default();
            for value in writes.iter().flat_map(|w| &w.values) {
                let added = match value {
                    Value::Null => args.add(None::<i64>),
                    Value::Int(v) => args.add(*v),
                    Value::Text(v) => args.add(v.as_str()),
                };
                added.map_err(sqlx::Error::Encode)?;
            }
            sqlx::query_with(sql, args).execute(conn).await?
        }
        Sql::Row { head, tail } => {
            let columns = writes[0].values.len();
            if writes.iter().any(|w| w.values.len() != columns) {
                return Err(sqlx::Error::Protocol(
                    "rows of one statement must have the same columns".into(),
                ));
            }
            let rows = serde_json::Value::Array(
                writes
                    .iter()
                    .map(|w| w.values.iter().map(Value::to_json).collect())
                    .collect(),
            );
            sqlx::query(AssertSqlSafe(rows_sql(head, columns, tail)))
                .bind(rows.to_string())
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected())
}

/// `head` + a `SELECT` of `columns` values from each element of a JSON array of rows, in array order, + `tail`.
/// (`WHERE true` keeps an `ON CONFLICT` tail from being read as a join constraint.)
fn rows_sql(head: &str, columns: usize, tail: &str) -> String {
    let values: Vec<String> = (0..columns).map(|i| format!("value->>{i}")).collect();
    format!(
        "{head} SELECT {} FROM json_each(?) WHERE true ORDER BY key {tail}",
        values.join(", ")
    )
}

impl Value {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Int(v) => (*v).into(),
            Value::Text(v) => v.as_str().into(),
        }
    }
}

struct Job {
    op: Op,
    /// Rows changed.
    done: oneshot::Sender<Result<u64, StoreError>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

/// The handle: cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    ledger: Arc<Mutex<DialLedger>>,
}

impl Writer {
    /// Starts the writer task on `conn`, its own connection; it ends when the last handle is dropped.
    pub(crate) fn spawn(conn: SqliteConnection) -> Writer {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let ledger = Arc::new(Mutex::new(DialLedger::default()));
        tokio::spawn(run(conn, ledger.clone(), rx));
        Writer { jobs, ledger }
    }

    pub(crate) fn ledger(&self) -> std::sync::MutexGuard<'_, DialLedger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `op` without waiting for it (only for room in the queue). Failures are logged by the writer.
    pub(crate) async fn enqueue(&self, op: Op) -> Result<(), StoreError> {
        let (done, _) = oneshot::channel();
        self.jobs
            .send(Job { op, done })
            .await
            .map_err(|_| StoreError::Write("the writer has stopped".into()))
    }

    /// Queues `op` and waits until it is committed (or loaded); returns the rows it changed.
    pub(crate) async fn submit(&self, op: Op) -> Result<u64, StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { op, done })
            .await
            .map_err(|_| StoreError::Write("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Write("the writer has stopped".into()))?
    }
}

impl super::Store {
    /// Queues a write statement without waiting for its commit (the call log: a slow disk must not hold up
    /// Twilio's answer). Changes queued by one caller are committed in the order queued.
    pub(crate) async fn write_later(&self, write: Write) -> Result<(), StoreError> {
        self.writer.enqueue(Op::Exec(write)).await
    }

    /// Waits until every change queued so far is committed (before reading what may have been queued).
    pub(crate) async fn flush_writes(&self) -> Result<(), StoreError> {
        self.writer.submit(Op::Flush).await.map(drop)
    }
}

async fn run(
    mut conn: SqliteConnection,
    ledger: Arc<Mutex<DialLedger>>,
    mut rx: mpsc::Receiver<Job>,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (after, writes): (Vec<Job>, Vec<Job>) = batch
            .drain(..)
            .partition(|j| matches!(j.op, Op::Load { .. } | Op::Flush));
        let writes = decide(&mut conn, &ledger, writes).await;
        let results = apply(&mut conn, &writes).await;
        {
            let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
            for (job, result) in writes.iter().zip(&results) {
                match (&job.op, result) {
                    (
                        Op::Dialled {
                            username,
                            call_sid,
                            at,
                            counted: None,
                            ..
                        },
                        Ok(_),
                    ) => {
                        l.dialled(username, call_sid, *at);
                    }
                    (
                        Op::Dialled {
                            username,
                            call_sid,
                            at,
                            counted: Some(new_live),
                            ..
                        },
                        Err(_),
                    ) => l.undo_dialled(username, call_sid, *at, *new_live),
                    (Op::Ended { call_sid, .. }, Ok(_)) => l.ended(call_sid),
                    _ => {}
                }
            }
        }
        for (job, result) in writes.into_iter().zip(results) {
            let result = match result {
                Ok(_)
                    if matches!(
                        job.op,
                        Op::Dialled {
                            counted: Some(_),
                            ..
                        }
                    ) =>
                {
                    Ok(DialVerdict::Dialled.code())
                }
                Ok(rows) => Ok(rows),
                Err(e) => {
                    tracing::error!(error = %e, change = ?job.op, "database write failed");
                    Err(StoreError::Write(e.to_string()))
                }
            };
            let _ = job.done.send(result);
        }
        // Loads and flushes see everything queued before them.
        for job in after {
            let result = match &job.op {
                Op::Load { username } => load(&mut conn, &ledger, username).await.map(|()| 0),
                _ => Ok(0),
            };
            let _ = job.done.send(result);
        }
    }
}

/// Decides the batch's dial attempts in order: loads each user's counters if needed, answers those over a
/// limit at once, and turns the others into dial-log rows already counted in the ledger.
async fn decide(
    conn: &mut SqliteConnection,
    ledger: &Mutex<DialLedger>,
    writes: Vec<Job>,
) -> Vec<Job> {
    let mut kept = Vec::with_capacity(writes.len());
    for mut job in writes {
        let Op::TryDial {
            username,
            number,
            call_sid,
            at,
            max_per_day,
            max_live,
        } = &mut job.op
        else {
            kept.push(job);
            continue;
        };
        let loaded = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_loaded(username);
        if !loaded && let Err(e) = load(conn, ledger, username).await {
            let _ = job.done.send(Err(e));
            continue;
        }
        let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
        let (today, live) = l.counts(username, *at).unwrap_or((i64::MAX, i64::MAX));
        let verdict = if today >= *max_per_day {
            DialVerdict::DailyLimit
        } else if live >= *max_live {
            DialVerdict::ConcurrentLimit
        } else {
            DialVerdict::Dialled
        };
        if verdict != DialVerdict::Dialled {
            drop(l);
            let _ = job.done.send(Ok(verdict.code()));
            continue;
        }
        let new_live = l.dialled(username, call_sid, *at);
        drop(l);
        job.op = Op::Dialled {
            username: std::mem::take(username),
            number: std::mem::take(number),
            call_sid: std::mem::take(call_sid),
            at: *at,
            counted: Some(new_live),
        };
        kept.push(job);
    }
    kept
}

/// Makes the changes: the new dial-log rows first (one statement), then the others in order, consecutive
/// call-log rows of the same shape together. Returns each change's result (rows changed).
async fn apply(conn: &mut SqliteConnection, writes: &[Job]) -> Vec<Result<u64, sqlx::Error>> {
    let mut results: Vec<Option<Result<u64, sqlx::Error>>> = writes.iter().map(|_| None).collect();
    let rows: Vec<usize> = (0..writes.len())
        .filter(|&i| matches!(writes[i].op, Op::Dialled { .. } | Op::Refused { .. }))
        .collect();
    if !rows.is_empty() {
        run_unit(conn, writes, &rows, &mut results).await;
    }
    let mut i = 0;
    while i < writes.len() {
        let start = i;
        i += 1;
        match &writes[start].op {
            Op::Ended { .. } => run_unit(conn, writes, &[start], &mut results).await,
            Op::Exec(first) => {
                if matches!(first.sql, Sql::Row { .. }) {
                    while let Some(Job {
                        op: Op::Exec(next), ..
                    }) = writes.get(i)
                        && next.sql == first.sql
                    {
                        i += 1;
                    }
                }
                let unit: Vec<usize> = (start..i).collect();
                run_unit(conn, writes, &unit, &mut results).await;
            }
            _ => {}
        }
    }
    results.into_iter().map(|r| r.unwrap_or(Ok(0))).collect()
}

/// Runs the changes `unit` (indexes into `writes`, all of one shape) as one statement; if that fails and there
/// are several, each alone.
async fn run_unit(
    conn: &mut SqliteConnection,
    writes: &[Job],
    unit: &[usize],
    results: &mut [Option<Result<u64, sqlx::Error>>],
) {
    let jobs: Vec<&Job> = unit.iter().map(|&i| &writes[i]).collect();
    match statement(conn, &jobs).await {
        Ok(rows) => {
            for &i in unit {
                results[i] = Some(Ok(if unit.len() == 1 { rows } else { 1 }));
            }
        }
        Err(e) if unit.len() == 1 => results[unit[0]] = Some(Err(e)),
        Err(e) => {
            tracing::warn!(error = %e, changes = unit.len(), "a multi-row write failed; retrying row by row");
            for &i in unit {
                results[i] = Some(statement(conn, &[&writes[i]]).await);
            }
        }
    }
}

/// One statement for `jobs` (all dial-log rows, one `Ended`, or `Exec`s of one shape).
async fn statement(conn: &mut SqliteConnection, jobs: &[&Job]) -> Result<u64, sqlx::Error> {
    match &jobs[0].op {
        Op::Dialled { .. } | Op::Refused { .. } => {
            let rows: Vec<serde_json::Value> = jobs
                .iter()
                .map(|job| match &job.op {
                    Op::Dialled {
                        username,
                        number,
                        call_sid,
                        at,
                        ..
                    } => serde_json::json!([*at, username, number, "dialled", null, call_sid]),
                    Op::Refused {
                        username,
                        number,
                        reason,
                        at,
                    } => serde_json::json!([*at, username, number, "refused", reason, null]),
                    _ => unreachable!("only dial-log rows are grouped here"),
                })
                .collect();
            let done = sqlx::query(
                "INSERT INTO dial_log (at, username, number, outcome, reason, call_sid) \
                 SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 \
                 FROM json_each(?) WHERE true ORDER BY key",
            )
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(conn)
            .await?;
            Ok(done.rows_affected())
        }
        Op::Ended { call_sid, at } => {
            let done = sqlx::query(
                "UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL",
            )
            .bind(at)
            .bind(call_sid)
            .execute(conn)
            .await?;
            Ok(done.rows_affected())
        }
        Op::Exec(_) => {
            let writes: Vec<&Write> = jobs
                .iter()
                .filter_map(|j| match &j.op {
                    Op::Exec(w) => Some(w),
                    _ => None,
                })
                .collect();
            execute(conn, &writes).await
        }
        // Attempts are decided (turned into rows or answered) before changes are made.
        Op::TryDial { .. } | Op::Load { .. } | Op::Flush => Ok(0),
    }
}

async fn load(
    conn: &mut SqliteConnection,
    ledger: &Mutex<DialLedger>,
    username: &str,
) -> Result<(), StoreError> {
    let now = now_unix();
    let rows: Vec<DialRow> = sqlx::query_as(
        "SELECT at, call_sid, ended_at FROM dial_log WHERE username = ? AND outcome = 'dialled' AND at > ?",
    )
    .bind(username)
    .bind(now - 86_400)
    .fetch_all(conn)
    .await?;
    ledger
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .install(username, rows, now);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Op, Write};
    use crate::store::{CallFilter, CallKind, NewCall, connect};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_rows_go_in_together_and_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let store = connect(&url).await.unwrap();
        // Queued one after another without waiting for commits: they share batches and multi-row statements.
        for i in 0..100 {
            let sid = format!("CA{:032}", i % 60);
            let outcome = if i < 60 { "dialling" } else { "refused" };
            let call = NewCall::now(&sid, CallKind::Outgoing, "+14155552671", outcome);
            store.log_call(call).await.unwrap();
        }
        let calls = store
            .list_calls(&CallFilter {
                limit: 1000,
                ..CallFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(calls.len(), 60, "a repeated CallSid updates its row");
        let refused = calls.iter().filter(|c| c.outcome == "refused").count();
        assert_eq!(refused, 40, "the later write of a CallSid wins");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rows_keep_their_values_and_types_through_the_json_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let store = connect(&url).await.unwrap();
        let odd = "quote \" backslash \\ tab \t émoji 📻 and 'single'";
        for i in 0..20_usize {
            let sid = format!("CA{i:032}");
            let call = NewCall::now(&sid, CallKind::Incoming, "+14155552671", "missed").detail(odd);
            let call = if i.is_multiple_of(2) {
                call.ended()
            } else {
                call
            };
            store.log_call(call).await.unwrap();
        }
        store
            .log_refused("anna", "+1 (900) 555-0199", odd)
            .await
            .unwrap();
        store
            .log_dialled("anna", "+14155552671", "CA0000000000000000000000000000000a")
            .await
            .unwrap();
        let calls = store
            .list_calls(&CallFilter {
                limit: 100,
                ..CallFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(calls.len(), 20);
        for c in &calls {
            assert_eq!(c.detail.as_deref(), Some(odd));
            assert_eq!(c.number, "+14155552671");
            let i: usize = c.call_sid[2..].parse().unwrap();
            assert_eq!(
                c.ended_at.is_some(),
                i.is_multiple_of(2),
                "NULL stays NULL: {c:?}"
            );
        }
        let types: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT typeof(at), typeof(reason), typeof(call_sid), coalesce(reason, '') FROM dial_log ORDER BY id",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        assert_eq!(
            types,
            vec![
                (
                    "integer".into(),
                    "text".into(),
                    "null".into(),
                    odd.to_owned()
                ),
                (
                    "integer".into(),
                    "null".into(),
                    "text".into(),
                    String::new()
                ),
            ]
        );
        let started: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT typeof(started_at) FROM call_log")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert_eq!(started, vec![("integer".to_owned(),)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dial_attempts_are_decided_one_after_another_even_in_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let store = connect(&url).await.unwrap();
        let attempts: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .try_dial("anna", "+14155552671", &format!("CA{i:032}"), 1000, 3)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let verdicts = futures_util::future::join_all(attempts).await;
        let dialled = verdicts
            .iter()
            .filter(|v| *v.as_ref().unwrap() == crate::store::DialVerdict::Dialled)
            .count();
        assert_eq!(dialled, 3, "a limit of 3 live calls lets exactly 3 through");
        assert_eq!(store.dial_counts("anna").await.unwrap(), (3, 3));
        drop(store);
        let reopened = connect(&url).await.unwrap();
        assert_eq!(
            reopened.dial_counts("anna").await.unwrap(),
            (3, 3),
            "and exactly those 3 were written"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_change_fails_only_its_own_caller() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let store = connect(&url).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..50 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                if i == 25 {
                    let bad = Write::new("INSERT INTO no_such_table VALUES (?)").bind(1_i64);
                    store.writer.submit(Op::Exec(bad)).await.map(drop)
                } else {
                    store
                        .log_dialled("anna", "+14155552671", &format!("CA{i:032}"))
                        .await
                }
            }));
        }
        let results: Vec<bool> = futures_util::future::join_all(tasks)
            .await
            .into_iter()
            .map(|r| r.unwrap().is_ok())
            .collect();
        assert_eq!(results.iter().filter(|ok| !**ok).count(), 1);
        assert!(!results[25]);
        assert_eq!(store.dial_counts("anna").await.unwrap(), (49, 49));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_are_all_committed_and_counted_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let store = connect(&url).await.unwrap();
        assert_eq!(store.dial_counts("anna").await.unwrap(), (0, 0));
        let calls: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .log_dialled("anna", "+14155552671", &format!("CA{i:032}"))
                        .await
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        store.log_ended(&format!("CA{:032}", 7)).await.unwrap();
        store
            .log_refused("anna", "+19005550199", "high_cost_type")
            .await
            .unwrap();
        assert_eq!(store.dial_counts("anna").await.unwrap(), (200, 199));
        assert_eq!(store.recent_refusals(10).await.unwrap().len(), 1);
        drop(store);

        let reopened = connect(&url).await.unwrap();
        assert_eq!(
            reopened.dial_counts("anna").await.unwrap(),
            (200, 199),
            "counters load from the table"
        );
        reopened.log_ended(&format!("CA{:032}", 8)).await.unwrap();
        assert_eq!(reopened.dial_counts("anna").await.unwrap(), (200, 198));
        assert_eq!(reopened.dial_counts("bob").await.unwrap(), (0, 0));
    }
}
