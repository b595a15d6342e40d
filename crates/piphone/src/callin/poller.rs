//! The one shared reconcile poll: every few seconds, the queue and its members from Twilio's REST API, merged
//! into the board. However many browsers watch, this is the only code that asks Twilio about the queue, so the
//! request rate is fixed by the interval (two GETs per poll, one when the queue is empty), not by the audience.
//!
//! A failed poll marks the picture stale; the next success clears it. Callers first seen here get their
//! number looked up once (`fetch_call`), a few at a time.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use twilio::rest::{Client, RestError};

use super::QueueHub;
use super::board::PollResult;

/// Concurrent number lookups after a poll.
const LOOKUPS_AT_ONCE: usize = 4;

/// Starts the poller. It stops when the hub is dropped.
pub fn spawn(hub: &Arc<QueueHub>, client: Client, interval: Duration) -> JoinHandle<()> {
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
                        tokio::spawn(look_up_numbers(hub.clone(), client.clone(), missing));
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

/// One poll: find the queue's SID (once, by name; webhooks usually tell it first), then the queue and, when
/// anyone waits, its members.
async fn poll_once(hub: &QueueHub, client: &Client) -> Result<PollResult, RestError> {
    let (name, known_sid) = hub.read(|b| (b.queue().to_owned(), b.queue_sid.clone()));
    let queue = match known_sid {
        Some(sid) => match client.fetch_queue(&sid).await {
            Ok(q) => Some(q),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e),
        },
        None => client
            .list_queues()
            .await?
            .into_iter()
            .find(|q| q.friendly_name.as_deref() == Some(name.as_str())),
    };
    let Some(queue) = queue else {
        // Twilio creates the queue at the first <Enqueue>: no queue, nobody waiting.
        hub.update(|b| b.queue_sid = None);
        return Ok(PollResult::default());
    };
    let members = if queue.current_size == 0 {
        Vec::new()
    } else {
        client.list_members(&queue.sid).await?
    };
    Ok(PollResult {
        queue_sid: Some(queue.sid),
        members: members
            .into_iter()
            .map(|m| (m.call_sid, m.position, u64::from(m.wait_time)))
            .collect(),
        average_wait_seconds: u64::from(queue.average_wait_time),
    })
}

async fn look_up_numbers(hub: Weak<QueueHub>, client: Client, call_sids: Vec<String>) {
    futures_util::stream::iter(call_sids)
        .for_each_concurrent(LOOKUPS_AT_ONCE, |sid| {
            let (hub, client) = (hub.clone(), client.clone());
            async move {
                let result = client.fetch_call(&sid).await;
                let Some(hub) = hub.upgrade() else { return };
                match result {
                    Ok(call) => {
                        hub.update(|b| b.numbers.insert(&sid, call.from.as_deref().unwrap_or("")))
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
