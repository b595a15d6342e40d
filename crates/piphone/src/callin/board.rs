//! The queue as piphone believes it is: who waits (place, wait, number), who is on the air, and how fresh the
//! picture is. Pure data with the rules for merging webhook events and poll results; [`super::QueueHub`] wraps
//! it in a lock and publishes each change.
//!
//! Two sources feed it: Twilio's webhooks (immediate, one caller at a time) and the reconcile poll (complete,
//! but a few seconds old when it lands). A poll result never undoes what a webhook said after the poll started.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::numbers::NumberCache;

/// How many departures the board remembers for the console.
const RECENT: usize = 10;
/// How long a departed caller is kept from reappearing through an older poll result.
const LEFT_MEMORY: Duration = Duration::from_secs(120);
/// A caller announced by `/voice/incoming` hears the greeting before Twilio enqueues them, so the poll cannot
/// see them yet; they are kept this long without confirmation (a hold round or a poll) before the poll may drop
/// them (a caller who hangs up during the greeting never reaches `/voice/left`).
const GREETING_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
struct Waiting {
    call_sid: String,
    position: u32,
    wait_seconds: u64,
    wait_as_of: Instant,
    /// Last time a webhook spoke about this caller.
    touched: Instant,
    /// How many times the hold TwiML has been requested for this caller.
    rounds: u32,
    /// When `/voice/incoming` (or the first hold round, or a poll) first showed this caller.
    arrived: Instant,
    /// Twilio confirmed the caller is in the queue (a hold round or a poll listed them).
    confirmed: bool,
}

#[derive(Debug, Clone)]
struct OnAir {
    call_sid: String,
    since: Instant,
    /// The host's call that took this caller (`DequeingCallSid`).
    host_call_sid: Option<String>,
    host: Option<String>,
}

/// What the poll saw: `(call_sid, position, wait_seconds)` front first, and the queue's average wait.
#[derive(Debug, Clone, Default)]
pub struct PollResult {
    pub queue_sid: Option<String>,
    pub members: Vec<(String, u32, u64)>,
    pub average_wait_seconds: u64,
}

/// The queue state.
#[derive(Debug)]
pub struct Board {
    queue: String,
    max_size: u32,
    stale_after: Duration,
    waiting: Vec<Waiting>,
    on_air: Vec<OnAir>,
    recent: VecDeque<Departure>,
    left: HashMap<String, Instant>,
    average_wait_seconds: u64,
    pub(super) queue_sid: Option<String>,
    pub(super) numbers: NumberCache,
    confirmed: Option<(Instant, OffsetDateTime)>,
    poll_failing: bool,
    /// Identities of hosts' calls taking callers, by their CallSid.
    hosts: HashMap<String, String>,
}

impl Board {
    /// An empty board for `queue`. It reports itself stale when no poll succeeded for `stale_after`.
    pub fn new(queue: &str, max_size: u32, stale_after: Duration) -> Board {
        Board {
            queue: queue.to_owned(),
            max_size,
            stale_after,
            waiting: Vec::new(),
            on_air: Vec::new(),
            recent: VecDeque::new(),
            left: HashMap::new(),
            average_wait_seconds: 0,
            queue_sid: None,
            numbers: NumberCache::default(),
            confirmed: None,
            poll_failing: false,
            hosts: HashMap::new(),
        }
    }

    pub fn queue(&self) -> &str {
        &self.queue
    }

    /// Twilio's SID for the queue, as a webhook (`QueueSid`) told it: the poll need not look it up by name.
    pub fn learn_queue_sid(&mut self, sid: &str) {
        if !sid.is_empty() {
            self.queue_sid = Some(sid.to_owned());
        }
    }

    /// Callers waiting now.
    pub fn size(&self) -> usize {
        self.waiting.len()
    }

    fn find(&mut self, call_sid: &str) -> Option<&mut Waiting> {
        self.waiting.iter_mut().find(|w| w.call_sid == call_sid)
    }

    fn sort(&mut self) {
        self.waiting.sort_by_key(|w| w.position);
    }

    /// Removes a waiting caller; everyone behind moves up one place.
    fn remove_waiting(&mut self, call_sid: &str) -> bool {
        let Some(i) = self.waiting.iter().position(|w| w.call_sid == call_sid) else {
            return false;
        };
        let gone = self.waiting.remove(i);
        for w in &mut self.waiting {
            if w.position > gone.position {
                w.position -= 1;
            }
        }
        true
    }

    /// A caller is about to be enqueued (`/voice/incoming`): shown at the back at once.
    pub fn arrived(&mut self, call_sid: &str, from: Option<&str>) {
        if let Some(f) = from {
            self.numbers.insert(call_sid, f);
        }
        self.left.remove(call_sid);
        let now = Instant::now();
        if let Some(w) = self.find(call_sid) {
            w.touched = now;
            return;
        }
        let position = self.waiting.iter().map(|w| w.position).max().unwrap_or(0) + 1;
        self.waiting.push(Waiting {
            call_sid: call_sid.to_owned(),
            position,
            wait_seconds: 0,
            wait_as_of: now,
            touched: now,
            rounds: 0,
            arrived: now,
            confirmed: false,
        });
    }

    /// The hold TwiML was requested (`/voice/wait`) with Twilio's `QueuePosition` and `QueueTime`.
    /// Returns how many times it had been requested for this caller before.
    pub fn holding(
        &mut self,
        call_sid: &str,
        from: Option<&str>,
        position: Option<u32>,
        queue_time: Option<u64>,
    ) -> u32 {
        if let Some(f) = from {
            self.numbers.insert(call_sid, f);
        }
        if self.left.contains_key(call_sid) {
            return 0;
        }
        self.arrived(call_sid, None);
        let now = Instant::now();
        let i = self
            .waiting
            .iter()
            .position(|w| w.call_sid == call_sid)
            .expect("just added");
        let mut w = self.waiting.remove(i);
        if let Some(t) = queue_time {
            w.wait_seconds = t;
            w.wait_as_of = now;
        }
        let rounds = w.rounds;
        w.rounds += 1;
        w.confirmed = true;
        // Twilio knows this caller's place: put them there and number everyone in order.
        let at = position
            .filter(|p| *p > 0)
            .map_or(i, |p| p as usize - 1)
            .min(self.waiting.len());
        self.waiting.insert(at, w);
        for (n, w) in self.waiting.iter_mut().enumerate() {
            w.position = n as u32 + 1;
        }
        rounds
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

    /// The caller was dequeued to a host (`/voice/on-air`).
    pub fn on_air(&mut self, call_sid: &str, from: Option<&str>, host_call_sid: Option<&str>) {
        if let Some(f) = from {
            self.numbers.insert(call_sid, f);
        }
        self.remove_waiting(call_sid);
        self.left.insert(call_sid.to_owned(), Instant::now());
        self.on_air.retain(|o| o.call_sid != call_sid);
        let host = host_call_sid.and_then(|h| self.hosts.get(h).cloned());
        self.on_air.push(OnAir {
            call_sid: call_sid.to_owned(),
            since: Instant::now(),
            host_call_sid: host_call_sid.map(str::to_owned),
            host,
        });
    }

    /// The caller left the queue or the air (`/voice/left`, Twilio's `QueueResult` and `QueueTime`).
    pub fn left(&mut self, call_sid: &str, result: &str, queue_seconds: u64) {
        self.remove_waiting(call_sid);
        self.on_air.retain(|o| o.call_sid != call_sid);
        self.left.insert(call_sid.to_owned(), Instant::now());
        self.recent.push_front(Departure {
            call_sid: call_sid.to_owned(),
            from: self.numbers.get(call_sid).map(str::to_owned),
            result: result.to_owned(),
            queue_seconds,
            at: view::rfc3339(OffsetDateTime::now_utc()),
        });
        self.recent.truncate(RECENT);
        self.forget_departed();
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

    /// Whether `call_sid` is waiting or on the air.
    pub fn is_present(&self, call_sid: &str) -> bool {
        self.waiting.iter().any(|w| w.call_sid == call_sid)
            || self.on_air.iter().any(|o| o.call_sid == call_sid)
    }

    /// Merges a poll that started at `started`. Returns the waiting callers whose number is unknown and not yet
    /// being looked up (the caller of this method looks each up once).
    pub fn reconcile(&mut self, poll: PollResult, started: Instant) -> Vec<String> {
        let now = Instant::now();
        if poll.queue_sid.is_some() {
            self.queue_sid = poll.queue_sid;
        }
        let mut next: Vec<Waiting> = Vec::with_capacity(poll.members.len());
        for (sid, position, wait) in poll.members {
            let departed_since = self.left.get(&sid).is_some_and(|t| *t >= started);
            let on_air = self.on_air.iter().any(|o| o.call_sid == sid);
            if departed_since || on_air {
                continue;
            }
            let (touched, rounds, arrived) = self
                .waiting
                .iter()
                .find(|w| w.call_sid == sid)
                .map_or((started, 0, now), |w| (w.touched, w.rounds, w.arrived));
            next.push(Waiting {
                call_sid: sid,
                position,
                wait_seconds: wait,
                wait_as_of: now,
                touched,
                rounds,
                arrived,
                confirmed: true,
            });
        }
        // Callers a webhook announced after the poll started are newer than the poll; callers still hearing
        // the greeting are not in Twilio's queue yet.
        for w in &self.waiting {
            let newer = w.touched > started;
            let greeting = !w.confirmed && w.arrived.elapsed() < GREETING_GRACE;
            if (newer || greeting) && !next.iter().any(|n| n.call_sid == w.call_sid) {
                next.push(w.clone());
            }
        }
        self.waiting = next;
        self.sort();
        self.average_wait_seconds = poll.average_wait_seconds;
        self.confirmed = Some((now, OffsetDateTime::now_utc()));
        self.poll_failing = false;
        self.left.retain(|_, t| t.elapsed() < LEFT_MEMORY);
        self.forget_departed();
        self.waiting
            .iter()
            .map(|w| w.call_sid.clone())
            .filter(|sid| self.numbers.claim(sid))
            .collect()
    }

    /// The poll failed: the picture may be out of date until one succeeds.
    pub fn poll_failed(&mut self) {
        self.poll_failing = true;
    }

    fn forget_departed(&mut self) {
        let live: HashSet<&str> = self
            .waiting
            .iter()
            .map(|w| w.call_sid.as_str())
            .chain(self.on_air.iter().map(|o| o.call_sid.as_str()))
            .collect();
        self.numbers.retain(&live);
    }
}

mod view;

pub use view::{Departure, MemberView, OnAirView, Snapshot};

#[cfg(test)]
mod tests;
