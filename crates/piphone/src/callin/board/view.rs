//! What the board shows: the JSON of `/queue-status` and of each `/events` message.

use serde::Serialize;
use time::OffsetDateTime;

use super::line::LineQueue;
use super::{Board, CallerCard, Message};

/// One caller who left the queue, and why (Twilio's `QueueResult`, or piphone's: `dropped`, `banned`).
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
    /// Twilio has the caller in the queue (false while the greeting plays: they cannot be taken yet).
    pub in_queue: bool,
    /// Notes and history, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerCard>,
}

/// A caller with a screener.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScreeningView {
    pub call_sid: String,
    pub from: Option<String>,
    pub screener: String,
    pub seconds: u64,
    /// The call reached the screener's browser (it may still be ringing there).
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerCard>,
}

/// A caller a host chose, on their way to the host's line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PickView {
    pub call_sid: String,
    pub from: Option<String>,
    pub host: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerCard>,
}

/// The caller on the air.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OnAirView {
    pub call_sid: String,
    pub from: Option<String>,
    pub seconds: u64,
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerCard>,
}

/// The screened queue.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    pub queue: String,
    pub size: usize,
    pub average_wait_seconds: u64,
    pub members: Vec<MemberView>,
}

/// The whole picture, as `/queue-status` and each `/events` message carry it. The call-in queue's fields are
/// at the top level (as before screening existed); the screened queue is `screened`.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub queue: String,
    pub size: usize,
    pub max_size: u32,
    pub average_wait_seconds: u64,
    pub members: Vec<MemberView>,
    pub screened: LineView,
    pub screening: Vec<ScreeningView>,
    /// Callers hosts chose ("Take"), about to go on the air.
    pub picked: Vec<PickView>,
    pub on_air: Vec<OnAirView>,
    /// Hosts take screened callers only (`PIPHONE_SCREENED_ONLY`).
    pub screened_only: bool,
    /// When Twilio last confirmed the picture (the reconcile poll); `null` before the first success.
    /// RFC 3339.
    pub updated_at: Option<String>,
    /// Seconds since `updated_at`, when this snapshot was made.
    pub age_seconds: Option<u64>,
    /// Twilio could not be reached lately: the picture may be out of date.
    pub stale: bool,
    pub recent: Vec<Departure>,
    pub messages: Vec<Message>,
}

impl Board {
    /// How long ago `then` was, as the board's clock has it.
    fn since(&self, then: std::time::Instant) -> std::time::Duration {
        self.now.instant.saturating_duration_since(then)
    }

    fn number(&self, sid: &str) -> Option<String> {
        self.numbers.get(sid).map(str::to_owned)
    }

    fn card(&self, sid: &str) -> Option<CallerCard> {
        self.cards.get(sid).cloned()
    }

    fn members(&self, line: &LineQueue) -> Vec<MemberView> {
        line.waiting
            .iter()
            .map(|w| MemberView {
                call_sid: w.call_sid.clone(),
                position: w.position,
                wait_seconds: w.wait_seconds + self.since(w.wait_as_of).as_secs(),
                from: self.number(&w.call_sid),
                in_queue: w.confirmed,
                caller: self.card(&w.call_sid),
            })
            .collect()
    }

    /// The picture now.
    pub fn snapshot(&self) -> Snapshot {
        let age = self.confirmed.map(|(at, _)| self.since(at));
        Snapshot {
            queue: self.main.name.clone(),
            size: self.main.len(),
            max_size: self.max_size,
            average_wait_seconds: self.main.average_wait_seconds,
            members: self.members(&self.main),
            screened: LineView {
                queue: self.screened.name.clone(),
                size: self.screened.len(),
                average_wait_seconds: self.screened.average_wait_seconds,
                members: self.members(&self.screened),
            },
            screening: self
                .screening
                .iter()
                .map(|s| ScreeningView {
                    call_sid: s.call_sid.clone(),
                    from: self.number(&s.call_sid),
                    screener: s.screener.clone(),
                    seconds: self.since(s.since).as_secs(),
                    connected: s.connected,
                    caller: self.card(&s.call_sid),
                })
                .collect(),
            picked: self
                .picks
                .iter()
                .map(|p| PickView {
                    call_sid: p.call_sid.clone(),
                    from: self.number(&p.call_sid),
                    host: p.host.clone(),
                    caller: self.card(&p.call_sid),
                })
                .collect(),
            on_air: self
                .on_air
                .iter()
                .map(|o| OnAirView {
                    call_sid: o.call_sid.clone(),
                    from: self.number(&o.call_sid),
                    seconds: self.since(o.since).as_secs(),
                    host: o.host.clone(),
                    caller: self.card(&o.call_sid),
                })
                .collect(),
            screened_only: self.screened_only,
            updated_at: self.confirmed.map(|(_, t)| rfc3339(t)),
            age_seconds: age.map(|a| a.as_secs()),
            stale: self.poll_failing || age.is_some_and(|a| a > self.stale_after),
            recent: self.recent.iter().cloned().collect(),
            messages: self.messages.iter().cloned().collect(),
        }
    }
}

pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
