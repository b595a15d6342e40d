//! Callers' numbers by CallSid. Webhooks carry `From`, so most numbers arrive for free; a caller first seen in
//! the reconcile poll (Members carry no number) is looked up once with `fetch_call`, never per browser or poll.

use std::collections::{HashMap, HashSet};

/// Numbers known, and lookups started, by CallSid.
#[derive(Debug, Default)]
pub struct NumberCache {
    known: HashMap<String, String>,
    /// Lookups in flight: a second poll must not start another.
    pending: HashSet<String>,
}

impl NumberCache {
    pub fn get(&self, call_sid: &str) -> Option<&str> {
        self.known.get(call_sid).map(String::as_str)
    }

    /// The calls known to come from `number`.
    pub fn calls_from(&self, number: &str) -> Vec<String> {
        self.known
            .iter()
            .filter(|(_, n)| n.as_str() == number)
            .map(|(sid, _)| sid.clone())
            .collect()
    }

    /// Remembers a number a webhook or a lookup gave.
    pub fn insert(&mut self, call_sid: &str, from: &str) {
        if !from.is_empty() {
            self.known.insert(call_sid.to_owned(), from.to_owned());
        }
        self.pending.remove(call_sid);
    }

    /// Claims a lookup for `call_sid`: true once, until [`NumberCache::insert`] or [`NumberCache::failed`].
    pub fn claim(&mut self, call_sid: &str) -> bool {
        !self.known.contains_key(call_sid) && self.pending.insert(call_sid.to_owned())
    }

    /// A lookup failed: a later poll may try again.
    pub fn failed(&mut self, call_sid: &str) {
        self.pending.remove(call_sid);
    }

    /// Keeps only the calls in `live` (callers who left are forgotten, so the cache stays small).
    pub fn retain(&mut self, live: &HashSet<&str>) {
        self.known.retain(|k, _| live.contains(k.as_str()));
        self.pending.retain(|k| live.contains(k.as_str()));
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_looked_up_once() {
        let mut c = NumberCache::default();
        assert!(c.claim("CA1"));
        assert!(!c.claim("CA1"), "in flight");
        c.failed("CA1");
        assert!(c.claim("CA1"), "retried after a failure");
        c.insert("CA1", "+15551230001");
        assert!(!c.claim("CA1"), "known");
        assert_eq!(c.get("CA1"), Some("+15551230001"));
        c.retain(&HashSet::new());
        assert!(c.is_empty());
    }
}
