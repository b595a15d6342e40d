//! Login rate limiting, per client address and per username, with growing delays.
//!
//! Each key may fail [`FREE_FAILURES`] times; after that every further attempt must wait a delay that doubles
//! with each failure (1 s, 2 s, 4 s … capped at [`MAX_DELAY`]). A success clears the username's count.
//! Entries are forgotten after [`FORGET_AFTER`] of quiet.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
const FORGET_AFTER: Duration = Duration::from_secs(3600);
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<String, Entry>>,
}

impl LoginLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    fn delay_for(failures: u32) -> Duration {
        if failures < FREE_FAILURES {
            return Duration::ZERO;
        }
        let exp = (failures - FREE_FAILURES).min(20);
        Duration::from_secs(1u64 << exp).min(MAX_DELAY)
    }

    /// `Err(wait)` if any of the keys must still wait before trying again.
    pub fn check(&self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys
            .iter()
            .filter_map(|k| entries.get(k))
            .map(|e| (e.last + Self::delay_for(e.failures)).saturating_duration_since(now))
            .max()
            .unwrap_or(Duration::ZERO);
        if wait.is_zero() { Ok(()) } else { Err(wait) }
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > MAX_ENTRIES {
            entries.retain(|_, e| now.duration_since(e.last) < FORGET_AFTER);
        }
        for k in keys {
            let e = entries.entry(k.clone()).or_insert(Entry {
                failures: 0,
                last: now,
            });
            if now.duration_since(e.last) > FORGET_AFTER {
                e.failures = 0;
            }
            e.failures += 1;
            e.last = now;
        }
    }

    pub fn record_success(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_free_failures_and_success_clears() {
        let l = LoginLimiter::new();
        let keys = vec!["ip:1.2.3.4".to_string(), "user:anna".to_string()];
        let t0 = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            l.record_failure(&keys, t0);
            assert!(l.check(&keys, t0).is_ok());
        }
        l.record_failure(&keys, t0);
        assert_eq!(l.check(&keys, t0), Err(Duration::from_secs(1)));
        l.record_failure(&keys, t0);
        assert_eq!(l.check(&keys, t0), Err(Duration::from_secs(2)));
        assert!(l.check(&keys, t0 + Duration::from_secs(3)).is_ok());
        l.record_success("user:anna");
        assert!(l.check(&["user:anna".to_string()], t0).is_ok());
        assert!(l.check(&["ip:1.2.3.4".to_string()], t0).is_err());
    }
}
