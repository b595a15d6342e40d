//! One Twilio queue as the board sees it: who waits there, in which place, for how long, and who left it lately
//! (so that a poll that started before they left cannot bring them back).

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a departed caller is kept from reappearing through an older poll result.
const GONE_MEMORY: Duration = Duration::from_secs(120);
/// A caller announced by a webhook before Twilio has enqueued them (the greeting plays first; a caller sent to
/// the screened queue is being redirected) is kept this long without confirmation (a hold round or a poll)
/// before a poll may drop them: a caller who hangs up meanwhile never reaches `/voice/left`.
const ARRIVAL_GRACE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub(super) struct Waiting {
    pub(super) call_sid: String,
    pub(super) position: u32,
    pub(super) wait_seconds: u64,
    pub(super) wait_as_of: Instant,
    /// Last time a webhook spoke about this caller.
    touched: Instant,
    /// How many times the hold TwiML has been requested for this caller.
    rounds: u32,
    /// When a webhook (or a poll) first showed this caller in this queue.
    arrived: Instant,
    /// Twilio confirmed the caller is in the queue (a hold round or a poll listed them).
    pub(super) confirmed: bool,
}

/// One queue's waiting callers, front first.
#[derive(Debug)]
pub(super) struct LineQueue {
    pub(super) name: String,
    pub(super) sid: Option<String>,
    pub(super) waiting: Vec<Waiting>,
    pub(super) average_wait_seconds: u64,
    gone: HashMap<String, Instant>,
}

impl LineQueue {
    pub(super) fn new(name: &str) -> LineQueue {
        LineQueue {
            name: name.to_owned(),
            sid: None,
            waiting: Vec::new(),
            average_wait_seconds: 0,
            gone: HashMap::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.waiting.len()
    }

    pub(super) fn contains(&self, call_sid: &str) -> bool {
        self.waiting.iter().any(|w| w.call_sid == call_sid)
    }

    /// Whether Twilio has confirmed `call_sid` in this queue (it may still be hearing the greeting).
    pub(super) fn confirmed(&self, call_sid: &str) -> bool {
        self.waiting
            .iter()
            .any(|w| w.call_sid == call_sid && w.confirmed)
    }

    /// Takes a caller out; everyone behind moves up one place. Remembered as gone either way.
    pub(super) fn remove(&mut self, call_sid: &str, now: Instant) -> bool {
        self.gone.insert(call_sid.to_owned(), now);
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

    /// A caller is joining (a webhook said so): shown at the back at once, unless already here.
    pub(super) fn arrive(&mut self, call_sid: &str, now: Instant) {
        self.gone.remove(call_sid);
        if let Some(w) = self.waiting.iter_mut().find(|w| w.call_sid == call_sid) {
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

    /// A caller piphone took out a moment ago is still in Twilio's queue after all (the dequeue failed).
    pub(super) fn put_back(&mut self, call_sid: &str, now: Instant) {
        self.arrive(call_sid, now);
        if let Some(w) = self.waiting.iter_mut().find(|w| w.call_sid == call_sid) {
            w.confirmed = true;
        }
    }

    /// A hold round (`waitUrl`) with Twilio's `QueuePosition` and `QueueTime`. Returns how many rounds this
    /// caller had before, or `None` for a caller who already left this queue (a late round).
    pub(super) fn hold(
        &mut self,
        call_sid: &str,
        position: Option<u32>,
        queue_time: Option<u64>,
        now: Instant,
    ) -> Option<u32> {
        if self.gone.contains_key(call_sid) {
            return None;
        }
        self.arrive(call_sid, now);
        let i = self.waiting.iter().position(|w| w.call_sid == call_sid)?;
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
        Some(rounds)
    }

    /// Replaces the waiting list, at `now`, with what a poll that started at `started` saw (`(call_sid, position, wait)`),
    /// except callers who left since, those `elsewhere` says are not waiting (on the air, with a screener), and
    /// keeping callers a webhook announced since and those not yet confirmed.
    pub(super) fn reconcile(
        &mut self,
        members: Vec<(String, u32, u64)>,
        average_wait_seconds: u64,
        started: Instant,
        now: Instant,
        elsewhere: impl Fn(&str) -> bool,
    ) -> Vec<String> {
        let mut next: Vec<Waiting> = Vec::with_capacity(members.len());
        for (sid, position, wait) in members {
            let gone_since = self.gone.get(&sid).is_some_and(|t| *t >= started);
            if gone_since || elsewhere(&sid) {
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
        let mut vanished = Vec::new();
        for w in &self.waiting {
            if next.iter().any(|n| n.call_sid == w.call_sid) {
                continue;
            }
            let newer = w.touched > started;
            let arriving = !w.confirmed && now.saturating_duration_since(w.arrived) < ARRIVAL_GRACE;
            if newer || arriving {
                next.push(w.clone());
            } else if !w.confirmed
                && !elsewhere(&w.call_sid)
                && !self.gone.contains_key(&w.call_sid)
            {
                vanished.push(w.call_sid.clone());
            }
        }
        next.sort_by_key(|w| w.position);
        self.waiting = next;
        self.average_wait_seconds = average_wait_seconds;
        self.gone
            .retain(|_, t| now.saturating_duration_since(*t) < GONE_MEMORY);
        vanished
    }
}

#[cfg(test)]
impl LineQueue {
    /// Moves the given callers' arrival and last webhook back by `by` (tests of the grace periods).
    pub(super) fn backdate(&mut self, by: Duration, call_sids: &[&str]) {
        for w in self
            .waiting
            .iter_mut()
            .filter(|w| call_sids.contains(&w.call_sid.as_str()))
        {
            w.arrived -= by;
            w.touched -= by;
        }
    }
}
