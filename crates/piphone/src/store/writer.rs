//! The writer: one task that makes the per-call writes (the dial log and the call log), committing the changes
//! that arrived together in one transaction (group commit), and keeping the in-memory [`DialLedger`] in step.
//!
//! Every `/voice` records its call before Twilio is told to dial, and logs it in the call log. Written one by one
//! from the pool's connections, those commits fought over SQLite's single write lock, and the losers slept in
//! SQLite's busy handler (1 to 100 ms a time). Here callers queue instead, and one commit covers everyone who
//! queued while the previous one was being written; each caller is answered once its change is committed.
//! If a batch fails, its changes are retried one by one, so one bad change fails only its own caller.

use std::sync::{Arc, Mutex};

use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::ledger::{DialLedger, DialRow};
use super::{StoreError, now_unix};

/// Most changes in one transaction.
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
    let mut args = SqliteArguments::default();
    for value in writes.iter().flat_map(|w| &w.values) {
        let added = match value {
            Value::Null => args.add(None::<i64>),
            Value::Int(v) => args.add(*v),
            Value::Text(v) => args.add(v.as_str()),
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    let done = match writes[0].sql {
        Sql::Statement(sql) => sqlx::query_with(sql, args).execute(conn).await?,
        Sql::Row { head, tail } => {
            let mut sql = String::from(head);
            sql.push_str(" VALUES ");
            for (i, w) in writes.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                sql.push_str(&vec!["?"; w.values.len()].join(", "));
                sql.push(')');
            }
            sql.push(' ');
            sql.push_str(tail);
            // Row counts vary: keep these statements out of the prepared-statement cache.
            sqlx::query_with(AssertSqlSafe(sql), args)
                .persistent(false)
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected())
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
    /// Starts the writer task on its own connection; it ends when the last handle is dropped.
    pub(crate) fn spawn(pool: SqlitePool) -> Writer {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let ledger = Arc::new(Mutex::new(DialLedger::default()));
        tokio::spawn(run(pool, ledger.clone(), rx));
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

async fn run(pool: SqlitePool, ledger: Arc<Mutex<DialLedger>>, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // The dial log first, in its own commit: `/voice` waits for it; nobody waits for the call log.
        let (mut dial, mut other) = (Vec::new(), Vec::new());
        let mut after = Vec::new();
        for job in batch.drain(..) {
            match job.op {
                Op::Dialled { .. } | Op::Refused { .. } | Op::Ended { .. } => dial.push(job),
                Op::Exec(_) => other.push(job),
                Op::Load { .. } | Op::Flush => after.push(job),
            }
        }
        commit_and_answer(&pool, &ledger, dial).await;
        commit_and_answer(&pool, &ledger, other).await;
        for job in after {
            let result = match &job.op {
                Op::Load { username } => load(&pool, &ledger, username).await.map(|()| 0),
                _ => Ok(0),
            };
            let _ = job.done.send(result);
        }
    }
}

/// Commits `writes` together (one by one if that fails), brings the ledger up to date and answers each caller.
async fn commit_and_answer(pool: &SqlitePool, ledger: &Mutex<DialLedger>, writes: Vec<Job>) {
    if writes.is_empty() {
        return;
    }
    let results = match commit(pool, &writes).await {
        Ok(rows) => rows.into_iter().map(Ok).collect(),
        Err(e) if writes.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, changes = writes.len(), "batch write failed; retrying one by one");
            let mut results = Vec::with_capacity(writes.len());
            for job in &writes {
                results.push(
                    commit(pool, std::slice::from_ref(job))
                        .await
                        .map(|rows| rows[0]),
                );
            }
            results
        }
    };
    let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
    for (job, result) in writes.iter().zip(&results) {
        if result.is_ok() {
            match &job.op {
                Op::Dialled {
                    username,
                    call_sid,
                    at,
                    ..
                } => l.dialled(username, call_sid, *at),
                Op::Ended { call_sid, .. } => l.ended(call_sid),
                _ => {}
            }
        }
    }
    drop(l);
    for (job, result) in writes.into_iter().zip(results) {
        let result = result.map_err(|e| {
            tracing::error!(error = %e, "database write failed");
            StoreError::Write(e.to_string())
        });
        let _ = job.done.send(result);
    }
}

/// Commits `writes` (one transaction for several) and returns the rows each changed.
async fn commit(pool: &SqlitePool, writes: &[Job]) -> Result<Vec<u64>, sqlx::Error> {
    if writes.len() == 1 {
        return apply(&mut *pool.acquire().await?, writes).await;
    }
    let mut tx = pool.begin().await?;
    let changed = apply(&mut tx, writes).await?;
    tx.commit().await?;
    Ok(changed)
}

/// The new dial-log rows in one multi-row `INSERT` (one statement, one round trip to the connection's thread),
/// then the other changes in order.
async fn apply(conn: &mut SqliteConnection, writes: &[Job]) -> Result<Vec<u64>, sqlx::Error> {
    let mut rows = Vec::with_capacity(writes.len());
    for job in writes {
        match &job.op {
            Op::Dialled {
                username,
                number,
                call_sid,
                at,
            } => rows.push((*at, username, number, "dialled", None, Some(call_sid))),
            Op::Refused {
                username,
                number,
                reason,
                at,
            } => rows.push((*at, username, number, "refused", Some(reason), None)),
            _ => {}
        }
    }
    if !rows.is_empty() {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO dial_log (at, username, number, outcome, reason, call_sid) ",
        );
        insert.push_values(
            &rows,
            |mut row, (at, username, number, outcome, reason, call_sid)| {
                row.push_bind(*at)
                    .push_bind(username.as_str())
                    .push_bind(number.as_str())
                    .push_bind(*outcome)
                    .push_bind(reason.map(String::as_str))
                    .push_bind(call_sid.map(String::as_str));
            },
        );
        // Batch sizes vary: keep these statements out of the prepared-statement cache.
        insert.build().persistent(false).execute(&mut *conn).await?;
    }
    let mut changed = Vec::with_capacity(writes.len());
    let mut i = 0;
    while i < writes.len() {
        let job = &writes[i];
        i += 1;
        match &job.op {
            Op::Dialled { .. } | Op::Refused { .. } => changed.push(1),
            Op::Ended { call_sid, at } => {
                let done = sqlx::query(
                    "UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL",
                )
                .bind(at)
                .bind(call_sid)
                .execute(&mut *conn)
                .await?;
                changed.push(done.rows_affected());
            }
            Op::Exec(first) => {
                // The rows of the same shape that follow go in the same statement.
                let mut run = vec![first];
                if matches!(first.sql, Sql::Row { .. }) {
                    while let Some(Job {
                        op: Op::Exec(next), ..
                    }) = writes.get(i)
                        && next.sql == first.sql
                    {
                        run.push(next);
                        i += 1;
                    }
                }
                let rows = execute(conn, &run).await?;
                if run.len() == 1 {
                    changed.push(rows);
                } else {
                    changed.extend(std::iter::repeat_n(1, run.len()));
                }
            }
            Op::Load { .. } | Op::Flush => changed.push(0),
        }
    }
    Ok(changed)
}

async fn load(
    pool: &SqlitePool,
    ledger: &Mutex<DialLedger>,
    username: &str,
) -> Result<(), StoreError> {
    let now = now_unix();
    let rows: Vec<DialRow> = sqlx::query_as(
        "SELECT at, call_sid, ended_at FROM dial_log WHERE username = ? AND outcome = 'dialled' AND at > ?",
    )
    .bind(username)
    .bind(now - 86_400)
    .fetch_all(pool)
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
