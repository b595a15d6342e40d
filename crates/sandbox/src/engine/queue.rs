//! Named call queues: their members in order, and taking callers out of them.

use std::time::Instant;

use time::OffsetDateTime;

use super::Engine;
use crate::ids;

/// Twilio's default `max_size` for a new queue.
pub const DEFAULT_MAX_SIZE: u32 = 1000;

#[derive(Debug, Clone)]
pub struct Queue {
    pub sid: String,
    pub friendly_name: String,
    pub max_size: u32,
    pub members: Vec<Member>,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub call_sid: String,
    pub enqueued: Instant,
    pub date_enqueued: OffsetDateTime,
}

impl Queue {
    pub fn new(name: &str, max_size: u32) -> Queue {
        let now = OffsetDateTime::now_utc();
        Queue {
            sid: ids::sid("QU"),
            friendly_name: name.to_owned(),
            max_size,
            members: vec![],
            created: now,
            updated: now,
        }
    }

    /// Average simulated wait of the current members, in seconds.
    pub fn average_wait(&self, engine: &Engine) -> u64 {
        if self.members.is_empty() {
            return 0;
        }
        let total: u64 = self
            .members
            .iter()
            .map(|m| engine.timing.sim_secs(m.enqueued.elapsed()))
            .sum();
        total / self.members.len() as u64
    }
}

/// Takes the front member of queue `name` (if any) for `dequeuer`: `(call_sid, queue_sid, queue_time)`.
pub fn take_front(engine: &Engine, name: &str, dequeuer: &str) -> Option<(String, String, u64)> {
    let mut st = engine.state();
    let q = st.queues.iter_mut().find(|q| q.friendly_name == name)?;
    if q.members.is_empty() {
        return None;
    }
    let m = q.members.remove(0);
    q.updated = OffsetDateTime::now_utc();
    let qsid = q.sid.clone();
    if let Some(c) = st.calls.get_mut(&m.call_sid) {
        c.queue = None;
        c.bridged_with = Some(dequeuer.to_owned());
    }
    Some((
        m.call_sid,
        qsid,
        engine.timing.sim_secs(m.enqueued.elapsed()),
    ))
}

/// Takes `sid` out of queue `qsid` (no-op if already gone).
pub fn leave(engine: &Engine, sid: &str, qsid: &str) {
    let mut st = engine.state();
    if let Some(q) = st.queues.iter_mut().find(|q| q.sid == qsid) {
        q.members.retain(|m| m.call_sid != sid);
    }
    if let Some(c) = st.calls.get_mut(sid) {
        c.queue = None;
    }
}
