//! The toll-fraud counters in memory: per user, the calls dialled in the last 24 hours and the calls still live,
//! as the `dial_log` table has them. Counting them in SQL read every row of the user's day on every `/voice`,
//! a cost that grew with each call (see docs/BENCHMARKS.md).
//!
//! A user's counters are loaded from the table the first time they are asked for, then kept current by the dial-log
//! writer (the only code that changes the table), which applies each committed batch here. Both run on the writer's
//! task, one after the other, so a load never misses or double-counts a write.
//!
//! Live calls are keyed by CallSid (Twilio never reuses one); the table's rows with an empty CallSid each count
//! as their own live call until they go stale, as no `/voice/dial-ended` can name them.

use std::collections::{HashMap, VecDeque};

const DAY_SECS: i64 = 86_400;

/// Dialled calls with no recorded end are counted as live for at most this long (a lost callback must not
/// lock a user out forever).
pub(crate) const STALE_LIVE_SECS: i64 = 4 * 3600;

/// What [`Store::try_dial`](super::Store::try_dial) decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialVerdict {
    /// Within the limits; recorded (durably) as dialled.
    Dialled,
    DailyLimit,
    ConcurrentLimit,
}

/// A dialled call as read back from the table: when, its CallSid, when it ended.
pub(crate) type DialRow = (i64, Option<String>, Option<i64>);

#[derive(Debug, Default)]
pub(crate) struct DialLedger {
    users: HashMap<String, UserDials>,
    /// The CallSid of each live call of a loaded user → that user.
    owners: HashMap<String, String>,
    /// Numbers the keys of live calls without a CallSid.
    anonymous: u64,
}

#[derive(Debug, Default)]
struct UserDials {
    /// When each call of the last 24 hours was dialled, oldest first.
    day: VecDeque<i64>,
    /// Live calls: CallSid → when dialled.
    live: HashMap<String, i64>,
}

impl DialLedger {
    /// (dialled in the last 24 hours, live now), or `None` if this user's counters are not loaded yet.
    pub(crate) fn counts(&mut self, username: &str, now: i64) -> Option<(i64, i64)> {
        let dials = self.users.get_mut(username)?;
        while dials.day.front().is_some_and(|at| *at <= now - DAY_SECS) {
            dials.day.pop_front();
        }
        let stale = now - STALE_LIVE_SECS;
        if dials.live.values().any(|at| *at <= stale) {
            let owners = &mut self.owners;
            dials.live.retain(|sid, at| {
                let keep = *at > stale;
                if !keep {
                    owners.remove(sid);
                }
                keep
            });
        }
        Some((dials.day.len() as i64, dials.live.len() as i64))
    }

    /// Whether a call dialled by `username` at `at` stays within `max_per_day` calls a day and `max_live` live
    /// calls (a user not loaded yet is over both).
    pub(crate) fn verdict(
        &mut self,
        username: &str,
        at: i64,
        max_per_day: i64,
        max_live: i64,
    ) -> DialVerdict {
        let (today, live) = self.counts(username, at).unwrap_or((i64::MAX, i64::MAX));
        if today >= max_per_day {
            DialVerdict::DailyLimit
        } else if live >= max_live {
            DialVerdict::ConcurrentLimit
        } else {
            DialVerdict::Dialled
        }
    }

    pub(crate) fn is_loaded(&self, username: &str) -> bool {
        self.users.contains_key(username)
    }

    /// Installs a user's counters from their dialled rows of the last 24 hours (any order).
    pub(crate) fn install(&mut self, username: &str, mut rows: Vec<DialRow>, now: i64) {
        if self.is_loaded(username) {
            return;
        }
        rows.sort_by_key(|(at, _, _)| *at);
        let mut dials = UserDials::default();
        for (at, call_sid, ended_at) in rows {
            if at <= now - DAY_SECS {
                continue;
            }
            dials.day.push_back(at);
            if ended_at.is_none() && at > now - STALE_LIVE_SECS {
                let key = self.live_key(call_sid.as_deref().unwrap_or(""));
                self.owners.insert(key.clone(), username.to_owned());
                dials.live.insert(key, at);
            }
        }
        self.users.insert(username.to_owned(), dials);
    }

    /// A dialled call (committed, or about to be by the writer). Returns whether it is a new live call (its
    /// CallSid was not live already), for [`DialLedger::undo_dialled`].
    pub(crate) fn dialled(&mut self, username: &str, call_sid: &str, at: i64) -> bool {
        let key = self.live_key(call_sid);
        let Some(dials) = self.users.get_mut(username) else {
            return false; // not loaded: the load will read it from the table
        };
        dials.day.push_back(at);
        let new_live = dials.live.insert(key.clone(), at).is_none();
        self.owners.insert(key, username.to_owned());
        new_live
    }

    /// Takes back [`DialLedger::dialled`] for a call whose row could not be written.
    pub(crate) fn undo_dialled(&mut self, username: &str, call_sid: &str, at: i64, new_live: bool) {
        let Some(dials) = self.users.get_mut(username) else {
            return;
        };
        if let Some(i) = dials.day.iter().rposition(|t| *t == at) {
            dials.day.remove(i);
        }
        if new_live && !call_sid.is_empty() {
            dials.live.remove(call_sid);
            self.owners.remove(call_sid);
        }
    }

    /// A call's end was committed.
    pub(crate) fn ended(&mut self, call_sid: &str) {
        if let Some(user) = self.owners.remove(call_sid)
            && let Some(dials) = self.users.get_mut(&user)
        {
            dials.live.remove(call_sid);
        }
    }

    fn live_key(&mut self, call_sid: &str) -> String {
        if call_sid.is_empty() {
            self.anonymous += 1;
            format!("\0{}", self.anonymous)
        } else {
            call_sid.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    #[test]
    fn unknown_users_are_not_loaded() {
        let mut l = DialLedger::default();
        assert_eq!(l.counts("anna", NOW), None);
        l.dialled("anna", "CA1", NOW);
        assert_eq!(l.counts("anna", NOW), None, "writes wait for the load");
    }

    #[test]
    fn counts_follow_the_table() {
        let mut l = DialLedger::default();
        l.install(
            "anna",
            vec![
                (NOW - DAY_SECS, Some("CAold".into()), None), // exactly a day ago: out
                (NOW - STALE_LIVE_SECS, Some("CAstale".into()), None), // counted today, not live
                (NOW - 60, Some("CAdone".into()), Some(NOW - 30)),
                (NOW - 10, Some("CAlive".into()), None),
            ],
            NOW,
        );
        assert_eq!(l.counts("anna", NOW), Some((3, 1)));
        assert!(l.dialled("anna", "CAnew", NOW));
        assert_eq!(l.counts("anna", NOW), Some((4, 2)));
        assert!(!l.dialled("anna", "CAnew", NOW), "the same CallSid again");
        l.undo_dialled("anna", "CAnew", NOW, false);
        assert_eq!(l.counts("anna", NOW), Some((4, 2)));
        l.ended("CAlive");
        l.ended("CAunknown");
        assert_eq!(l.counts("anna", NOW), Some((4, 1)));
        assert_eq!(
            l.counts("anna", NOW + DAY_SECS),
            Some((0, 0)),
            "a day later"
        );
    }

    #[test]
    fn calls_without_a_call_sid_each_count_until_stale() {
        let mut l = DialLedger::default();
        l.install("bob", vec![(NOW, None, None), (NOW, None, None)], NOW);
        l.dialled("bob", "", NOW);
        l.ended("");
        assert_eq!(l.counts("bob", NOW), Some((3, 3)));
        assert_eq!(l.counts("bob", NOW + STALE_LIVE_SECS), Some((3, 0)));
    }

    #[test]
    fn a_second_install_changes_nothing() {
        let mut l = DialLedger::default();
        l.install("anna", vec![(NOW, Some("CA1".into()), None)], NOW);
        l.install("anna", vec![], NOW);
        assert_eq!(l.counts("anna", NOW), Some((1, 1)));
    }
}
