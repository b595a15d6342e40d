//! The writer: one task, on its own connection, that makes the per-call writes (the dial log and the call log)
//! and keeps the in-memory [`DialLedger`] in step.
//!
//! Every `/voice` records its call before Twilio is told to dial, and logs it in the call log. Written one by one
//! from the pool's connections, those commits fought over SQLite's single write lock, and the losers slept in
//! SQLite's busy handler (1 to 100 ms a time). Here callers queue instead, and the writer takes everything
//! queued at once: all new dial-log rows in one multi-row `INSERT`, consecutive call-log rows likewise, the rest
//! one statement each. A multi-row statement takes its rows as one JSON array bound to one parameter
//! (`… SELECT value->>0, … FROM json_each(?)`), so its SQL is the same whatever the number of rows: it is
//! prepared once per connection and cached, not parsed again for every batch. Each statement commits on its own
//! (no transaction around the batch: fewer round trips to the connection's thread, and a failed statement touches
//! no other); a failed multi-row statement is retried row by row, so one bad change fails only its own caller.
//! Callers are answered once their change is committed: a change with the rows it changed, a dial attempt with
//! its [`DialVerdict`].
//!
//! Here: the handle and the task's loop; [`write`] builds the statements, [`apply`] runs a batch of them.

mod apply;
#[cfg(test)]
mod tests;
mod write;

use std::sync::{Arc, Mutex};

use sqlx::SqliteConnection;
use tokio::sync::{mpsc, oneshot};

use super::ledger::{DialLedger, DialRow, DialVerdict};
use super::{StoreError, now_unix};
pub(crate) use write::Write;

/// Most changes taken at once.
const MAX_BATCH: usize = 256;
/// Requests waiting for the writer before callers wait to queue.
const QUEUE: usize = 4096;

/// A change (or a read) for the writer, answered with the rows it changed.
#[derive(Debug)]
pub(crate) enum Op {
    Dialled {
        username: String,
        number: String,
        call_sid: String,
        at: i64,
        /// Set when this row is a [`DialAttempt`] the writer let through: the ledger already counts it (and
        /// whether its CallSid was a new live call, to undo it if the write fails).
        counted: Option<bool>,
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

/// A call to check against the user's toll-fraud limits and, within them, record as dialled. The writer decides
/// the attempts one after another (each seeing those before it, even in the same batch), so a burst of
/// simultaneous calls cannot all pass; the rows still go to the disk together.
#[derive(Debug)]
pub(crate) struct DialAttempt {
    pub(crate) username: String,
    pub(crate) number: String,
    pub(crate) call_sid: String,
    pub(crate) at: i64,
    pub(crate) max_per_day: i64,
    pub(crate) max_live: i64,
}

/// What callers queue for the writer, each with the channel for its answer.
enum Request {
    Op(Op, oneshot::Sender<Result<u64, StoreError>>),
    Dial(
        DialAttempt,
        oneshot::Sender<Result<DialVerdict, StoreError>>,
    ),
}

/// A change to make, once the batch's dial attempts are decided.
struct Job {
    op: Op,
    reply: Reply,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.op.fmt(f)
    }
}

/// Where a [`Job`]'s result goes.
enum Reply {
    /// The rows changed, to an [`Op`]'s caller.
    Rows(oneshot::Sender<Result<u64, StoreError>>),
    /// [`DialVerdict::Dialled`] once the row is committed, to the caller of a [`DialAttempt`] let through.
    Dialled(oneshot::Sender<Result<DialVerdict, StoreError>>),
}

impl Reply {
    fn send(self, result: Result<u64, StoreError>) {
        // A caller that stopped waiting (or queued without waiting) no longer needs the answer.
        match self {
            Reply::Rows(tx) => {
                let _ = tx.send(result);
            }
            Reply::Dialled(tx) => {
                let _ = tx.send(result.map(|_| DialVerdict::Dialled));
            }
        }
    }
}

/// The handle: cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    requests: mpsc::Sender<Request>,
    ledger: Arc<Mutex<DialLedger>>,
}

fn stopped<T>(_: T) -> StoreError {
    StoreError::Write("the writer has stopped".into())
}

impl Writer {
    /// Starts the writer task on `conn`, its own connection; it ends when the last handle is dropped.
    pub(crate) fn spawn(conn: SqliteConnection) -> Writer {
        let (requests, rx) = mpsc::channel(QUEUE);
        let ledger = Arc::new(Mutex::new(DialLedger::default()));
        tokio::spawn(run(conn, ledger.clone(), rx));
        Writer { requests, ledger }
    }

    pub(crate) fn ledger(&self) -> std::sync::MutexGuard<'_, DialLedger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `op` without waiting for it (only for room in the queue). Failures are logged by the writer.
    pub(crate) async fn enqueue(&self, op: Op) -> Result<(), StoreError> {
        let (done, _) = oneshot::channel();
        self.requests
            .send(Request::Op(op, done))
            .await
            .map_err(stopped)
    }

    /// Queues `op` and waits until it is committed (or loaded); returns the rows it changed.
    pub(crate) async fn submit(&self, op: Op) -> Result<u64, StoreError> {
        let (done, answer) = oneshot::channel();
        self.requests
            .send(Request::Op(op, done))
            .await
            .map_err(stopped)?;
        answer.await.map_err(stopped)?
    }

    /// Queues a dial attempt and waits for its verdict (for [`DialVerdict::Dialled`], until its row is committed).
    pub(crate) async fn try_dial(&self, attempt: DialAttempt) -> Result<DialVerdict, StoreError> {
        let (done, answer) = oneshot::channel();
        self.requests
            .send(Request::Dial(attempt, done))
            .await
            .map_err(stopped)?;
        answer.await.map_err(stopped)?
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
    mut rx: mpsc::Receiver<Request>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = decide(&mut conn, &ledger, batch.drain(..)).await;
        let (after, writes): (Vec<Job>, Vec<Job>) = jobs
            .into_iter()
            .partition(|j| matches!(j.op, Op::Load { .. } | Op::Flush));
        let results = apply::apply(&mut conn, &writes).await;
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
            let result = result.map_err(|e| {
                tracing::error!(error = %e, change = ?job.op, "database write failed");
                StoreError::Write(e.to_string())
            });
            job.reply.send(result);
        }
        // Loads and flushes see everything queued before them.
        for job in after {
            let result = match &job.op {
                Op::Load { username } => load(&mut conn, &ledger, username).await.map(|()| 0),
                _ => Ok(0),
            };
            job.reply.send(result);
        }
    }
}

/// Decides the batch's dial attempts in order: loads each user's counters if needed, answers those over a
/// limit at once, and turns the others into dial-log rows already counted in the ledger.
async fn decide(
    conn: &mut SqliteConnection,
    ledger: &Mutex<DialLedger>,
    requests: impl Iterator<Item = Request>,
) -> Vec<Job> {
    let mut jobs = Vec::with_capacity(requests.size_hint().0);
    for request in requests {
        let (attempt, done) = match request {
            Request::Op(op, done) => {
                jobs.push(Job {
                    op,
                    reply: Reply::Rows(done),
                });
                continue;
            }
            Request::Dial(attempt, done) => (attempt, done),
        };
        let loaded = ledger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_loaded(&attempt.username);
        if !loaded && let Err(e) = load(conn, ledger, &attempt.username).await {
            let _ = done.send(Err(e));
            continue;
        }
        let mut l = ledger.lock().unwrap_or_else(|p| p.into_inner());
        let verdict = l.verdict(
            &attempt.username,
            attempt.at,
            attempt.max_per_day,
            attempt.max_live,
        );
        if verdict != DialVerdict::Dialled {
            drop(l);
            let _ = done.send(Ok(verdict));
            continue;
        }
        let new_live = l.dialled(&attempt.username, &attempt.call_sid, attempt.at);
        drop(l);
        jobs.push(Job {
            op: Op::Dialled {
                username: attempt.username,
                number: attempt.number,
                call_sid: attempt.call_sid,
                at: attempt.at,
                counted: Some(new_live),
            },
            reply: Reply::Dialled(done),
        });
    }
    jobs
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
