//! Screening on the board: a screener takes a waiting caller, talks with them, and sends them on to the
//! screened queue — or they go back in line.

use super::{Board, ScreenRefusal, Screening};

impl Board {
    /// A screener asks for a waiting caller: out of the call-in queue at once (before Twilio is asked), so two
    /// screeners cannot take the same caller.
    pub fn start_screening(&mut self, call_sid: &str, screener: &str) -> Result<(), ScreenRefusal> {
        if let Some(s) = self.screening.iter().find(|s| s.call_sid == call_sid) {
            return Err(ScreenRefusal::Taken(s.screener.clone()));
        }
        if !self.main.contains(call_sid) {
            return Err(ScreenRefusal::NotWaiting);
        }
        // Twilio can dequeue only a caller it has enqueued: not one still hearing the greeting.
        if !self.main.confirmed(call_sid) {
            return Err(ScreenRefusal::NotYetQueued);
        }
        self.main.remove(call_sid, self.now.instant);
        self.screening.push(Screening {
            call_sid: call_sid.to_owned(),
            screener: screener.to_owned(),
            since: self.now.instant,
            connected: false,
        });
        Ok(())
    }

    /// The caller's call reached the screener's TwiML (`/voice/screen`).
    pub fn screening_connected(&mut self, call_sid: &str, from: Option<&str>, screener: &str) {
        self.remember_number(call_sid, from);
        self.main.remove(call_sid, self.now.instant);
        self.screened.remove(call_sid, self.now.instant);
        match self.screening.iter_mut().find(|s| s.call_sid == call_sid) {
            Some(s) => {
                s.connected = true;
                s.screener = screener.to_owned();
            }
            None => self.screening.push(Screening {
                call_sid: call_sid.to_owned(),
                screener: screener.to_owned(),
                since: self.now.instant,
                connected: true,
            }),
        }
        self.cards.entry(call_sid.to_owned()).or_default().screener = Some(screener.to_owned());
    }

    /// The caller is back in the call-in queue: the screener's browser did not answer, or hung up.
    pub fn back_in_line(&mut self, call_sid: &str) {
        self.screening.retain(|s| s.call_sid != call_sid);
        self.main.arrive(call_sid, self.now.instant);
    }

    /// Twilio refused to dequeue the caller for screening: they never left the call-in queue.
    pub fn screening_failed(&mut self, call_sid: &str) {
        self.screening.retain(|s| s.call_sid != call_sid);
        self.main.put_back(call_sid, self.now.instant);
    }

    /// The screener sent the caller on (`Ready for air`): they join the screened queue.
    pub fn ready(&mut self, call_sid: &str) {
        self.screening.retain(|s| s.call_sid != call_sid);
        self.main.remove(call_sid, self.now.instant);
        self.screened.arrive(call_sid, self.now.instant);
    }

    /// Who is screening `call_sid`.
    pub fn screener_of(&self, call_sid: &str) -> Option<&str> {
        self.screening
            .iter()
            .find(|s| s.call_sid == call_sid)
            .map(|s| s.screener.as_str())
    }
}
