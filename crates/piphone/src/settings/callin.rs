//! The call-in section (`PIPHONE_CALLIN_*`, `PIPHONE_QUEUE_*`, `PIPHONE_HOLD_MUSIC_URL`, `PIPHONE_INCOMING_MODE`,
//! `PIPHONE_SCREENED_ONLY`, `PIPHONE_CALL_LOG_DAYS`), read from the same sources as every other setting.

use std::time::Duration;

use url::Url;

use super::sources::Sources;
use super::{SettingsError, invalid, parse_as, parse_bool};

/// Appended to the call-in queue's name for the queue of screened callers.
pub const SCREENED_SUFFIX: &str = "-screened";

/// Longest call-in queue name: Twilio allows 64 characters, and piphone appends `-screened` or `-h<id>`.
pub const MAX_QUEUE_NAME_CHARS: usize = twilio::twiml::MAX_QUEUE_NAME_CHARS - 16;

/// Default queue name (`PIPHONE_CALLIN_QUEUE`).
pub const DEFAULT_QUEUE: &str = "radio-callin-queue";
const DEFAULT_GREETING: &str =
    "Thanks for calling the station. Please hold and we will put you on the air.";

/// What `/voice/incoming` does with a call to the station number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncomingMode {
    /// Greet, then `<Enqueue>` into the call-in queue (the default).
    Queue,
    /// Ring the browsers of online hosts and admins with `<Dial><Client>` (the plain browser-phone behaviour).
    Ring,
}

/// The greeting a caller hears before joining the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Greeting {
    /// Spoken with `<Say>`.
    Say(String),
    /// An audio file played with `<Play>`.
    Play(Url),
}

/// The effective call-in settings.
#[derive(Debug, Clone)]
pub struct CallinSettings {
    /// The Twilio queue's friendly name (1 to 64 characters).
    pub queue: String,
    pub greeting: Greeting,
    /// `None`: piphone's own `/static/sounds/hold.wav`, as an absolute URL under the public base.
    pub hold_music_url: Option<Url>,
    /// Callers beyond this many are told the lines are full.
    pub max_size: u32,
    /// Tell a waiting caller their place every N hold loops (0 = never).
    pub announce_every: u32,
    /// How often the one shared reconcile poll asks Twilio for the queue and its members.
    pub poll_interval: Duration,
    pub incoming_mode: IncomingMode,
    /// Hosts take screened callers only (`PIPHONE_SCREENED_ONLY`); otherwise the unscreened queue after them.
    pub screened_only: bool,
    /// Days the call log keeps a call (`PIPHONE_CALL_LOG_DAYS`); 0 keeps everything.
    pub call_log_days: u32,
}

impl Default for CallinSettings {
    fn default() -> Self {
        CallinSettings {
            queue: DEFAULT_QUEUE.into(),
            greeting: Greeting::Say(DEFAULT_GREETING.into()),
            hold_music_url: None,
            max_size: 100,
            announce_every: 1,
            poll_interval: Duration::from_secs(5),
            incoming_mode: IncomingMode::Queue,
            screened_only: false,
            call_log_days: 90,
        }
    }
}

fn http_url(name: &'static str, raw: &str) -> Result<Url, SettingsError> {
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
        _ => Err(invalid(name, format!("{raw:?} is not an http(s) URL"))),
    }
}

fn number<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, SettingsError> {
    parse_as(name, raw, "a whole number")
}

impl CallinSettings {
    /// Environment first, then the file, then the defaults.
    pub(crate) fn from_sources(src: &mut Sources<'_>) -> Result<CallinSettings, SettingsError> {
        let mut s = CallinSettings::default();
        if let Some(q) = src.get("PIPHONE_CALLIN_QUEUE") {
            // Room for the screened queue's suffix and a host's own queue (`-h<id>`) within Twilio's 64.
            if q.chars().count() > MAX_QUEUE_NAME_CHARS {
                return Err(invalid(
                    "PIPHONE_CALLIN_QUEUE",
                    format!("queue names are 1 to {MAX_QUEUE_NAME_CHARS} characters here"),
                ));
            }
            s.queue = q;
        }
        if let Some(g) = src.get("PIPHONE_CALLIN_GREETING") {
            s.greeting = if g.starts_with("http://") || g.starts_with("https://") {
                Greeting::Play(http_url("PIPHONE_CALLIN_GREETING", &g)?)
            } else {
                Greeting::Say(g)
            };
        }
        if let Some(u) = src.get("PIPHONE_HOLD_MUSIC_URL") {
            s.hold_music_url = Some(http_url("PIPHONE_HOLD_MUSIC_URL", &u)?);
        }
        if let Some(n) = src.get("PIPHONE_QUEUE_MAX_SIZE") {
            s.max_size = number("PIPHONE_QUEUE_MAX_SIZE", &n)?;
            if !(1..=5000).contains(&s.max_size) {
                return Err(invalid(
                    "PIPHONE_QUEUE_MAX_SIZE",
                    "must be between 1 and 5000 (Twilio's largest queue)",
                ));
            }
        }
        if let Some(n) = src.get("PIPHONE_QUEUE_ANNOUNCE_EVERY") {
            s.announce_every = number("PIPHONE_QUEUE_ANNOUNCE_EVERY", &n)?;
        }
        if let Some(n) = src.get("PIPHONE_QUEUE_POLL_SECS") {
            let secs: f64 = parse_as("PIPHONE_QUEUE_POLL_SECS", &n, "a number")?;
            if !(0.1..=3600.0).contains(&secs) {
                return Err(invalid(
                    "PIPHONE_QUEUE_POLL_SECS",
                    "must be between 0.1 and 3600 seconds",
                ));
            }
            s.poll_interval = Duration::from_secs_f64(secs);
        }
        if let Some(m) = src.get("PIPHONE_INCOMING_MODE") {
            s.incoming_mode = match m.to_ascii_lowercase().as_str() {
                "queue" => IncomingMode::Queue,
                "ring" => IncomingMode::Ring,
                _ => {
                    return Err(invalid(
                        "PIPHONE_INCOMING_MODE",
                        format!("{m:?}: use \"queue\" or \"ring\""),
                    ));
                }
            };
        }
        if let Some(b) = src.get("PIPHONE_SCREENED_ONLY") {
            s.screened_only = parse_bool("PIPHONE_SCREENED_ONLY", &b)?;
        }
        if let Some(n) = src.get("PIPHONE_CALL_LOG_DAYS") {
            s.call_log_days = number("PIPHONE_CALL_LOG_DAYS", &n)?;
        }
        Ok(s)
    }

    /// The Twilio queue screened callers wait in.
    pub fn screened_queue(&self) -> String {
        format!("{}{SCREENED_SUFFIX}", self.queue)
    }

    /// The queue of a host's own (user id `host_id`), where a caller the host chose waits a moment.
    pub fn pick_queue(&self, host_id: i64) -> String {
        format!("{}-h{host_id}", self.queue)
    }

    /// `(file key, value)` lines for `piphone config check`.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "incoming_mode",
                format!("{:?}", self.incoming_mode).to_lowercase(),
            ),
            ("callin_queue", self.queue.clone()),
            (
                "callin_greeting",
                match &self.greeting {
                    Greeting::Say(t) => t.clone(),
                    Greeting::Play(u) => u.to_string(),
                },
            ),
            (
                "hold_music_url",
                self.hold_music_url
                    .as_ref()
                    .map_or("(built-in /static/sounds/hold.wav)".into(), Url::to_string),
            ),
            ("queue_max_size", self.max_size.to_string()),
            ("queue_announce_every", self.announce_every.to_string()),
            (
                "queue_poll_secs",
                self.poll_interval.as_secs_f64().to_string(),
            ),
            ("screened_only", self.screened_only.to_string()),
            ("call_log_days", self.call_log_days.to_string()),
        ]
    }
}
