//! Recording calls in the call log from the webhooks and the console's actions, and the log's retention.
//!
//! Each function takes the [`Store`] (and the dial policy, for numbers), not the whole app state.
//!
//! A failed write is logged and never fails the call: a caller must not be dropped because a disk is slow.
//! (The dial log, which guards against toll fraud, is the opposite: see `store/dial_log.rs`.)

use std::time::Duration;

use crate::domain::{DialPolicy, PhoneNumber};
use crate::store::{NewCall, Store, now_unix};

/// How often old rows are purged after the purge at start-up.
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// A caller's `From` as the log and the ban list keep it: E.164 when it parses, else as Twilio sent it.
pub fn caller_number(policy: &DialPolicy, from: &str) -> String {
    PhoneNumber::parse_caller(from, policy.default_region.as_deref())
        .map(|n| n.e164().to_owned())
        .unwrap_or_else(|_| from.trim().to_owned())
}

fn warn(what: &str, call_sid: &str, error: impl std::fmt::Display) {
    tracing::error!(call_sid, %error, "call log: could not record {what}");
}

/// A call began (or, with [`NewCall::ended`], began and ended at once).
pub async fn started(store: &Store, call: NewCall<'_>) {
    if call.call_sid.is_empty() {
        return;
    }
    let sid = call.call_sid;
    if let Err(e) = store.log_call(call).await {
        warn("a call", sid, e);
    }
}

/// A live call moved on (`waiting`, `screening`, `screened`…).
pub async fn progress(store: &Store, call_sid: &str, outcome: &str) {
    if let Err(e) = store.log_call_progress(call_sid, outcome).await {
        warn(outcome, call_sid, e);
    }
}

/// A screener took the call.
pub async fn screener(store: &Store, call_sid: &str, screener: &str) {
    if let Err(e) = store.log_call_screener(call_sid, screener).await {
        warn("the screener", call_sid, e);
    }
}

/// The caller went on the air.
pub async fn on_air(store: &Store, call_sid: &str, host: Option<&str>) {
    if let Err(e) = store.log_call_on_air(call_sid, host).await {
        warn("going on the air", call_sid, e);
    }
}

/// The call ended.
pub async fn ended(store: &Store, call_sid: &str, outcome: &str, detail: Option<&str>) {
    if call_sid.is_empty() {
        return;
    }
    if let Err(e) = store.log_call_ended(call_sid, outcome, detail).await {
        warn("the end of a call", call_sid, e);
    }
}

/// How a call to the station ended, from Twilio's `QueueResult` (the `<Enqueue action>`). `None`: the caller
/// did not end (redirected out of the queue by piphone, or left one queue for another).
pub fn queue_outcome(queue_result: &str) -> Option<&'static str> {
    match queue_result {
        "redirected" | "leave" => None,
        "bridged" => Some("aired"),
        "hangup" => Some("abandoned"),
        "queue-full" => Some("queue-full"),
        "error" | "system-error" => Some("error"),
        _ => Some("ended"),
    }
}

/// Deletes rows older than `days` (0 keeps everything). Returns how many went.
pub async fn purge(store: &Store, days: u32) -> u64 {
    if days == 0 {
        return 0;
    }
    let cutoff = now_unix() - i64::from(days) * 86_400;
    match store.purge_call_log(cutoff).await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(rows = n, days, "call log: purged calls past retention");
            }
            n
        }
        Err(e) => {
            tracing::error!(error = %e, "call log: purge failed");
            0
        }
    }
}

/// Purges daily from now on (the purge at start-up is [`purge`], awaited before serving).
pub fn spawn_retention(store: Store, days: u32) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_EVERY);
        ticks.tick().await; // the first tick is immediate: start-up already purged
        loop {
            ticks.tick().await;
            purge(&store, days).await;
        }
    })
}
