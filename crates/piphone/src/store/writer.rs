//! The dial-log writer: one task that makes every change to the `dial_log` table, committing the changes that
//! arrived together in one transaction (group commit), and keeping the in-memory [`DialLedger`] in step.
//!
//! Each `/voice` records its call before Twilio is told to dial, and with `synchronous=FULL` each commit waits for
//! the disk. Written one by one from the pool's connections, those commits also fought over SQLite's single write
//! lock, and the losers slept in SQLite's busy handler (1 to 100 ms a time). Here callers queue instead, and a
//! commit covers everyone who queued while the previous one was on its way to the disk: each caller is still only
//! answered after its row is durable.

use std::sync::{Arc, Mutex};

use sqlx::SqlitePool;
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

async fn commit(pool: &SqlitePool, writes: &[Job]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for job in writes {
        match &job.op {
            Op::Dialled {
                username,
                number,
                call_sid,
                at,
            } => {
                sqlx::query("INSERT INTO dial_log (at, username, number, outcome, call_sid) VALUES (?, ?, ?, 'dialled', ?)")
                    .bind(at)
                    .bind(username)
                    .bind(number)
                    .bind(call_sid)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::Refused {
                username,
                number,
                reason,
                at,
            } => {
                sqlx::query("INSERT INTO dial_log (at, username, number, outcome, reason) VALUES (?, ?, ?, 'refused', ?)")
                    .bind(at)
                    .bind(username)
                    .bind(number)
                    .bind(reason)
                    .execute(&mut *tx)
                    .await?;
            }
            Op::Ended { call_sid, at } => {
                sqlx::query(
                    "UPDATE dial_log SET ended_at = ? WHERE call_sid = ? AND ended_at IS NULL",
                )
                .bind(at)
                .bind(call_sid)
                .execute(&mut *tx)
                .await?;
            }
            Op::Load { .. } => {}
        }
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
