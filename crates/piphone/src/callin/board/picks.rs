//! A host chooses a particular caller ("Take"). Twilio's `<Dial><Queue>` only ever takes the front of a queue,
//! so the chosen caller is dequeued (REST) into a queue of the host's own, and the host's line is moved on
//! (REST redirect to `/voice/next`) once Twilio has them there; the line then dials that queue first. If the
//! host's line is gone, the caller leaves that queue (`<Leave/>`) and goes back to the screened queue.

use std::time::Duration;

use super::{Board, Line, Pick, ScreenRefusal};

/// How long a chosen caller waits in the host's queue before going back to the screened queue.
const PICK_PATIENCE: Duration = Duration::from_secs(30);

/// What a host's line takes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostTake {
    /// The caller this host chose, waiting in the host's own queue.
    Picked,
    /// The front of one of the call-in's queues.
    Queue(Line),
}

/// What the host's queue's hold TwiML should do with a chosen caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickHold {
    /// Wait (hold music); on the first round, move the host's line (this CallSid) on to take them.
    Wait { redirect_host: Option<String> },
    /// The host is gone or never came: back to the screened queue.
    Leave,
}

impl Board {
    /// The CallSid of `host`'s line, if it is open.
    pub fn host_line_of(&self, host: &str) -> Option<String> {
        self.hosts
            .iter()
            .find(|(_, identity)| identity.as_str() == host)
            .map(|(sid, _)| sid.clone())
    }

    /// `host` chooses `call_sid`: out of its queue at once (before Twilio is asked). Screened callers, and —
    /// unless hosts take screened callers only — unscreened ones who are in Twilio's queue.
    pub fn start_pick(&mut self, call_sid: &str, host: &str) -> Result<Line, ScreenRefusal> {
        if let Some(p) = self.picks.iter().find(|p| p.call_sid == call_sid) {
            return Err(ScreenRefusal::Taken(p.host.clone()));
        }
        let line = if self.screened.contains(call_sid) {
            Line::Screened
        } else if self.main.contains(call_sid) && !self.screened_only {
            Line::Main
        } else {
            return Err(ScreenRefusal::NotWaiting);
        };
        let queue = match line {
            Line::Main => &mut self.main,
            Line::Screened => &mut self.screened,
        };
        if !queue.confirmed(call_sid) {
            return Err(ScreenRefusal::NotYetQueued);
        }
        queue.remove(call_sid, self.now.instant);
        self.picks.push(Pick {
            call_sid: call_sid.to_owned(),
            host: host.to_owned(),
            since: self.now.instant,
            arrived: false,
        });
        Ok(line)
    }

    /// Twilio refused the dequeue: the caller is still where they were.
    pub fn pick_failed(&mut self, call_sid: &str, line: Line) {
        self.picks.retain(|p| p.call_sid != call_sid);
        match line {
            Line::Main => self.main.put_back(call_sid, self.now.instant),
            Line::Screened => self.screened.put_back(call_sid, self.now.instant),
        }
    }

    /// A hold round in `host`'s queue for `call_sid`.
    pub fn pick_hold(&mut self, call_sid: &str, host: &str) -> PickHold {
        let host_line = self.host_line_of(host);
        let pick = match self.picks.iter_mut().find(|p| p.call_sid == call_sid) {
            Some(p) => p,
            None => {
                self.picks.push(Pick {
                    call_sid: call_sid.to_owned(),
                    host: host.to_owned(),
                    since: self.now.instant,
                    arrived: false,
                });
                self.picks.last_mut().expect("just pushed")
            }
        };
        if host_line.is_none()
            || self.now.instant.saturating_duration_since(pick.since) > PICK_PATIENCE
        {
            return PickHold::Leave;
        }
        let first = !pick.arrived;
        pick.arrived = true;
        PickHold::Wait {
            redirect_host: host_line.filter(|_| first),
        }
    }

    /// The chosen caller left the host's queue without reaching the air: back to the screened queue.
    pub fn pick_returned(&mut self, call_sid: &str) {
        self.picks.retain(|p| p.call_sid != call_sid);
        self.screened.arrive(call_sid, self.now.instant);
    }

    /// What `host`'s line takes next: the caller they chose, then screened callers (the longest wait first),
    /// then — unless hosts take screened callers only — the call-in queue.
    pub fn host_next(&self, host: &str) -> Option<HostTake> {
        if self.picks.iter().any(|p| p.host == host && p.arrived) {
            return Some(HostTake::Picked);
        }
        self.next_line().map(HostTake::Queue)
    }
}
