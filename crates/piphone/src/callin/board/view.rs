//! What the board shows: the JSON of `/queue-status` and of each `/events` message.

use serde::Serialize;
use time::OffsetDateTime;

use super::Board;

/// One caller who left the queue, and why (Twilio's `QueueResult`).
#[derive(Debug, Clone, Serialize)]
pub struct Departure {
    pub call_sid: String,
    pub from: Option<String>,
    pub result: String,
    pub queue_seconds: u64,
    /// RFC 3339.
    pub at: String,
}

/// A waiting caller as `/queue-status` shows them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberView {
    pub call_sid: String,
    pub position: u32,
    pub wait_seconds: u64,
    pub from: Option<String>,
}

/// The caller on the air.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OnAirView {
    pub call_sid: String,
    pub from: Option<String>,
    pub seconds: u64,
    pub host: Option<String>,
}

/// The whole picture, as `/queue-status` and each `/events` message carry it.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub queue: String,
    pub size: usize,
    pub max_size: u32,
    pub average_wait_seconds: u64,
    pub members: Vec<MemberView>,
    pub on_air: Vec<OnAirView>,
    /// When Twilio last confirmed the picture (the reconcile poll); `null` before the first success.
    /// RFC 3339.
    pub updated_at: Option<String>,
    /// Seconds since `updated_at`, when this snapshot was made.
    pub age_seconds: Option<u64>,
    /// Twilio could not be reached lately: the picture may be out of date.
    pub stale: bool,
    pub recent: Vec<Departure>,
}

impl Board {
    /// The picture now.
    pub fn snapshot(&self) -> Snapshot {
        let number = |sid: &str| self.numbers.get(sid).map(str::to_owned);
        let age = self.confirmed.map(|(at, _)| at.elapsed());
        Snapshot {
            queue: self.queue.clone(),
            size: self.waiting.len(),
            max_size: self.max_size,
            average_wait_seconds: self.average_wait_seconds,
            members: self
                .waiting
                .iter()
                .map(|w| MemberView {
                    call_sid: w.call_sid.clone(),
                    position: w.position,
                    wait_seconds: w.wait_seconds + w.wait_as_of.elapsed().as_secs(),
                    from: number(&w.call_sid),
                })
                .collect(),
            on_air: self
                .on_air
                .iter()
                .map(|o| OnAirView {
                    call_sid: o.call_sid.clone(),
                    from: number(&o.call_sid),
                    seconds: o.since.elapsed().as_secs(),
                    host: o.host.clone(),
                })
                .collect(),
            updated_at: self.confirmed.map(|(_, t)| rfc3339(t)),
            age_seconds: age.map(|a| a.as_secs()),
            stale: self.poll_failing || age.is_some_and(|a| a > self.stale_after),
            recent: self.recent.iter().cloned().collect(),
        }
    }
}

pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
