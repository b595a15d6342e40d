//! The media core: what every call leg's party says and hears, on one 20 ms clock.
//!
//! Every leg has a **party** (the simulated phone, a browser, later a Media Streams endpoint) that *says* one
//! [`Frame`] per tick (its [`Mouth`]) and *hears* one, and a **connection** that decides what it hears right now:
//! silence, a [`Source`] the TwiML plays (`<Say>`, `<Play>`, ringback…), a **bridge** to another leg (each hears
//! what the other's party says), or an endpoint outside the engine. The engine's clock task calls
//! [`Media::tick`] every 20 ms: first every live party says its frame, then every party hears its
//! connection's frame; both directions go through a [`Meter`] (`audio` in the call view, `heard.wav`) and an
//! in-band [`DtmfDetector`].
//!
//! # Plugging in code outside the engine (browsers over WebRTC, Media Streams)
//! The engine's `Media` is `engine.media`; everything goes through [`outside::Outside`]: `tx` carries frames **into** the call, `rx` frames **out of** it, bounded
//! channels of [`Frame`] (8 kHz linear; `Frame::from_ulaw`/`to_ulaw` at the edge). The clock takes at most one
//! frame per tick from `tx` (none queued: silence) and offers one per tick to `rx` (a full channel drops it),
//! so the outside side never blocks the clock and should do its own jitter buffering
//! (`audio::jitter::JitterBuffer`) before `tx.try_send`.
//! - [`Media::attach_party`]: the leg's party is outside (a browser's microphone → `tx`, `rx` → its speaker).
//! - [`Media::connect_outside`]: the leg's connection is outside (`<Connect><Stream>`: what the party says →
//!   `rx` → the stream's `media` messages; the stream's audio → `tx` → what the party hears). Dropping the
//!   `Outside` (its `rx`) puts the party back to silence.
//! - [`Media::listen`]: a copy of what the leg's party says (`<Start><Stream>`, listen-only), until dropped.
//!
//! All three take the CallSid and give `None` for a leg that is unknown or over. RFC 4733 digits or a stream's
//! `dtmf` are not audio: send them to the leg as `Signal::Digits { digits, inband: false }`. Frames are linear
//! inside; a μ-law leg costs one decode and one encode per frame (no pass-through).

mod load;
pub mod outside;
mod sound;
mod view;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use audio::Frame;
use audio::analyse::Meter;
use audio::dtmf::DtmfDetector;
use tokio::sync::mpsc;

pub use load::load_error;
use outside::Inside;
pub use sound::{Clip, Pending, Ringback, Source};
pub use view::{Voice, speech_ms};

/// Seconds of what a party heard kept for `heard.wav`.
const HISTORY_SECS: u32 = 30;
/// Ended legs whose audio is kept (for `heard.wav` after the call).
const KEEP_ENDED: usize = 16;

/// What a party says.
pub enum Mouth {
    /// A simulated voice (tone or speech), able to press keys in-band.
    Voice(sound::Voice),
    /// A party outside the engine (a browser).
    Outside(Inside),
    /// An echo ([`Voice::Echo`]): says the frame it heard on the previous tick.
    Echo(Frame),
}

/// What a party hears.
enum Connection {
    Silence,
    Sound(Box<dyn Source>),
    Bridge(String),
    Outside(Inside),
}

/// A digit found in-band by the clock.
#[derive(Debug)]
pub struct InbandDigit {
    pub sid: String,
    pub digit: char,
    /// Found in what the leg's party heard (otherwise: in what it said).
    pub heard: bool,
}

struct LegMedia {
    mouth: Mouth,
    connection: Connection,
    /// Bumped whenever the connection changes, so a stale [`Hearing`] does not undo a newer one.
    generation: u64,
    said: Frame,
    forks: Vec<mpsc::Sender<Frame>>,
    heard: Meter,
    sent: Meter,
    heard_dtmf: DtmfDetector,
    said_dtmf: DtmfDetector,
    live: bool,
}

#[derive(Default)]
struct Legs {
    legs: HashMap<String, LegMedia>,
    ended: VecDeque<String>,
    /// Whether a clock task is running (set and cleared under this lock, so none is lost or doubled).
    clock: bool,
}

struct Shared {
    legs: Mutex<Legs>,
    clips: Mutex<HashMap<String, sound::Pending>>,
    voices: AtomicU32,
}

/// The media of every leg; cheap to clone.
#[derive(Clone)]
pub struct Media(Arc<Shared>);

impl Default for Media {
    fn default() -> Self {
        Media(Arc::new(Shared {
            legs: Mutex::default(),
            clips: Mutex::default(),
            voices: AtomicU32::new(0),
        }))
    }
}

impl Media {
    fn legs(&self) -> MutexGuard<'_, Legs> {
        self.0.legs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next default voice: 300, 400, … 3000 Hz, then round again, so a test can tell callers apart.
    pub fn next_voice(&self) -> Voice {
        let n = self.0.voices.fetch_add(1, Ordering::Relaxed) % 28;
        Voice::ToneHz(f64::from(300 + 100 * n))
    }

    /// Makes `voice` a mouth.
    pub fn mouth(&self, voice: &Voice) -> Mouth {
        let source: Box<dyn Source> = match voice {
            Voice::ToneHz(hz) => Box::new(sound::Tone::new(*hz)),
            Voice::Speech(text) => Box::new(Clip::repeating(
                self.speech(text, view::speech_ms(text)),
                (audio::SAMPLE_RATE / 2) as usize,
            )),
            Voice::Echo(_) => return Mouth::Echo(Frame::SILENCE),
        };
        Mouth::Voice(sound::Voice::new(source))
    }

    /// A silent mouth (a browser until its media is attached, or without any).
    pub fn silent() -> Mouth {
        Mouth::Voice(sound::Voice::new(Box::new(sound::Silence)))
    }

    /// Adds leg `sid` with a party saying `mouth`; true if the caller must start the clock task.
    #[must_use]
    pub fn add_leg(&self, sid: &str, mouth: Mouth) -> bool {
        let mut legs = self.legs();
        legs.legs.insert(
            sid.to_owned(),
            LegMedia {
                mouth,
                connection: Connection::Silence,
                generation: 0,
                said: Frame::SILENCE,
                forks: Vec::new(),
                heard: Meter::with_history(HISTORY_SECS),
                sent: Meter::default(),
                heard_dtmf: DtmfDetector::new(),
                said_dtmf: DtmfDetector::new(),
                live: true,
            },
        );
        !std::mem::replace(&mut legs.clock, true)
    }

    /// The leg's party now says `mouth`.
    pub fn set_mouth(&self, sid: &str, mouth: Mouth) {
        if let Some(leg) = self.legs().legs.get_mut(sid) {
            leg.mouth = mouth;
        }
    }

    /// Leg `sid` ended: it stops saying and hearing; its audio stays for a while (`heard.wav`).
    pub fn end_leg(&self, sid: &str) {
        let mut legs = self.legs();
        if let Some(leg) = legs.legs.get_mut(sid) {
            leg.live = false;
            leg.connection = Connection::Silence;
            leg.mouth = Media::silent();
            leg.forks.clear();
            legs.ended.push_back(sid.to_owned());
        }
        while legs.ended.len() > KEEP_ENDED {
            if let Some(old) = legs.ended.pop_front() {
                legs.legs.remove(&old);
            }
        }
    }

    /// The simulated party of leg `sid` plays `digits` as DTMF tones; `Err` for an unknown leg or a non-key.
    pub fn press_inband(&self, sid: &str, digits: &str) -> Result<(), String> {
        match self.legs().legs.get_mut(sid).map(|l| &mut l.mouth) {
            Some(Mouth::Voice(v)) => v.press(digits).map_err(|c| format!("{c:?} is not a key")),
            Some(Mouth::Outside(_)) => Err("the party is not simulated".into()),
            Some(Mouth::Echo(_)) => Err("the party only echoes".into()),
            None => Err("no such call".into()),
        }
    }

    fn connect(&self, sid: &str, connection: Connection) -> Option<u64> {
        let mut legs = self.legs();
        let leg = legs.legs.get_mut(sid).filter(|l| l.live)?;
        leg.generation += 1;
        leg.connection = connection;
        Some(leg.generation)
    }

    /// Leg `sid` hears `source` until the returned [`Hearing`] is dropped (or the connection changes).
    pub fn hear(&self, sid: &str, source: Box<dyn Source>) -> Hearing {
        let generation = self.connect(sid, Connection::Sound(source));
        Hearing {
            media: self.clone(),
            sid: sid.to_owned(),
            generation,
        }
    }

    /// Legs `a` and `b` hear each other.
    pub fn bridge(&self, a: &str, b: &str) {
        self.connect(a, Connection::Bridge(b.to_owned()));
        self.connect(b, Connection::Bridge(a.to_owned()));
    }

    /// Ends the bridge between `a` and `b` (each side still bridged to the other hears silence).
    pub fn unbridge(&self, a: &str, b: &str) {
        let mut legs = self.legs();
        for (me, peer) in [(a, b), (b, a)] {
            if let Some(leg) = legs.legs.get_mut(me)
                && matches!(&leg.connection, Connection::Bridge(p) if p == peer)
            {
                leg.generation += 1;
                leg.connection = Connection::Silence;
            }
        }
    }

    /// One 20 ms step for every live leg. `None` when no leg is live: the clock task must stop (it is then
    /// marked stopped, and the next [`Media::add_leg`] asks for a new one).
    pub fn tick(&self) -> Option<Vec<InbandDigit>> {
        let mut guard = self.legs();
        let legs = &mut guard.legs;
        let mut found = Vec::new();
        // Everyone says their frame…
        for (sid, leg) in legs.iter_mut().filter(|(_, l)| l.live) {
            leg.said = match &mut leg.mouth {
                Mouth::Voice(v) => v.next_frame(),
                Mouth::Outside(inside) => inside.from.try_recv().unwrap_or(Frame::SILENCE),
                Mouth::Echo(last) => *last,
            };
            leg.sent.push(&leg.said.0);
            leg.forks.retain(|f| {
                !matches!(
                    f.try_send(leg.said),
                    Err(mpsc::error::TrySendError::Closed(_))
                )
            });
            for digit in leg.said_dtmf.push(&leg.said.0) {
                found.push(InbandDigit {
                    sid: sid.clone(),
                    digit,
                    heard: false,
                });
            }
        }
        // …then hears its connection.
        let bridged: Vec<Option<Frame>> = legs
            .values()
            .map(|l| match &l.connection {
                Connection::Bridge(peer) => Some(legs.get(peer).map_or(Frame::SILENCE, |p| p.said)),
                _ => None,
            })
            .collect();
        let mut live = false;
        for ((sid, leg), from_peer) in legs.iter_mut().zip(bridged) {
            if !leg.live {
                continue;
            }
            live = true;
            let heard = match &mut leg.connection {
                Connection::Silence => Frame::SILENCE,
                Connection::Sound(source) => source.next_frame(),
                Connection::Bridge(_) => from_peer.unwrap_or(Frame::SILENCE),
                Connection::Outside(inside) => match inside.exchange(leg.said) {
                    Some(frame) => frame,
                    None => {
                        leg.connection = Connection::Silence;
                        Frame::SILENCE
                    }
                },
            };
            match &mut leg.mouth {
                Mouth::Outside(inside) => {
                    let _ = inside.to.try_send(heard);
                }
                Mouth::Echo(last) => *last = heard,
                Mouth::Voice(_) => {}
            }
            leg.heard.push(&heard.0);
            for digit in leg.heard_dtmf.push(&heard.0) {
                found.push(InbandDigit {
                    sid: sid.clone(),
                    digit,
                    heard: true,
                });
            }
        }
        if !live {
            guard.clock = false;
            return None;
        }
        Some(found)
    }
}

/// A sound a leg hears while this lives; dropping it returns the leg to silence unless its connection has
/// changed since.
#[must_use]
pub struct Hearing {
    media: Media,
    sid: String,
    generation: Option<u64>,
}

impl Drop for Hearing {
    fn drop(&mut self) {
        let mut legs = self.media.legs();
        if let Some(leg) = legs.legs.get_mut(&self.sid)
            && Some(leg.generation) == self.generation
        {
            leg.generation += 1;
            leg.connection = Connection::Silence;
        }
    }
}

#[cfg(test)]
mod tests;
