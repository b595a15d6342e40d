//! The call-in as piphone believes it is: who waits in the call-in queue and in the screened queue (place, wait,
//! number), who is with a screener, who is on the air, what the screeners wrote about each caller and what the
//! station knows from earlier calls, the console's messages, and how fresh the picture is. Pure data with the
//! rules for merging webhook events and poll results; [`super::QueueHub`] wraps it in a lock and publishes each
//! change.
//!
//! Two sources feed it: Twilio's webhooks (immediate, one caller at a time) and the reconcile poll (complete,
//! but a few seconds old when it lands). A poll result never undoes what a webhook said after the poll started.
//! A caller moves: call-in queue → screener → screened queue → on the air; or straight from either queue to
//! the air.
//!
//! The board never reads the clock: whoever holds it says what time it is ([`Board::set_time`]; the hub does,
//! each time it takes the lock), so its rules can be tested at any moment without waiting.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use time::OffsetDateTime;

use super::numbers::NumberCache;
use crate::domain::{CallerNotes, Role};
use crate::store::History;
use line::LineQueue;

/// How many departures the board remembers for the console.
const RECENT: usize = 10;
/// How many console messages the board keeps (each snapshot carries them).
const MESSAGES: usize = 20;
/// A moment as the board's holder read the clock: the monotonic instant (waits, grace periods, staleness) and
/// the wall-clock time (the times shown).
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    pub instant: Instant,
    pub system: SystemTime,
}

impl Moment {
    fn wall(&self) -> OffsetDateTime {
        OffsetDateTime::from(self.system)
    }
}

/// The two Twilio queues of the call-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Line {
    /// The call-in queue: callers nobody has screened yet.
    Main,
    /// `<queue>-screened`: callers a screener sent on, waiting for the host.
    Screened,
}

impl Line {
    /// From the `line` query parameter piphone puts on its own webhook URLs (absent: the call-in queue).
    pub fn from_query(value: Option<&str>) -> Line {
        match value {
            Some("screened") => Line::Screened,
            _ => Line::Main,
        }
    }
}

/// A caller with a screener.
#[derive(Debug, Clone)]
struct Screening {
    call_sid: String,
    screener: String,
    since: Instant,
    /// The caller's call reached the screener's TwiML (`/voice/screen`).
    connected: bool,
}

/// A screened caller a host chose ("Take"): moved to the host's own queue, where the host's line takes them.
#[derive(Debug, Clone)]
struct Pick {
    call_sid: String,
    host: String,
    since: Instant,
    /// Twilio has them in the host's queue (its hold TwiML was requested).
    arrived: bool,
}

#[derive(Debug, Clone)]
struct OnAir {
    call_sid: String,
    since: Instant,
    /// The host's call that took this caller (`DequeingCallSid`).
    host_call_sid: Option<String>,
    host: Option<String>,
}

/// What the board knows about a caller beyond the queue: the screener's notes and the number's history.
#[derive(Debug, Clone, Default, serde::Serialize, PartialEq, Eq)]
pub struct CallerCard {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<CallerNotes>,
    /// Who screened this call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screener: Option<String>,
    /// Earlier calls from this number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<History>,
}

/// A text message between the console's users.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Message {
    pub from: String,
    pub role: Role,
    pub text: String,
    /// RFC 3339.
    pub at: String,
}

/// Why a caller cannot be taken for screening.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenRefusal {
    #[error("that caller is not waiting")]
    NotWaiting,
    #[error("that caller is still hearing the greeting; try again in a moment")]
    NotYetQueued,
    #[error("{0} is already screening that caller")]
    Taken(String),
}

/// The call-in state.
#[derive(Debug)]
pub struct Board {
    max_size: u32,
    stale_after: Duration,
    screened_only: bool,
    main: LineQueue,
    screened: LineQueue,
    screening: Vec<Screening>,
    picks: Vec<Pick>,
    on_air: Vec<OnAir>,
    recent: VecDeque<Departure>,
    pub(super) numbers: NumberCache,
    cards: HashMap<String, CallerCard>,
    messages: VecDeque<Message>,
    confirmed: Option<(Instant, OffsetDateTime)>,
    /// The time as last told ([`Board::set_time`]).
    now: Moment,
    poll_failing: bool,
    /// Identities of hosts' calls taking callers, by their CallSid.
    hosts: HashMap<String, String>,
    /// Callers announced by a webhook whom Twilio never confirmed in a queue, dropped by a poll: most likely
    /// they hung up during the greeting, which no webhook reports. Taken by the poller to check with Twilio.
    vanished: Vec<String>,
}

impl Board {
    /// An empty board for the call-in queue `queue` and the screened queue `screened`. It reports itself stale
    /// when no poll succeeded for `stale_after`. `now` is the time until [`Board::set_time`] says otherwise.
    pub fn new(
        queue: &str,
        screened: &str,
        max_size: u32,
        stale_after: Duration,
        now: Moment,
    ) -> Board {
        Board {
            max_size,
            stale_after,
            screened_only: false,
            main: LineQueue::new(queue),
            screened: LineQueue::new(screened),
            screening: Vec::new(),
            picks: Vec::new(),
            on_air: Vec::new(),
            recent: VecDeque::new(),
            numbers: NumberCache::default(),
            cards: HashMap::new(),
            messages: VecDeque::new(),
            confirmed: None,
            poll_failing: false,
            hosts: HashMap::new(),
            vanished: Vec::new(),
            now,
        }
    }

    /// The time now: what the changes that follow record, and what the snapshots count waits up to.
    pub fn set_time(&mut self, now: Moment) {
        self.now = now;
    }

    /// Hosts take screened callers only (`PIPHONE_SCREENED_ONLY`).
    pub fn screened_only(mut self, only: bool) -> Board {
        self.screened_only = only;
        self
    }

    fn line(&self, line: Line) -> &LineQueue {
        match line {
            Line::Main => &self.main,
            Line::Screened => &self.screened,
        }
    }

    fn line_mut(&mut self, line: Line) -> &mut LineQueue {
        match line {
            Line::Main => &mut self.main,
            Line::Screened => &mut self.screened,
        }
    }

    /// The call-in queue's name.
    pub fn queue(&self) -> &str {
        &self.main.name
    }

    /// A queue's name and its Twilio SID, if known.
    pub fn queue_of(&self, line: Line) -> (String, Option<String>) {
        let q = self.line(line);
        (q.name.clone(), q.sid.clone())
    }

    /// Twilio's SID for a queue, as a webhook (`QueueSid`) or a lookup told it (`None`: forget it).
    pub fn learn_queue_sid(&mut self, line: Line, sid: Option<&str>) {
        self.line_mut(line).sid = sid.filter(|s| !s.is_empty()).map(str::to_owned);
    }

    /// Callers waiting in the call-in queue now.
    pub fn size(&self) -> usize {
        self.main.len()
    }

    /// Callers waiting in `line` now.
    pub fn size_of(&self, line: Line) -> usize {
        self.line(line).len()
    }

    /// Which queue a host's line should take from next: screened callers first (Twilio's `<Dial><Queue>` takes
    /// the one who has waited longest), then — unless hosts take screened callers only — the call-in queue.
    pub fn next_line(&self) -> Option<Line> {
        if self.screened.len() > 0 {
            Some(Line::Screened)
        } else if !self.screened_only && self.main.len() > 0 {
            Some(Line::Main)
        } else {
            None
        }
    }

    fn remember_number(&mut self, call_sid: &str, from: Option<&str>) {
        if let Some(f) = from {
            self.numbers.insert(call_sid, f);
        }
    }

    /// A caller is about to join `line` (`/voice/incoming`, or sent there by piphone): shown at the back at once.
    pub fn arrived(&mut self, line: Line, call_sid: &str, from: Option<&str>) {
        self.remember_number(call_sid, from);
        let now = self.now.instant;
        self.line_mut(line).arrive(call_sid, now);
    }

    /// The hold TwiML of `line` was requested (`/voice/wait`) with Twilio's `QueuePosition` and `QueueTime`.
    /// Returns how many times it had been requested for this caller before.
    pub fn holding(
        &mut self,
        line: Line,
        call_sid: &str,
        from: Option<&str>,
        position: Option<u32>,
        queue_time: Option<u64>,
    ) -> u32 {
        self.remember_number(call_sid, from);
        let now = self.now.instant;
        self.line_mut(line)
            .hold(call_sid, position, queue_time, now)
            .unwrap_or(0)
    }

    /// A host's call is taking callers: remember whose it is.
    pub fn host_call(&mut self, call_sid: &str, identity: &str) {
        self.hosts.insert(call_sid.to_owned(), identity.to_owned());
    }

    /// A host's call ended or moved on (`/voice/next`): its caller is no longer on the air.
    pub fn host_moved_on(&mut self, host_call_sid: &str) {
        self.on_air
            .retain(|o| o.host_call_sid.as_deref() != Some(host_call_sid));
    }

    /// A host's call is gone for good.
    pub fn host_gone(&mut self, host_call_sid: &str) {
        self.host_moved_on(host_call_sid);
        self.hosts.remove(host_call_sid);
    }

    /// Takes a caller out of both queues and away from any screener.
    fn take_out(&mut self, call_sid: &str) {
        self.main.remove(call_sid, self.now.instant);
        self.screened.remove(call_sid, self.now.instant);
        self.screening.retain(|s| s.call_sid != call_sid);
        self.picks.retain(|p| p.call_sid != call_sid);
    }

    /// The caller was dequeued to a host (`/voice/on-air`). Returns the host's identity, when known.
    pub fn on_air(
        &mut self,
        call_sid: &str,
        from: Option<&str>,
        host_call_sid: Option<&str>,
    ) -> Option<String> {
        self.remember_number(call_sid, from);
        self.take_out(call_sid);
        self.on_air.retain(|o| o.call_sid != call_sid);
        let host = host_call_sid.and_then(|h| self.hosts.get(h).cloned());
        self.on_air.push(OnAir {
            call_sid: call_sid.to_owned(),
            since: self.now.instant,
            host_call_sid: host_call_sid.map(str::to_owned),
            host: host.clone(),
        });
        host
    }

    /// A caller on the air is back in the screened queue (a hybrid line's stream broke): shown waiting there at
    /// once, with their notes.
    pub fn back_to_screened(&mut self, call_sid: &str) {
        self.on_air.retain(|o| o.call_sid != call_sid);
        self.screened.arrive(call_sid, self.now.instant);
    }

    /// The caller left `line` (`/voice/left`, Twilio's `QueueResult` and `QueueTime`). `redirected` and `leave`
    /// mean piphone moved them on (to a screener, another queue): only that queue changes. Anything else is a
    /// departure.
    pub fn left(&mut self, line: Line, call_sid: &str, result: &str, queue_seconds: u64) {
        if matches!(result, "redirected" | "leave") {
            let now = self.now.instant;
            self.line_mut(line).remove(call_sid, now);
        } else {
            self.depart(call_sid, result, queue_seconds);
        }
    }

    /// The caller's call is over (or no longer the call-in's): gone from everywhere, listed among departures.
    pub fn depart(&mut self, call_sid: &str, result: &str, queue_seconds: u64) {
        self.take_out(call_sid);
        self.on_air.retain(|o| o.call_sid != call_sid);
        self.recent.push_front(Departure {
            call_sid: call_sid.to_owned(),
            from: self.numbers.get(call_sid).map(str::to_owned),
            result: result.to_owned(),
            queue_seconds,
            at: view::rfc3339(self.now.wall()),
        });
        self.recent.truncate(RECENT);
        self.forget_departed();
    }

    /// A call refused at the door (a banned number): shown among the departures, never waiting.
    pub fn refused(&mut self, call_sid: &str, from: &str, result: &str) {
        self.recent.push_front(Departure {
            call_sid: call_sid.to_owned(),
            from: Some(from.to_owned()),
            result: result.to_owned(),
            queue_seconds: 0,
            at: view::rfc3339(self.now.wall()),
        });
        self.recent.truncate(RECENT);
    }

    /// Where a caller is: waiting in a queue, with a screener, or on the air.
    pub fn place_of(&self, call_sid: &str) -> Option<Place> {
        if self.main.contains(call_sid) {
            Some(Place::Waiting(Line::Main))
        } else if self.screened.contains(call_sid) {
            Some(Place::Waiting(Line::Screened))
        } else if self.screening.iter().any(|s| s.call_sid == call_sid) {
            Some(Place::Screening)
        } else if self.picks.iter().any(|p| p.call_sid == call_sid) {
            Some(Place::Picked)
        } else if self.on_air.iter().any(|o| o.call_sid == call_sid) {
            Some(Place::OnAir)
        } else {
            None
        }
    }

    /// Whether `call_sid` is waiting, with a screener or on the air.
    pub fn is_present(&self, call_sid: &str) -> bool {
        self.place_of(call_sid).is_some()
    }

    /// The caller's number, when known.
    pub fn number_of(&self, call_sid: &str) -> Option<&str> {
        self.numbers.get(call_sid)
    }

    /// The caller on the air with `host`'s call, or the only caller on the air.
    pub fn on_air_for(&self, host: &str) -> Option<String> {
        self.on_air
            .iter()
            .find(|o| o.host.as_deref() == Some(host))
            .or(match self.on_air.as_slice() {
                [only] => Some(only),
                _ => None,
            })
            .map(|o| o.call_sid.clone())
    }

    fn forget_departed(&mut self) {
        let live: HashSet<&str> = self
            .main
            .waiting
            .iter()
            .chain(&self.screened.waiting)
            .map(|w| w.call_sid.as_str())
            .chain(self.screening.iter().map(|s| s.call_sid.as_str()))
            .chain(self.picks.iter().map(|p| p.call_sid.as_str()))
            .chain(self.on_air.iter().map(|o| o.call_sid.as_str()))
            .collect();
        self.numbers.retain(&live);
        self.cards.retain(|sid, _| live.contains(sid.as_str()));
    }
}

/// Where a caller is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Waiting(Line),
    Screening,
    /// Chosen by a host, on their way to the host's line.
    Picked,
    OnAir,
}

mod cards;
mod line;
mod picks;
mod poll;
mod screening;
mod view;

pub use picks::{HostTake, PickHold};
pub use poll::{LinePoll, PollResult};
pub use view::{Departure, LineView, MemberView, OnAirView, PickView, ScreeningView, Snapshot};

#[cfg(test)]
mod tests;
