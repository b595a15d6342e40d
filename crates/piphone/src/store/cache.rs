//! Recently read users and sessions, so the hot paths (`/token`, `/voice`, `/events`, every page) do not ask
//! SQLite each time: a read through the pool hands the query to a connection's thread and back, which cost more
//! than everything else `/token` does (see docs/BENCHMARKS.md).
//!
//! Every change this process makes to users or sessions empties the cache, so in-process changes (logout,
//! disable, role, password) count at once; a read that started before a change is not cached (generation
//! check), so it cannot put the old answer back. Changes made by another process on the same database (the `piphone
//! user` CLI while the server runs) count within [`TTL`]. A cached session is still checked against its expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::User;

/// How long a read is trusted without asking the database again.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries kept at most per map; past this the map is emptied (bounded memory whatever the traffic).
const MAX_ENTRIES: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct ReadCache {
    inner: Mutex<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    /// Bumped by every [`ReadCache::clear`].
    generation: u64,
    /// token hash → (user, session expiry in Unix seconds, read at)
    sessions: HashMap<String, (User, i64, Instant)>,
    /// username as stored → (user, read at)
    users: HashMap<String, (User, Instant)>,
}

impl ReadCache {
    fn maps(&self) -> std::sync::MutexGuard<'_, Maps> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn session(&self, token_hash: &str, now_unix: i64) -> Option<User> {
        let maps = self.maps();
        let (user, expires_at, read_at) = maps.sessions.get(token_hash)?;
        (read_at.elapsed() < TTL && *expires_at > now_unix).then(|| user.clone())
    }

    /// Take before reading the database; pass to `put_*` after.
    pub(crate) fn generation(&self) -> u64 {
        self.maps().generation
    }

    pub(crate) fn put_session(
        &self,
        generation: u64,
        token_hash: &str,
        user: &User,
        expires_at: i64,
    ) {
        let mut maps = self.maps();
        if maps.generation != generation {
            return;
        }
        if maps.sessions.len() >= MAX_ENTRIES {
            maps.sessions.clear();
        }
        maps.sessions.insert(
            token_hash.to_owned(),
            (user.clone(), expires_at, Instant::now()),
        );
    }

    pub(crate) fn user(&self, username: &str) -> Option<User> {
        let maps = self.maps();
        let (user, read_at) = maps.users.get(username)?;
        (read_at.elapsed() < TTL).then(|| user.clone())
    }

    pub(crate) fn put_user(&self, generation: u64, username: &str, user: &User) {
        let mut maps = self.maps();
        if maps.generation != generation {
            return;
        }
        if maps.users.len() >= MAX_ENTRIES {
            maps.users.clear();
        }
        maps.users
            .insert(username.to_owned(), (user.clone(), Instant::now()));
    }

    /// Forgets everything: called after every change to users or sessions.
    pub(crate) fn clear(&self) {
        let mut maps = self.maps();
        maps.generation += 1;
        maps.sessions.clear();
        maps.users.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn user() -> User {
        User {
            id: 1,
            username: "anna".into(),
            role: Role::Caller,
            disabled: false,
        }
    }

    #[test]
    fn serves_fresh_unexpired_entries_until_cleared() {
        let cache = ReadCache::default();
        let g = cache.generation();
        cache.put_session(g, "h", &user(), 1_000);
        cache.put_user(g, "anna", &user());
        assert_eq!(cache.session("h", 999), Some(user()));
        assert_eq!(cache.session("h", 1_000), None, "an expired session");
        assert_eq!(cache.user("anna"), Some(user()));
        assert_eq!(cache.user("Anna"), None, "keys are the names as asked");
        cache.clear();
        assert_eq!(cache.session("h", 999), None);
        assert_eq!(cache.user("anna"), None);
    }

    #[test]
    fn a_read_that_started_before_a_change_is_not_kept() {
        let cache = ReadCache::default();
        let before = cache.generation();
        cache.clear(); // e.g. the user was disabled while the read was in flight
        cache.put_user(before, "anna", &user());
        cache.put_session(before, "h", &user(), i64::MAX);
        assert_eq!(cache.user("anna"), None);
        assert_eq!(cache.session("h", 0), None);
    }

    #[test]
    fn stays_bounded() {
        let cache = ReadCache::default();
        for i in 0..(MAX_ENTRIES * 2 + 1) {
            cache.put_session(0, &i.to_string(), &user(), i64::MAX);
        }
        assert!(cache.maps().sessions.len() <= MAX_ENTRIES);
    }
}
