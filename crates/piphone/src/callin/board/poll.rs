//! The reconcile poll on the board: what the poller saw of both queues, merged so that it never undoes what a
//! webhook said after the poll started.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::{Board, Line};

/// A screening whose call never reached the screener's TwiML (the caller hung up as they were taken) is
/// forgotten after this long.
const SCREENING_GRACE: Duration = Duration::from_secs(30);

/// What one queue's poll saw: `(call_sid, position, wait_seconds)` front first, and the queue's average wait.
#[derive(Debug, Clone, Default)]
pub struct LinePoll {
    pub queue_sid: Option<String>,
    pub members: Vec<(String, u32, u64)>,
    pub average_wait_seconds: u64,
}

/// What the poll saw of both queues.
#[derive(Debug, Clone, Default)]
pub struct PollResult {
    pub main: LinePoll,
    pub screened: LinePoll,
}

impl Board {
    /// Merges a poll that started at `started` (the board's time is when it ended). Returns the callers whose
    /// number is unknown and not yet being looked up (the caller of this method looks each up once).
    pub fn reconcile(&mut self, poll: PollResult, started: Instant) -> Vec<String> {
        let now = self.now.instant;
        let elsewhere: HashSet<String> = self
            .on_air
            .iter()
            .map(|o| o.call_sid.clone())
            .chain(self.screening.iter().map(|s| s.call_sid.clone()))
            .chain(self.picks.iter().map(|p| p.call_sid.clone()))
            .collect();
        for (line, result) in [(Line::Main, poll.main), (Line::Screened, poll.screened)] {
            let q = self.line_mut(line);
            if result.queue_sid.is_some() {
                q.sid = result.queue_sid;
            }
            let vanished = q.reconcile(
                result.members,
                result.average_wait_seconds,
                started,
                now,
                |sid| elsewhere.contains(sid),
            );
            self.vanished.extend(vanished);
        }
        // A screener who never got the call, a host who never got the caller they chose (the caller hung up
        // as they were taken).
        self.screening
            .retain(|s| s.connected || now.saturating_duration_since(s.since) < SCREENING_GRACE);
        self.picks
            .retain(|p| p.arrived || now.saturating_duration_since(p.since) < SCREENING_GRACE);
        self.confirmed = Some((now, self.now.wall()));
        self.poll_failing = false;
        self.forget_departed();
        self.main
            .waiting
            .iter()
            .chain(&self.screened.waiting)
            .map(|w| w.call_sid.clone())
            .filter(|sid| self.numbers.claim(sid))
            .collect()
    }

    /// Callers dropped by polls without Twilio ever confirming them in a queue (see [`Board::reconcile`]), since
    /// the last call.
    pub fn take_vanished(&mut self) -> Vec<String> {
        std::mem::take(&mut self.vanished)
    }

    /// The poll failed: the picture may be out of date until one succeeds.
    pub fn poll_failed(&mut self) {
        self.poll_failing = true;
    }
}
