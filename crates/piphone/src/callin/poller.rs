//! The one shared reconcile poll: every few seconds, the queue and its members from Twilio's REST API, merged
//! into the board. However many browsers watch, this is the only code that asks Twilio about the queue, so the
//! request rate is fixed by the interval (per poll: the two queues — one listing while a queue's SID is unknown —
//! and the members of each queue where someone waits: at most four GETs), not by the audience.
//!
//! A failed poll marks the picture stale; the next success clears it. Callers first seen here get their
//! number looked up once (`fetch_call`), a few at a time, then their notes and history from the store. A caller
//! announced by `/voice/incoming` whom Twilio never listed in the queue and whom the board then drops (they hung
//! up during the greeting: no webhook says so) is looked up too, and once Twilio reports the call over, its
//! call-log row is closed instead of staying `waiting` for ever.

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
                    let (missing, vanished) = strong.update(|b| {
                        let missing = b.reconcile(result, started);
                        (missing, b.take_vanished())
                    });
                    if !vanished.is_empty() {
                        tokio::spawn(close_vanished(client.clone(), store.clone(), vanished));
                    }
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

/// Callers dropped from the board without Twilio ever listing them in a queue: asks Twilio about each call and
/// closes the call-log row of those that are over. One still in progress (a very long greeting) is left alone: the
/// queue's webhooks will speak of it.
async fn close_vanished(client: Client, store: Store, call_sids: Vec<String>) {
    use twilio::rest::CallStatus;
    futures_util::stream::iter(call_sids)
        .for_each_concurrent(LOOKUPS_AT_ONCE, |sid| {
            let (client, store) = (client.clone(), store.clone());
            async move {
                match client.fetch_call(&sid).await {
                    Ok(call)
                        if matches!(
                            call.status,
                            Some(
                                CallStatus::Completed
                                    | CallStatus::Canceled
                                    | CallStatus::Failed
                                    | CallStatus::Busy
                                    | CallStatus::NoAnswer
                            )
                        ) =>
                    {
                        tracing::info!(call_sid = %sid, "caller hung up before joining the call-in queue");
                        if let Err(error) = store
                            .log_call_ended(&sid, "abandoned", Some("hung up before joining the queue"))
                            .await
                        {
                            tracing::warn!(call_sid = %sid, %error, "could not close the call-log row");
                        }
                    }
                    Ok(_) => {}
                    Err(error) if error.status() == Some(404) => {
                        tracing::warn!(call_sid = %sid, "a dropped caller's call is unknown to Twilio");
                    }
                    Err(error) => {
                        tracing::warn!(call_sid = %sid, %error, "could not check a dropped caller's call")
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

#[cfg(test)]
mod tests {
    use super::close_vanished;
    use crate::store::{CallFilter, CallKind, NewCall, connect};
    use twilio::rest::{Auth, Client, ClientConfig};
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    #[tokio::test]
    async fn a_dropped_caller_s_row_is_closed_only_when_twilio_says_the_call_is_over() {
        let server = MockServer::start().await;
        for (sid, status) in [("CAover", "completed"), ("CAlive", "in-progress")] {
            Mock::given(method("GET"))
                .and(path_regex(format!("/Calls/{sid}\\.json$")))
                .respond_with(ResponseTemplate::new(200).set_body_json(
                    serde_json::json!({"sid": sid, "status": status, "from": "+14155550123"}),
                ))
                .mount(&server)
                .await;
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            base_url: server.uri(),
            max_retries: 0,
            ..Default::default()
        };
        let client = Client::new(
            "AC00000000000000000000000000000000",
            Auth::auth_token("t"),
            config,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = connect(&format!(
            "sqlite://{}",
            dir.path().join("t.sqlite").display()
        ))
        .await
        .unwrap();
        for sid in ["CAover", "CAlive", "CAunknown"] {
            let call = NewCall::now(sid, CallKind::Queue, "+14155550123", "waiting");
            store.log_call(call).await.unwrap();
        }
        close_vanished(
            client,
            store.clone(),
            vec!["CAover".into(), "CAlive".into(), "CAunknown".into()],
        )
        .await;
        let calls = store
            .list_calls(&CallFilter {
                limit: 10,
                ..CallFilter::default()
            })
            .await
            .unwrap();
        let row = |sid: &str| calls.iter().find(|c| c.call_sid == sid).unwrap();
        assert_eq!(row("CAover").outcome, "abandoned");
        assert!(row("CAover").ended_at.is_some());
        assert_eq!(
            row("CAover").detail.as_deref(),
            Some("hung up before joining the queue")
        );
        for live in ["CAlive", "CAunknown"] {
            assert_eq!(row(live).outcome, "waiting", "{live} is left alone");
            assert!(row(live).ended_at.is_none());
        }
    }
}
