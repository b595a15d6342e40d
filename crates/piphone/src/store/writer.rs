//! The dial-log writer: one task that makes every change to the `dial_log` table, committing the changes that
//! arrived together in one transaction (group commit), and keeping the in-memory [`DialLedger`] in step.
//!
//! Each `/voice` records its call before Twilio is told to dial, and with `synchronous=FULL` each commit waits for
//! the disk. Written one by one from the pool's connections, those commits also fought over SQLite's single write
//! lock, and the losers slept in SQLite's busy handler (1 to 100 ms a time). Here callers queue instead, and a
//! commit covers everyone who queued while the previous one was on its way to the disk: each caller is still only
//! answered after its row is durable.

use std::sync::{Arc, Mutex};

use sqlx::{QueryBuilder, Sqlite, SqlitePool};
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
    /// Load a user's counters into the ledger (a read, done after the batch's writes are committed).
    Load {
        username: String,
    },
}

struct Job {
    op: Op,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The handle: cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct DialWriter {
    jobs: mpsc::Sender<Job>,
    ledger: Arc<Mutex<DialLedger>>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

impl DialWriter {
    /// Starts the writer task; it ends when the last handle is dropped.
    pub(crate) fn spawn(pool: SqlitePool) -> DialWriter {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let ledger = Arc::new(Mutex::new(DialLedger::default()));
        tokio::spawn(run(pool, ledger.clone(), rx));
        DialWriter { jobs, ledger }
    }

    pub(crate) fn ledger(&self) -> std::sync::MutexGuard<'_, DialLedger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `op` and waits until it is committed (or loaded).
    pub(crate) async fn submit(&self, op: Op) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { op, done })
            .await
            .map_err(|_| StoreError::Write("the dial-log writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Write("the dial-log writer has stopped".into()))?
    }
}

async fn run(pool: SqlitePool, ledger: Arc<Mutex<DialLedger>>, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (loads, writes): (Vec<Job>, Vec<Job>) = batch
            .drain(..)
            .partition(|j| matches!(j.op, Op::Load { .. }));
        if !writes.is_empty() {
            match commit(&pool, &writes).await {
                Ok(()) => {
                    let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
                    for job in &writes {
                        match &job.op {
                            Op::Dialled {
                                username,
                                call_sid,
                                at,
                                ..
                            } => l.dialled(username, call_sid, *at),
                            Op::Ended { call_sid, .. } => l.ended(call_sid),
                            Op::Refused { .. } | Op::Load { .. } => {}
                        }
                    }
                    drop(l);
                    for job in writes {
                        let _ = job.done.send(Ok(()));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, changes = writes.len(), "dial log write failed");
                    let message = e.to_string();
                    for job in writes {
                        let _ = job.done.send(Err(StoreError::Write(message.clone())));
                    }
                }
            }
        }
        for job in loads {
            let Op::Load { username } = &job.op else {
                continue;
            };
            let result = load(&pool, &ledger, username).await;
            let _ = job.done.send(result);
        }
    }
}

/// Commits the batch: all its new rows in one multi-row `INSERT` (one statement, one round trip to the
/// connection's thread), plus the ends of calls, in one transaction.
async fn commit(pool: &SqlitePool, writes: &[Job]) -> Result<(), sqlx::Error> {
    let mut rows = Vec::with_capacity(writes.len());
    let mut ends = Vec::new();
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
            Op::Ended { call_sid, at } => ends.push((call_sid, *at)),
            Op::Load { .. } => {}
        }
    }
    let mut builder = QueryBuilder::<Sqlite>::new(
        "INSERT INTO dial_log (at, username, number, outcome, reason, call_sid) ",
    );
    let insert = (!rows.is_empty()).then(|| {
        builder.push_values(
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
        builder.build().persistent(false)
    });
    if ends.is_empty() {
        if let Some(insert) = insert {
            insert.execute(pool).await?;
        }
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if let Some(insert) = insert {
        insert.execute(&mut *tx).await?;
    }
    for (call_sid, at) in ends {
        sqlx::query("UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL")
            .bind(at)
            .bind(call_sid)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
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
    use crate::store::connect;

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
