//! Call leg records and their JSON view for the control API.

use std::time::Instant;

use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::Signal;

/// Who is on the far end of a leg.
#[derive(Debug, Clone)]
pub enum Party {
    /// A browser on the signaling gateway; `answer_sdp` answers its offer (outgoing calls).
    Browser {
        conn_id: u64,
        tx: mpsc::UnboundedSender<String>,
        answer_sdp: Option<String>,
    },
    /// A simulated listener (control API / CLI call-in).
    Simulated,
    /// A simulated phone reached by `<Dial><Number>`.
    Phone,
}

#[derive(Debug)]
pub struct CallRecord {
    pub sid: String,
    pub direction: &'static str,
    pub from: String,
    pub to: String,
    pub status: &'static str,
    pub parent: Option<String>,
    /// Queue SID while the leg waits in a queue.
    pub queue: Option<String>,
    pub bridged_with: Option<String>,
    pub events: Vec<Value>,
    /// The standard webhook fields of this leg (`CallStatus` is refreshed on use).
    pub base: Vec<(String, String)>,
    pub party: Party,
    pub signal: Option<mpsc::UnboundedSender<Signal>>,
    pub started: Instant,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
    pub answered: Option<OffsetDateTime>,
    pub ended: Option<OffsetDateTime>,
}

impl CallRecord {
    pub fn new(
        sid: &str,
        direction: &'static str,
        from: &str,
        to: &str,
        parent: Option<&str>,
        party: Party,
    ) -> Self {
        let now = OffsetDateTime::now_utc();
        CallRecord {
            sid: sid.to_owned(),
            direction,
            from: from.to_owned(),
            to: to.to_owned(),
            status: "ringing",
            parent: parent.map(str::to_owned),
            queue: None,
            bridged_with: None,
            events: Vec::new(),
            base: Vec::new(),
            party,
            signal: None,
            started: Instant::now(),
            created: now,
            updated: now,
            answered: None,
            ended: None,
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self.status, "queued" | "ringing" | "in-progress")
    }

    pub fn set_status(&mut self, status: &'static str) {
        self.status = status;
        self.updated = OffsetDateTime::now_utc();
        if status == "in-progress" && self.answered.is_none() {
            self.answered = Some(self.updated);
        }
        if !self.is_live() && self.ended.is_none() {
            self.ended = Some(self.updated);
        }
    }

    /// Simulated seconds between answer and end (or now).
    pub fn duration_secs(&self) -> i64 {
        match self.answered {
            Some(a) => (self.ended.unwrap_or_else(OffsetDateTime::now_utc) - a).whole_seconds(),
            None => 0,
        }
    }

    pub fn view(&self) -> Value {
        json!({
            "call_sid": self.sid,
            "direction": self.direction,
            "from": self.from,
            "to": self.to,
            "status": self.status,
            "parent_call_sid": self.parent,
            "queue": self.queue,
            "bridged_with": self.bridged_with,
            "events": self.events,
        })
    }
}
