//! The engine's side of the media core (`crate::media`): a leg's party gets a mouth when the leg is added, one
//! clock task ticks every leg's media every 20 ms while any leg is live, and what the clock finds in-band
//! reaches the legs as digits.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::MissedTickBehavior;

use super::{Engine, Party, Signal};
use crate::media::{Clip, Media, Pending, load_error};

/// The media clock's period.
const TICK: Duration = Duration::from_millis(audio::FRAME_MS as u64);

/// The fields of a `digits` event.
pub fn digits_fields(digits: &str, inband: bool) -> Value {
    if inband {
        json!({ "digits": digits, "inband": true })
    } else {
        json!({ "digits": digits })
    }
}

impl Engine {
    /// Gives leg `sid`'s party a mouth: a default voice if simulated, silence for a browser (until its media is
    /// wired); starts the media clock if it is not running.
    pub(super) fn add_media(&self, sid: &str, party: &Party) {
        let mouth = match party {
            Party::Browser { .. } => Media::silent(),
            Party::Simulated | Party::Phone => self.media.mouth(&self.media.next_voice()),
        };
        if self.media.add_leg(sid, mouth) {
            tokio::spawn(clock(self.clone()));
        }
    }

    /// Leg `sid` rings the simulated phone `number`: its party speaks with the voice set for that number, if any
    /// (`POST /sandbox/phones`).
    pub(super) fn phone_voice(&self, sid: &str, number: &str) {
        if let Some(voice) = &self.phone(number).voice {
            self.media.set_mouth(sid, self.media.mouth(voice));
        }
    }

    /// What `<Say>` of `text` sounds like.
    pub(super) fn say_sound(&self, text: &str) -> Pending {
        self.media.speech(text, crate::media::speech_ms(text))
    }

    /// What `<Play>` of `url` sounds like on leg `sid`; an `unsupported` event once it turns out unplayable.
    pub(super) fn play_sound(&self, sid: &str, url: &str) -> Pending {
        let pending = self.media.wav(&self.http, url);
        let (engine, sid, url, waiting) = (
            self.clone(),
            sid.to_owned(),
            url.to_owned(),
            pending.clone(),
        );
        tokio::spawn(async move {
            if let Some(reason) = load_error(waiting).await {
                engine.event(
                    &sid,
                    "unsupported",
                    json!({ "verb": "Play", "url": url, "reason": reason }),
                );
            }
        });
        pending
    }
}

/// A fresh player of `pending` for one loop of a verb.
pub fn clip(pending: &Pending) -> Box<Clip> {
    Box::new(Clip::once(pending.clone()))
}

/// Ticks every leg's media every 20 ms until no leg is live.
async fn clock(engine: Engine) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(MissedTickBehavior::Burst);
    loop {
        interval.tick().await;
        let Some(found) = engine.media.tick() else {
            return;
        };
        for d in found {
            let digits = d.digit.to_string();
            if d.heard {
                let mut fields = digits_fields(&digits, true);
                fields["heard"] = json!(true);
                engine.event(&d.sid, "digits", fields);
            } else {
                engine.signal(
                    &d.sid,
                    Signal::Digits {
                        digits,
                        inband: true,
                    },
                );
            }
        }
    }
}
