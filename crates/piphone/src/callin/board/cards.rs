//! What the board knows about callers beyond their place: the screener's notes, the number's history (and
//! bans), and the console's messages.

use super::{Board, MESSAGES, Message, view};
use crate::domain::{CallerNotes, Role};
use crate::store::History;

impl Board {
    /// The screener's notes on a caller (shown to the host).
    pub fn set_notes(&mut self, call_sid: &str, notes: CallerNotes, screener: Option<&str>) {
        let card = self.cards.entry(call_sid.to_owned()).or_default();
        card.notes = Some(notes);
        if let Some(s) = screener {
            card.screener = Some(s.to_owned());
        }
    }

    /// What the station knows about the caller's number from earlier calls.
    pub fn set_history(&mut self, call_sid: &str, history: History) {
        self.cards.entry(call_sid.to_owned()).or_default().history = Some(history);
    }

    /// `number` was banned: every live caller from it is flagged.
    pub fn mark_banned(&mut self, number: &str, reason: Option<&str>) {
        for sid in self.numbers.calls_from(number) {
            let card = self.cards.entry(sid).or_default();
            let history = card.history.get_or_insert_with(History::default);
            history.banned = true;
            history.ban_reason = reason.map(str::to_owned);
        }
    }

    /// A message from one console user to the others.
    pub fn message(&mut self, from: &str, role: Role, text: &str) {
        self.messages.push_back(Message {
            from: from.to_owned(),
            role,
            text: text.to_owned(),
            at: view::rfc3339(self.now.wall()),
        });
        while self.messages.len() > MESSAGES {
            self.messages.pop_front();
        }
    }
}
