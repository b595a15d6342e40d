//! The command line's commands, carried out by the stream phone with the kiosk page's outcomes and words
//! (`web/static/kiosk.js`): `ok` with the phone's sentence, or not `ok` with the reason.

use std::sync::Arc;
use std::time::Duration;

use super::{Phone, active};
use crate::kiosk::messages::{Command, Outcome};

fn done(message: impl Into<String>, state: &str) -> Outcome {
    Outcome {
        ok: true,
        message: message.into(),
        state: Some(state.into()),
    }
}

fn failed(message: impl Into<String>, state: &str) -> Outcome {
    Outcome {
        ok: false,
        message: message.into(),
        state: Some(state.into()),
    }
}

/// A DTMF digit's tone plus its gap (`audio::tone::DtmfTiming::default`).
const DIGIT: Duration = Duration::from_millis(200);

/// How long a hang-up asked here may take to be confirmed by Twilio's status callback before the command answers
/// anyway (until then the next `call` is refused as busy); within the command line's 1.5 s margin.
const HANG_UP_SETTLES: Duration = Duration::from_secs(1);

impl Phone {
    /// Carries out `command`, waiting up to `timeout` for its result (numbers and digits were checked by the
    /// route).
    pub async fn command(self: &Arc<Self>, command: Command, timeout: Duration) -> Outcome {
        // Leave the command line a margin to read the answer, as the page does.
        let wait = timeout.saturating_sub(Duration::from_millis(1500));
        match command {
            Command::Call { number } => self.call(&number, timeout, wait).await,
            Command::Answer => self.answer(wait).await,
            Command::Hangup => self.hangup(wait).await,
            Command::Dtmf { digits } => self.dtmf(&digits).await,
        }
    }

    fn state_now(&self) -> (&'static str, String) {
        let inner = self.lock();
        (inner.state, inner.text.clone())
    }

    async fn call(self: &Arc<Self>, number: &str, timeout: Duration, wait: Duration) -> Outcome {
        let (state, text) = self.state_now();
        if active(state) || state == "incoming" {
            return failed(format!("busy: {text}"), state);
        }
        if let Err(sentence) = self.place(number, timeout).await {
            return failed(sentence, "ended");
        }
        let settled = self
            .until(|i| i.state != "connecting" && i.state != "ringing", wait)
            .await;
        let (state, text) = self.state_now();
        match state {
            "in-call" => done(text, state),
            _ if !settled => {
                self.end_call().await;
                self.until(|i| !active(i.state), HANG_UP_SETTLES).await;
                failed(
                    format!("no answer within {} s; hung up", timeout.as_secs()),
                    "ended",
                )
            }
            _ => failed(text, state),
        }
    }

    async fn answer(self: &Arc<Self>, wait: Duration) -> Outcome {
        if self.lock().state != "incoming" {
            return failed("no incoming call", self.lock().state);
        }
        self.pick_up().await;
        self.until(|i| i.state != "incoming" && i.state != "connecting", wait)
            .await;
        let (state, text) = self.state_now();
        if state == "in-call" {
            done(text, state)
        } else {
            failed(text, state)
        }
    }

    async fn hangup(self: &Arc<Self>, wait: Duration) -> Outcome {
        let (state, _) = self.state_now();
        if state == "incoming" {
            self.reject().await;
            return done("rejected the incoming call", "ended");
        }
        if !active(state) {
            return failed("not in a call", state);
        }
        self.end_call().await;
        self.until(|i| !active(i.state), wait).await;
        let (state, text) = self.state_now();
        if active(state) {
            failed(format!("still {text}"), state)
        } else {
            done(text, state)
        }
    }

    async fn dtmf(&self, digits: &str) -> Outcome {
        let (state, _) = self.state_now();
        if state != "in-call" {
            return failed("not in a call", state);
        }
        self.order(super::audio::Order::Digits(digits.to_owned()));
        // Return once the tones have gone out, as the page returns after pressing its keys.
        tokio::time::sleep(DIGIT * digits.len() as u32).await;
        done(format!("sent {digits}"), "in-call")
    }
}
