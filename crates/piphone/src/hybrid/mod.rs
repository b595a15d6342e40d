//! The studio hybrid (`PIPHONE_ONAIR=hybrid`): several callers on the air at once, each on its own channel of
//! the station's sound card, each hearing the studio and the other callers on the air but never themselves.
//!
//! A caller put on a line is moved by REST to `/voice/line?n=N` (`routes/webhooks/lines.rs`), whose TwiML
//! connects the call to a bidirectional Media Stream and, after it, puts the caller back in the screened queue:
//! when the stream ends unexpectedly (piphone killed, the WebSocket broken) Twilio runs that `<Enqueue>` by itself,
//! so the caller is never lost, even while piphone is down.
//!
//! - [`lines`]: the lines' state (pure), the one source of truth the console and the mixer read;
//! - [`mix`]: the mixing of one 20 ms tick (pure): mix-minus, hold, outputs, limiter, meters;
//! - [`control`]: the buttons (take, air, hold, drop, lock, next) with their Twilio requests;
//! - [`twiml`]: what a caller on a line runs;
//! - [`engine`]: the one task that moves audio: sound card ⇄ mixer ⇄ streams, the capture being the clock;
//! - [`wiring`]: `piphone hybrid test`, a tone per output channel and the input's level.
//!
//! [`Hybrid`] holds the lines behind a lock and publishes each change (and the meters) through one `watch`, as
//! the call-in's queue hub does: `/queue-status` and `/events` read it. Settings: [`HybridSettings`];
//! walkthrough: `docs/studio.md`.

pub mod control;
pub mod engine;
pub mod lines;
pub mod mix;
pub mod twiml;
pub mod wiring;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use serde::Serialize;
use tokio::sync::watch;

use crate::callin::QueueHub;
use crate::media::device::DeviceSpec;
use crate::settings::HybridSettings;
use crate::store::Store;
use lines::{LineView, Lines, Now, Returned, Route};
use mix::Levels;

/// The hybrid: its lines, what the mixer should do, the meters, and what it needs to move callers.
pub struct Hybrid {
    pub settings: HybridSettings,
    lines: Mutex<Lines>,
    levels: Mutex<Levels>,
    routing: watch::Sender<Vec<Route>>,
    tx: watch::Sender<Arc<str>>,
    callin: Arc<QueueHub>,
    store: Store,
    rest: twilio::rest::Client,
    /// The absolute URL of [`twiml::LINE_PATH`], which Twilio requests for a caller sent to a line.
    line_url: String,
}

/// The picture the console gets: `lines` (also in `/queue-status`) and the callers a fault sent back.
#[derive(Debug, Clone, Serialize)]
pub struct LinesSnapshot {
    pub lines: Vec<LineView>,
    pub returned: Vec<Returned>,
}

fn now() -> Now {
    Now {
        instant: Instant::now(),
        system: SystemTime::now(),
    }
}

impl Hybrid {
    pub fn new(
        settings: HybridSettings,
        callin: Arc<QueueHub>,
        store: Store,
        rest: twilio::rest::Client,
        line_url: String,
    ) -> Hybrid {
        let lines = Lines::new(settings.lines, now());
        let routing = watch::Sender::new(lines.routing());
        let hybrid = Hybrid {
            levels: Mutex::new(Levels::default()),
            routing,
            tx: watch::Sender::new("{}".into()),
            lines: Mutex::new(lines),
            settings,
            callin,
            store,
            rest,
            line_url,
        };
        hybrid.publish(&hybrid.lock());
        hybrid
    }

    fn lock(&self) -> MutexGuard<'_, Lines> {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.set_time(now());
        lines
    }

    fn levels(&self) -> Vec<f64> {
        self.levels
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .lines
            .clone()
    }

    fn snapshot_of(&self, lines: &Lines) -> LinesSnapshot {
        LinesSnapshot {
            lines: lines.views(&self.levels()),
            returned: lines.returned().to_vec(),
        }
    }

    fn publish(&self, lines: &Lines) {
        self.routing.send_if_modified(|r| {
            let next = lines.routing();
            let changed = *r != next;
            *r = next;
            changed
        });
        let json = serde_json::to_string(&self.snapshot_of(lines)).unwrap_or_else(|_| "{}".into());
        self.tx.send_if_modified(|old| {
            let changed = **old != *json;
            if changed {
                *old = json.into();
            }
            changed
        });
    }

    /// Changes the lines and publishes the result.
    pub fn update<R>(&self, change: impl FnOnce(&mut Lines) -> R) -> R {
        let mut lines = self.lock();
        let out = change(&mut lines);
        self.publish(&lines);
        out
    }

    /// Reads the lines without publishing.
    pub fn read<R>(&self, look: impl FnOnce(&Lines) -> R) -> R {
        look(&self.lock())
    }

    /// The lines now.
    pub fn snapshot(&self) -> LinesSnapshot {
        self.snapshot_of(&self.lock())
    }

    /// The lines as JSON (`{"lines": […], "returned": […]}`), now and after each change; the levels move it
    /// about five times a second while callers are on lines. Made once per change, whatever the readers.
    pub fn subscribe(&self) -> watch::Receiver<Arc<str>> {
        self.tx.subscribe()
    }

    /// What the mixer should do with each line, now and after each change.
    pub fn routing(&self) -> watch::Receiver<Vec<Route>> {
        self.routing.subscribe()
    }

    /// The engine's meters (computed once, in the engine).
    pub fn set_levels(&self, levels: Levels) {
        *self.levels.lock().unwrap_or_else(|p| p.into_inner()) = levels;
        self.publish(&self.lock());
    }

    /// The studio input's level, dBFS over the last second.
    pub fn studio_level(&self) -> f64 {
        self.levels.lock().unwrap_or_else(|p| p.into_inner()).studio
    }
}

/// A sound device setting (`PIPHONE_HYBRID_CAPTURE`/`_PLAYBACK`) as the media layer opens it; the error names
/// the setting's value.
pub fn device(raw: &str) -> anyhow::Result<DeviceSpec> {
    raw.parse()
        .map_err(|e| anyhow::anyhow!("sound device {raw:?}: {e}"))
}
