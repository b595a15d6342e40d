//! The buttons of the lines — Take, Air, Hold, Drop, Lock, Unlock, Next — for the console, the API and the
//! command line alike. Air, Hold and Lock only change what the mixer does; Take and Drop ask Twilio to move the
//! caller's call (REST `Calls/{sid}` update, as screening's "Ready for air" does): Take to `/voice/line?n=N`,
//! Drop to the call-in's goodbye.

use serde::Deserialize;
use twilio::rest::{CallUpdate, Method, RestError};

use super::Hybrid;
use super::lines::{Mode, Refusal};
use crate::call_log;
use crate::callin::twiml as say;

/// A button on one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Air,
    Hold,
    Drop,
    Lock,
    Unlock,
}

/// Why a button did not work.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("that caller is not waiting, screened or with a screener")]
    NotWaiting,
    #[error("nobody is waiting")]
    NobodyWaiting,
    /// Twilio refused because the account has as many calls as it may have at once.
    #[error(
        "Twilio refused: the account is at its limit of calls at once (trial accounts 5; accounts upgraded \
         since February 2026 without an approved business profile 2 or 3). Every caller waiting or on a line \
         is a call: drop one, or ask Twilio to lift the limit. ({0})"
    )]
    CallCap(String),
    #[error("Twilio request failed")]
    Twilio(#[source] RestError),
}

/// Twilio's refusal, with the concurrent-call cap named in words.
fn twilio_error(e: RestError) -> LineError {
    match &e {
        RestError::Api { status, error, .. }
            if *status == 429 || error.message.to_ascii_lowercase().contains("concurren") =>
        {
            LineError::CallCap(error.message.clone())
        }
        _ => LineError::Twilio(e),
    }
}

/// Whether Twilio says the call is over (404, or "not in-progress"): then there is nothing left to move.
fn call_gone(e: &RestError) -> bool {
    matches!(e, RestError::Api { status: 404, .. })
        || matches!(e, RestError::Api { error, .. } if error.code == Some(21220))
}

impl Hybrid {
    /// Puts a waiting, screened or screening caller on line `n`, heard as `mode` once their stream arrives.
    pub async fn take(&self, n: u8, call_sid: &str, mode: Mode) -> Result<(), LineError> {
        let from = self
            .callin
            .read(|b| {
                b.is_present(call_sid)
                    .then(|| b.number_of(call_sid).map(str::to_owned))
            })
            .ok_or(LineError::NotWaiting)?;
        self.update(|l| l.take(n, call_sid, from.as_deref(), mode))?;
        let redirect = CallUpdate::Redirect {
            url: format!("{}?n={n}", self.line_url),
            method: Method::Post,
        };
        if let Err(e) = self.rest.update_call(call_sid, &redirect).await {
            tracing::warn!(call_sid, line = n, error = %e, "could not move the caller to the line");
            self.update(|l| l.clear(call_sid));
            return Err(twilio_error(e));
        }
        self.callin
            .update(|b| b.on_air(call_sid, from.as_deref(), None));
        call_log::on_air(&self.store, call_sid, None).await;
        tracing::info!(call_sid, line = n, ?mode, "caller put on a line");
        Ok(())
    }

    /// Presses `action` on line `n`.
    pub async fn press(&self, n: u8, action: Action) -> Result<(), LineError> {
        match action {
            Action::Air => self.update(|l| l.set_mode(n, Mode::OnAir))?,
            Action::Hold => self.update(|l| l.set_mode(n, Mode::Hold))?,
            Action::Lock => self.update(|l| l.set_locked(n, true))?,
            Action::Unlock => self.update(|l| l.set_locked(n, false))?,
            Action::Drop => {
                let call_sid = self.read(|l| l.may_drop(n).map(str::to_owned))?;
                self.drop_call(&call_sid).await?;
            }
        }
        tracing::info!(line = n, ?action, "line button");
        Ok(())
    }

    /// Ends a line's caller: the call-in's goodbye, then hang up. A call already over just leaves the line. The
    /// line is emptied before Twilio is asked, so the `stop` that the redirect causes is not taken for a hang-up.
    async fn drop_call(&self, call_sid: &str) -> Result<(), LineError> {
        let detached = self.update(|l| l.detach(call_sid));
        let goodbye = CallUpdate::Twiml(say::goodbye("bridged").to_xml());
        match self.rest.update_call(call_sid, &goodbye).await {
            Ok(_) => {}
            Err(e) if call_gone(&e) => tracing::info!(call_sid, "dropped caller had hung up"),
            Err(e) => {
                if let Some((n, caller)) = detached {
                    self.update(|l| l.reattach(n, caller));
                }
                return Err(twilio_error(e));
            }
        }
        self.callin.update(|b| b.depart(call_sid, "dropped", 0));
        call_log::ended(
            &self.store,
            call_sid,
            "aired",
            Some("dropped from a hybrid line"),
        )
        .await;
        Ok(())
    }

    /// Next: drops every unlocked line on the air, then puts the next caller (screened first) on the air.
    /// Returns the caller put on the air, if anyone was waiting.
    pub async fn next(&self) -> Result<Option<String>, LineError> {
        for (_, call_sid) in self.read(|l| l.unlocked_on_air()) {
            self.drop_call(&call_sid).await?;
        }
        let Some(call_sid) = self.callin.read(|b| {
            let snap = b.snapshot();
            let main = (!snap.screened_only).then_some(snap.members);
            snap.screened
                .members
                .into_iter()
                .filter(|m| m.in_queue)
                .min_by_key(|m| m.position)
                .or_else(|| {
                    main?
                        .into_iter()
                        .filter(|m| m.in_queue)
                        .min_by_key(|m| m.position)
                })
                .map(|m| m.call_sid)
        }) else {
            return Ok(None);
        };
        let n = self.read(|l| l.free_line()).ok_or(Refusal::AllBusy)?;
        self.take(n, &call_sid, Mode::OnAir).await?;
        Ok(Some(call_sid))
    }

    /// A stream for `call_sid` arrived on line `n`. `false`: piphone did not send that caller there (any more).
    pub fn stream_started(&self, n: u8, call_sid: &str) -> bool {
        self.update(|l| l.connected(n, call_sid))
    }

    /// A line's stream ended. `unexpected` (no `stop` from Twilio: the socket broke): Twilio has put the caller
    /// in the screened queue. Otherwise the caller hung up (or piphone dropped them).
    pub async fn stream_ended(&self, call_sid: &str, unexpected: bool) {
        if unexpected {
            self.back_after_fault(call_sid, None).await;
        } else if let Some(n) = self.update(|l| l.clear(call_sid)) {
            tracing::info!(call_sid, line = n, "caller on a line hung up");
            self.callin.update(|b| b.depart(call_sid, "hangup", 0));
            call_log::ended(
                &self.store,
                call_sid,
                "aired",
                Some("hung up on a hybrid line"),
            )
            .await;
        }
    }

    /// A line's caller is back in the screened queue by a fault: their stream broke (this piphone saw it), or
    /// their hold there carries the fault marker (`twiml::AFTER_FAULT_WAIT_PATH`: also after a restart). The
    /// console flags them, the call log says where they are. Once per fault.
    pub async fn back_after_fault(&self, call_sid: &str, from: Option<&str>) {
        if self.update(|l| l.lost(call_sid, from)) {
            tracing::warn!(
                call_sid,
                "a line's stream broke: caller back in the screened queue"
            );
            self.callin.update(|b| b.back_to_screened(call_sid));
            call_log::progress(&self.store, call_sid, "screened").await;
        }
    }

    /// Callers whose stream never came (Twilio could not reach piphone's stream URL): Twilio has run the TwiML
    /// after `<Connect>`, so they are back in the screened queue.
    pub async fn give_up_overdue(&self) {
        for call_sid in self.read(|l| l.overdue(super::lines::CONNECT_TIMEOUT)) {
            self.stream_ended(&call_sid, true).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use twilio::rest::TwilioError;

    use super::*;

    fn api(status: u16, code: Option<u32>, message: &str) -> RestError {
        RestError::Api {
            status,
            error: TwilioError {
                code,
                message: message.into(),
                more_info: None,
                status: Some(status),
            },
            retry_after: None,
        }
    }

    #[test]
    fn the_concurrent_call_cap_is_said_in_words() {
        for e in [
            api(429, Some(20429), "Too Many Requests"),
            api(400, None, "Account exceeded the concurrent calls limit"),
        ] {
            let said = twilio_error(e).to_string();
            assert!(
                said.contains("limit of calls at once") && said.contains("trial accounts 5"),
                "{said}"
            );
        }
        assert!(matches!(
            twilio_error(api(500, None, "oops")),
            LineError::Twilio(_)
        ));
    }

    #[test]
    fn a_call_that_is_over_has_nothing_left_to_move() {
        assert!(call_gone(&api(404, Some(20404), "not found")));
        assert!(call_gone(&api(400, Some(21220), "Call is not in-progress")));
        assert!(!call_gone(&api(400, Some(21205), "Url missing")));
    }
}
