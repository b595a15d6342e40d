//! RFC 4733 telephone-events to DTMF digits.
//!
//! A sender reports one key press as a series of packets sharing the event's start timestamp: updates while the
//! key is held, then the end report, sent three times (RFC 4733 §2.5.1.4). A digit is reported once, at the first
//! end report; should every end report be lost, when the next event starts.

use str0m::media::TelephoneEvent;

/// The event being received, by start timestamp.
#[derive(Default)]
pub(super) struct EventTracker {
    current: Option<Current>,
}

struct Current {
    start: u64,
    event: u8,
    reported: bool,
}

impl EventTracker {
    /// The digits completed by this report (none, one, or two when an end was lost).
    pub(super) fn report(&mut self, start: u64, report: &TelephoneEvent) -> Vec<char> {
        let mut digits = Vec::new();
        match &self.current {
            Some(c) if c.start == start => {}
            previous => {
                if let Some(p) = previous.as_ref().filter(|p| !p.reported) {
                    digits.extend(digit(p.event));
                }
                self.current = Some(Current {
                    start,
                    event: report.event,
                    reported: false,
                });
            }
        }
        if let Some(c) = self.current.as_mut().filter(|c| report.end && !c.reported) {
            c.reported = true;
            digits.extend(digit(c.event));
        }
        digits
    }
}

/// The key for a DTMF event code (RFC 4733 §3.2); other events (flash, modem tones) are none.
fn digit(event: u8) -> Option<char> {
    match event {
        0..=9 => Some(char::from(b'0' + event)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + event - 12)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn report(event: u8, end: bool) -> TelephoneEvent {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration: Duration::from_millis(40),
        }
    }

    #[test]
    fn one_digit_per_event_at_its_first_end() {
        let mut t = EventTracker::default();
        assert!(t.report(100, &report(10, false)).is_empty());
        assert!(t.report(100, &report(10, false)).is_empty());
        assert_eq!(t.report(100, &report(10, true)), ['*']);
        assert!(t.report(100, &report(10, true)).is_empty(), "repeated end");
        assert!(t.report(100, &report(10, true)).is_empty(), "repeated end");
        assert_eq!(t.report(900, &report(4, true)), ['4']);
    }

    #[test]
    fn lost_end_is_reported_when_the_next_event_starts() {
        let mut t = EventTracker::default();
        assert!(t.report(100, &report(11, false)).is_empty());
        assert_eq!(t.report(900, &report(15, true)), ['#', 'D']);
    }

    #[test]
    fn non_dtmf_events_are_ignored() {
        let mut t = EventTracker::default();
        assert!(t.report(100, &report(16, true)).is_empty(), "flash");
    }
}
