//! The lines as piphone believes they are: which caller is on which line, whether the line is on the air, on
//! hold or locked, and the callers a fault sent back to the screened queue. Pure data with the rules for the
//! buttons; [`super::Hybrid`] wraps it in a lock, tells it the time and publishes each change. The audio follows
//! from it: [`Lines::routing`] is what the mixer engine reads.

use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How many callers sent back by a fault the console is shown.
const RETURNED: usize = 8;
/// How long a line waits for its caller's stream before it gives up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a caller on a line is heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// On the air: heard on the line's output, hears the studio and the other lines on the air.
    OnAir,
    /// Waiting on the line: not heard, hears the programme or hold music.
    Hold,
}

/// What the mixer does with a line's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Route {
    /// No caller (or a caller whose stream has not arrived yet).
    #[default]
    Idle,
    OnAir,
    Hold,
}

/// A line's state, as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Empty,
    /// The caller was sent to the line; their stream has not arrived yet.
    Connecting,
    Hold,
    OnAir,
    /// On the air and locked: Next leaves it on the air, Drop and Hold are refused until unlocked.
    Locked,
}

/// A caller taken off their line ([`Lines::detach`]), to be put back if Twilio refuses to move them.
#[derive(Debug, Clone)]
pub struct Caller {
    call_sid: String,
    from: Option<String>,
    /// When the caller was put on the line.
    since: Instant,
    since_wall: SystemTime,
    mode: Mode,
    locked: bool,
    /// The stream arrived: the caller is heard.
    connected: bool,
}

/// A moment as the holder read the clock.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub system: SystemTime,
}

/// Why a button did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no line {0}")]
    NoSuchLine(u8),
    #[error("line {0} has no caller")]
    Empty(u8),
    #[error("line {0} is busy: drop its caller first")]
    Busy(u8),
    #[error("line {0} is locked: unlock it first")]
    Locked(u8),
    #[error("line {0} is not on the air: only a caller on the air can be locked")]
    NotOnAir(u8),
    #[error("that caller is already on line {0}")]
    AlreadyOnLine(u8),
    #[error("every line is busy")]
    AllBusy,
}

/// One line, as `/api/lines`, `/queue-status` and `/events` show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LineView {
    pub line: u8,
    pub state: State,
    pub call_sid: Option<String>,
    pub from: Option<String>,
    /// When the caller was put on the line, RFC 3339.
    pub since: Option<String>,
    /// Seconds on the line.
    pub seconds: Option<u64>,
    /// The caller's level over the last second, dBFS (−120: silence); `null` without a caller.
    pub level_dbfs: Option<f64>,
}

/// A caller whose line's stream ended unexpectedly: Twilio put them in the screened queue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Returned {
    pub call_sid: String,
    pub from: Option<String>,
    /// The line they were on, when this piphone put them there (`null`: before a restart).
    pub line: Option<u8>,
    /// RFC 3339.
    pub at: String,
}

/// The lines of one hybrid.
#[derive(Debug)]
pub struct Lines {
    lines: Vec<Option<Caller>>,
    returned: Vec<Returned>,
    now: Now,
}

fn rfc3339(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(&Rfc3339).unwrap_or_default()
}

impl Lines {
    pub fn new(count: u8, now: Now) -> Lines {
        Lines {
            lines: vec![None; usize::from(count)],
            returned: Vec::new(),
            now,
        }
    }

    pub fn set_time(&mut self, now: Now) {
        self.now = now;
    }

    /// How many lines there are.
    pub fn count(&self) -> u8 {
        self.lines.len() as u8
    }

    fn slot(&self, n: u8) -> Result<&Option<Caller>, Refusal> {
        n.checked_sub(1)
            .and_then(|i| self.lines.get(usize::from(i)))
            .ok_or(Refusal::NoSuchLine(n))
    }

    fn caller_mut(&mut self, n: u8) -> Result<&mut Caller, Refusal> {
        self.slot(n)?;
        self.lines[usize::from(n - 1)]
            .as_mut()
            .ok_or(Refusal::Empty(n))
    }

    /// The line `call_sid` is on.
    pub fn line_of(&self, call_sid: &str) -> Option<u8> {
        self.lines
            .iter()
            .position(|c| c.as_ref().is_some_and(|c| c.call_sid == call_sid))
            .map(|i| i as u8 + 1)
    }

    /// The caller on line `n`.
    pub fn call_on(&self, n: u8) -> Option<&str> {
        self.slot(n).ok()?.as_ref().map(|c| c.call_sid.as_str())
    }

    /// The first line without a caller.
    pub fn free_line(&self) -> Option<u8> {
        self.lines
            .iter()
            .position(Option::is_none)
            .map(|i| i as u8 + 1)
    }

    /// A caller is being sent to line `n` (before Twilio is asked), to be heard as `mode` once connected.
    pub fn take(
        &mut self,
        n: u8,
        call_sid: &str,
        from: Option<&str>,
        mode: Mode,
    ) -> Result<(), Refusal> {
        if let Some(on) = self.line_of(call_sid) {
            return Err(Refusal::AlreadyOnLine(on));
        }
        if self.slot(n)?.is_some() {
            return Err(Refusal::Busy(n));
        }
        self.returned.retain(|r| r.call_sid != call_sid);
        self.lines[usize::from(n - 1)] = Some(Caller {
            call_sid: call_sid.to_owned(),
            from: from.map(str::to_owned),
            since: self.now.instant,
            since_wall: self.now.system,
            mode,
            locked: false,
            connected: false,
        });
        Ok(())
    }

    /// The caller's stream arrived on line `n`. `false` when that caller is not (or no longer) on that line.
    pub fn connected(&mut self, n: u8, call_sid: &str) -> bool {
        match self.caller_mut(n) {
            Ok(c) if c.call_sid == call_sid => {
                c.connected = true;
                true
            }
            _ => false,
        }
    }

    /// Air or Hold.
    pub fn set_mode(&mut self, n: u8, mode: Mode) -> Result<(), Refusal> {
        let c = self.caller_mut(n)?;
        if c.locked && mode == Mode::Hold {
            return Err(Refusal::Locked(n));
        }
        c.mode = mode;
        Ok(())
    }

    /// Lock (keeps an on-air line on the air through Next; refuses Drop and Hold) or unlock.
    pub fn set_locked(&mut self, n: u8, locked: bool) -> Result<(), Refusal> {
        let c = self.caller_mut(n)?;
        if locked && c.mode != Mode::OnAir {
            return Err(Refusal::NotOnAir(n));
        }
        c.locked = locked;
        Ok(())
    }

    /// Whether line `n`'s caller may be dropped (it has one, and is not locked).
    pub fn may_drop(&self, n: u8) -> Result<&str, Refusal> {
        match self.slot(n)? {
            None => Err(Refusal::Empty(n)),
            Some(c) if c.locked => Err(Refusal::Locked(n)),
            Some(c) => Ok(&c.call_sid),
        }
    }

    /// Empties the line `call_sid` is on. Returns the line.
    pub fn clear(&mut self, call_sid: &str) -> Option<u8> {
        let n = self.line_of(call_sid)?;
        self.lines[usize::from(n - 1)] = None;
        Some(n)
    }

    /// Takes the caller off their line, keeping everything about them for [`Lines::reattach`].
    pub fn detach(&mut self, call_sid: &str) -> Option<(u8, Caller)> {
        let n = self.line_of(call_sid)?;
        self.lines[usize::from(n - 1)].take().map(|c| (n, c))
    }

    /// Puts a detached caller back on line `n`, if it is still free.
    pub fn reattach(&mut self, n: u8, caller: Caller) {
        if let Some(slot @ None) = n
            .checked_sub(1)
            .and_then(|i| self.lines.get_mut(usize::from(i)))
        {
            *slot = Some(caller);
        }
    }

    /// The caller's stream ended unexpectedly, or the caller turned up in the screened queue's hold after a fault
    /// (`from`: their number as that webhook gave it): the line is empty and the caller listed as sent back.
    /// `false` when they were listed already.
    pub fn lost(&mut self, call_sid: &str, from: Option<&str>) -> bool {
        let (line, from) = match self.detach(call_sid) {
            Some((n, caller)) => (Some(n), caller.from),
            None if self.returned.iter().any(|r| r.call_sid == call_sid) => return false,
            None => (None, from.map(str::to_owned)),
        };
        self.returned.insert(
            0,
            Returned {
                call_sid: call_sid.to_owned(),
                from,
                line,
                at: rfc3339(self.now.system),
            },
        );
        self.returned.truncate(RETURNED);
        true
    }

    /// A caller sent back by a fault is no longer waiting to be noticed (taken again, or gone).
    pub fn forget_returned(&mut self, call_sid: &str) {
        self.returned.retain(|r| r.call_sid != call_sid);
    }

    /// Callers still connecting after `timeout`: their streams never came.
    pub fn overdue(&self, timeout: Duration) -> Vec<String> {
        self.lines
            .iter()
            .flatten()
            .filter(|c| !c.connected && self.now.instant.duration_since(c.since) > timeout)
            .map(|c| c.call_sid.clone())
            .collect()
    }

    /// The lines Next drops: on the air and not locked.
    pub fn unlocked_on_air(&self) -> Vec<(u8, String)> {
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let c = c.as_ref()?;
                (c.mode == Mode::OnAir && !c.locked).then(|| (i as u8 + 1, c.call_sid.clone()))
            })
            .collect()
    }

    /// What the mixer does with each line (index 0 = line 1).
    pub fn routing(&self) -> Vec<Route> {
        self.lines
            .iter()
            .map(|c| match c {
                Some(c) if c.connected && c.mode == Mode::OnAir => Route::OnAir,
                Some(c) if c.connected => Route::Hold,
                _ => Route::Idle,
            })
            .collect()
    }

    /// The lines now, with each caller's level (`levels[i]` for line i+1, from the engine's meters).
    pub fn views(&self, levels: &[f64]) -> Vec<LineView> {
        self.lines
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let line = i as u8 + 1;
                let Some(c) = c else {
                    return LineView {
                        line,
                        state: State::Empty,
                        call_sid: None,
                        from: None,
                        since: None,
                        seconds: None,
                        level_dbfs: None,
                    };
                };
                let state = match (c.connected, c.mode, c.locked) {
                    (false, _, _) => State::Connecting,
                    (true, Mode::Hold, _) => State::Hold,
                    (true, Mode::OnAir, false) => State::OnAir,
                    (true, Mode::OnAir, true) => State::Locked,
                };
                LineView {
                    line,
                    state,
                    call_sid: Some(c.call_sid.clone()),
                    from: c.from.clone(),
                    since: Some(rfc3339(c.since_wall)),
                    seconds: Some(self.now.instant.duration_since(c.since).as_secs()),
                    level_dbfs: c
                        .connected
                        .then(|| levels.get(i).copied().unwrap_or(audio::analyse::FLOOR_DBFS)),
                }
            })
            .collect()
    }

    /// Callers sent back to the screened queue by a fault, newest first.
    pub fn returned(&self) -> &[Returned] {
        &self.returned
    }
}

#[cfg(test)]
mod tests;
