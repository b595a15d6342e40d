//! The one shared reconcile poll: every few seconds, the queue and its members from Twilio's REST API, merged
//! into the board. However many browsers watch, this is the only code that asks Twilio about the queue, so the
//! request rate is fixed by the interval (per poll: the two queues — one listing while a queue's SID is unknown —
//! and the members of each queue where someone waits: at most four GETs), not by the audience.
//!
//! A failed poll marks the picture stale; the next success clears it. Callers first seen here get their
//! number looked up once (`fetch_call`), a few at a time, then their notes and history from the store.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use twilio::rest::{Client, Queue, RestError};

use super::QueueHub;
use super::board::{Line, LinePoll, PollResult};
use crate::store::Store;

/// Concurrent number lookups after a poll.
const LOOKUPS_AT_ONCE: usize = 4;

/// Starts the poller. It stops when the hub is dropped.
pub fn spawn(
    hub: &Arc<QueueHub>,
    client: Client,
    store: Store,
    interval: Duration,
) -> JoinHandle<()> {
    let hub = Arc::downgrade(hub);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let limit = interval.max(Duration::from_secs(5)) * 4;
        let mut failing = false;
        loop {
            ticks.tick().await;
            let Some(strong) = hub.upgrade() else { return };
            let started = Instant::now();
            let outcome = match tokio::time::timeout(limit, poll_once(&strong, &client)).await {
                Ok(r) => r.map_err(|e| e.to_string()),
                Err(_) => Err("timed out".to_owned()),
            };
            match outcome {
                Ok(result) => {
                    if failing {
                        tracing::info!("call-in queue poll recovered");
                        failing = false;
                    }
                    let missing = strong.update(|b| b.reconcile(result, started));
                    if !missing.is_empty() {
                        let lookup =
                            look_up_numbers(hub.clone(), client.clone(), store.clone(), missing);
                        tokio::spawn(lookup);
                    }
                }
                Err(error) => {
                    if !failing {
                        tracing::warn!(%error, "call-in queue poll failed; the console shows the queue as stale");
                        failing = true;
                    }
                    strong.update(|b| b.poll_failed());
                }
            }
        }
    })
}

/// One poll of both queues. Known SIDs (webhooks usually tell them) are fetched one by one; while one is unknown
/// a single listing of the account's queues finds them by name. Members are asked for only where someone waits.
async fn poll_once(hub: &QueueHub, client: &Client) -> Result<PollResult, RestError> {
    let lines = hub.read(|b| [Line::Main, Line::Screened].map(|l| (l, b.queue_of(l))));
    let mut queues: Vec<(Line, Option<Queue>)> = Vec::with_capacity(2);
    if lines.iter().all(|(_, (_, sid))| sid.is_some()) {
        for (line, (_, sid)) in &lines {
            let sid = sid.as_deref().unwrap_or_default();
            let queue = match client.fetch_queue(sid).await {
                Ok(q) => Some(q),
                Err(e) if e.status() == Some(404) => None,
                Err(e) => return Err(e),
            };
            queues.push((*line, queue));
        }
    } else {
        let all = client.list_queues().await?;
        for (line, (name, _)) in &lines {
            let queue = all
                .iter()
                .find(|q| q.friendly_name.as_deref() == Some(name.as_str()))
                .cloned();
            queues.push((*line, queue));
        }
    }
    let mut result = PollResult::default();
    for (line, queue) in queues {
        let Some(queue) = queue else {
            // Twilio creates a queue at its first <Enqueue>: no queue, nobody waiting.
            hub.update(|b| b.learn_queue_sid(line, None));
            continue;
        };
        let members = if queue.current_size == 0 {
            Vec::new()
        } else {
            client.list_members(&queue.sid).await?
        };
        let poll = LinePoll {
            queue_sid: Some(queue.sid),
            members: members
                .into_iter()
                .map(|m| (m.call_sid, m.position, u64::from(m.wait_time)))
                .collect(),
            average_wait_seconds: u64::from(queue.average_wait_time),
        };
        match line {
            Line::Main => result.main = poll,
            Line::Screened => result.screened = poll,
        }
    }
    Ok(result)
}

/// Callers first seen in a poll (after a restart, say): their number from Twilio, once; then what the store
/// knows about them (the screener's notes on this call, the number's history).
async fn look_up_numbers(
    hub: Weak<QueueHub>,
    client: Client,
    store: Store,
    call_sids: Vec<String>,
) {
    futures_util::stream::iter(call_sids)
        .for_each_concurrent(LOOKUPS_AT_ONCE, |sid| {
            let (hub, client, store) = (hub.clone(), client.clone(), store.clone());
            async move {
                let result = client.fetch_call(&sid).await;
                let Some(hub) = hub.upgrade() else { return };
                match result {
                    Ok(call) => {
                        let from = call.from.unwrap_or_default();
                        hub.update(|b| b.numbers.insert(&sid, &from));
                        recall(&hub, &store, &sid, &from).await;
                    }
                    Err(error) => {
                        tracing::warn!(call_sid = %sid, %error, "caller number lookup failed");
                        hub.update(|b| b.numbers.failed(&sid));
                    }
                }
            }
        })
        .await;
}

/// Puts what the store knows about a caller on the board: this call's notes, the number's earlier calls.
pub async fn recall(hub: &QueueHub, store: &Store, call_sid: &str, number: &str) {
    let notes = store.call(call_sid).await;
    let history = if number.starts_with('+') {
        store.history(number, Some(call_sid)).await.map(Some)
    } else {
        Ok(None)
    };
    match (notes, history) {
        (Ok(call), Ok(history)) => hub.update(|b| {
            if let Some(n) = call.and_then(|c| c.notes) {
                b.set_notes(call_sid, n.notes, n.screener.as_deref());
            }
            if let Some(h) = history {
                b.set_history(call_sid, h);
            }
        }),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(call_sid, error = %e, "caller notes or history unavailable")
        }
    }
}
