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
use sqlx::{Arguments, Encode, QueryBuilder, Sqlite, SqliteConnection, SqlitePool, Type};
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

/// A write statement for the writer, built like `sqlx::query(..).bind(..)`; its arguments are kept so that it
/// can be run again on its own if its batch fails.
#[derive(Debug)]
pub(crate) struct Write {
    sql: &'static str,
    args: SqliteArguments,
    bad_argument: Option<String>,
}

impl Write {
    pub(crate) fn new(sql: &'static str) -> Write {
        Write {
            sql,
            args: SqliteArguments::default(),
            bad_argument: None,
        }
    }

    pub(crate) fn bind<'t, T: Encode<'t, Sqlite> + Type<Sqlite>>(mut self, value: T) -> Write {
        if let Err(e) = self.args.add(value) {
            self.bad_argument.get_or_insert(e.to_string());
        }
        self
    }

    async fn execute(&self, conn: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
        if let Some(e) = &self.bad_argument {
            return Err(sqlx::Error::Encode(e.clone().into()));
        }
        let done = sqlx::query_with(self.sql, self.args.clone())
            .execute(conn)
            .await?;
        Ok(done.rows_affected())
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
        let (after, writes): (Vec<Job>, Vec<Job>) = batch
            .drain(..)
            .partition(|j| matches!(j.op, Op::Load { .. } | Op::Flush));
        if !writes.is_empty() {
            let results = match commit(&pool, &writes).await {
                Ok(rows) => rows.into_iter().map(Ok).collect(),
                Err(e) if writes.len() == 1 => vec![Err(e)],
                Err(e) => {
                    tracing::warn!(error = %e, changes = writes.len(), "batch write failed; retrying one by one");
                    let mut results = Vec::with_capacity(writes.len());
                    for job in &writes {
                        results.push(
                            commit(&pool, std::slice::from_ref(job))
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
        for job in after {
            let result = match &job.op {
                Op::Load { username } => load(&pool, &ledger, username).await.map(|()| 0),
                _ => Ok(0),
            };
            let _ = job.done.send(result);
        }
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
    for job in writes {
        changed.push(match &job.op {
            Op::Dialled { .. } | Op::Refused { .. } => 1,
            Op::Ended { call_sid, at } => sqlx::query(
                "UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL",
            )
            .bind(at)
            .bind(call_sid)
            .execute(&mut *conn)
            .await?
            .rows_affected(),
            Op::Exec(write) => write.execute(conn).await?,
            Op::Load { .. } | Op::Flush => 0,
        });
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
    use crate::store::connect;

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
                    let bad = Write::new("INSERT INTO no_such_table VALUES (?)").bind(1);
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
