//! The call-in settings (`PIPHONE_CALLIN_*`, `PIPHONE_QUEUE_*`, `PIPHONE_HOLD_MUSIC_URL`, `PIPHONE_INCOMING_MODE`),
//! parsed by [`crate::settings::Settings::from_sources`] with the same layering as every other setting.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::settings::SettingsError;

/// The environment variables read here.
pub const ENV_NAMES: &[&str] = &[
    "PIPHONE_CALLIN_QUEUE",
    "PIPHONE_CALLIN_GREETING",
    "PIPHONE_HOLD_MUSIC_URL",
    "PIPHONE_QUEUE_MAX_SIZE",
    "PIPHONE_QUEUE_ANNOUNCE_EVERY",
    "PIPHONE_QUEUE_POLL_SECS",
    "PIPHONE_INCOMING_MODE",
    "PIPHONE_SCREENED_ONLY",
    "PIPHONE_CALL_LOG_DAYS",
];

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

/// The settings file's keys for the call-in (flattened into the file's top level).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FileCallin {
    callin_queue: Option<toml::Value>,
    callin_greeting: Option<toml::Value>,
    hold_music_url: Option<toml::Value>,
    queue_max_size: Option<toml::Value>,
    queue_announce_every: Option<toml::Value>,
    queue_poll_secs: Option<toml::Value>,
    incoming_mode: Option<toml::Value>,
    screened_only: Option<toml::Value>,
    call_log_days: Option<toml::Value>,
}

fn file_str(v: &Option<toml::Value>) -> Option<String> {
    match v.as_ref()? {
        toml::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn invalid(name: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        name,
        message: message.into(),
    }
}

fn http_url(name: &'static str, raw: &str) -> Result<Url, SettingsError> {
    match Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
        _ => Err(invalid(name, format!("{raw:?} is not an http(s) URL"))),
    }
}

fn number<T: std::str::FromStr>(name: &'static str, raw: &str) -> Result<T, SettingsError> {
    raw.trim()
        .parse()
        .map_err(|_| invalid(name, format!("{raw:?} is not a whole number")))
}

impl CallinSettings {
    /// Environment first, then the file, then the defaults.
    pub(crate) fn from_sources(
        env: &BTreeMap<String, String>,
        file: &FileCallin,
    ) -> Result<CallinSettings, SettingsError> {
        let pick = |name: &str, from_file: &Option<toml::Value>| -> Option<String> {
            env.get(name)
                .cloned()
                .or_else(|| file_str(from_file))
                .filter(|v| !v.trim().is_empty())
        };
        let mut s = CallinSettings::default();
        if let Some(q) = pick("PIPHONE_CALLIN_QUEUE", &file.callin_queue) {
            let q = q.trim().to_owned();
            // Room for the screened queue's suffix and a host's own queue (`-h<id>`) within Twilio's 64.
            if q.is_empty() || q.chars().count() > MAX_QUEUE_NAME_CHARS {
                return Err(invalid(
                    "PIPHONE_CALLIN_QUEUE",
                    format!("queue names are 1 to {MAX_QUEUE_NAME_CHARS} characters here"),
                ));
            }
            s.queue = q;
        }
        if let Some(g) = pick("PIPHONE_CALLIN_GREETING", &file.callin_greeting) {
            let g = g.trim();
            s.greeting = if g.starts_with("http://") || g.starts_with("https://") {
                Greeting::Play(http_url("PIPHONE_CALLIN_GREETING", g)?)
            } else {
                Greeting::Say(g.to_owned())
            };
        }
        if let Some(u) = pick("PIPHONE_HOLD_MUSIC_URL", &file.hold_music_url) {
            s.hold_music_url = Some(http_url("PIPHONE_HOLD_MUSIC_URL", u.trim())?);
        }
        if let Some(n) = pick("PIPHONE_QUEUE_MAX_SIZE", &file.queue_max_size) {
            s.max_size = number("PIPHONE_QUEUE_MAX_SIZE", &n)?;
            if !(1..=5000).contains(&s.max_size) {
                return Err(invalid(
                    "PIPHONE_QUEUE_MAX_SIZE",
                    "must be between 1 and 5000 (Twilio's largest queue)",
                ));
            }
        }
        if let Some(n) = pick("PIPHONE_QUEUE_ANNOUNCE_EVERY", &file.queue_announce_every) {
            s.announce_every = number("PIPHONE_QUEUE_ANNOUNCE_EVERY", &n)?;
        }
        if let Some(n) = pick("PIPHONE_QUEUE_POLL_SECS", &file.queue_poll_secs) {
            let secs: f64 = n.trim().parse().map_err(|_| {
                invalid("PIPHONE_QUEUE_POLL_SECS", format!("{n:?} is not a number"))
            })?;
            if !(0.1..=3600.0).contains(&secs) {
                return Err(invalid(
                    "PIPHONE_QUEUE_POLL_SECS",
                    "must be between 0.1 and 3600 seconds",
                ));
            }
            s.poll_interval = Duration::from_secs_f64(secs);
        }
        if let Some(m) = pick("PIPHONE_INCOMING_MODE", &file.incoming_mode) {
            s.incoming_mode = match m.trim().to_ascii_lowercase().as_str() {
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
        if let Some(b) = pick("PIPHONE_SCREENED_ONLY", &file.screened_only) {
            s.screened_only = match b.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(invalid(
                        "PIPHONE_SCREENED_ONLY",
                        format!("{b:?}: use true or false"),
                    ));
                }
            };
        }
        if let Some(n) = pick("PIPHONE_CALL_LOG_DAYS", &file.call_log_days) {
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

    /// `(name, value)` lines for `piphone config check`.
    pub fn lines(&self) -> Vec<(String, String)> {
        vec![
            (
                "incoming_mode".into(),
                format!("{:?}", self.incoming_mode).to_lowercase(),
            ),
            ("callin_queue".into(), self.queue.clone()),
            (
                "callin_greeting".into(),
                match &self.greeting {
                    Greeting::Say(t) => t.clone(),
                    Greeting::Play(u) => u.to_string(),
                },
            ),
            (
                "hold_music_url".into(),
                self.hold_music_url
                    .as_ref()
                    .map_or("(built-in /static/sounds/hold.wav)".into(), Url::to_string),
            ),
            ("queue_max_size".into(), self.max_size.to_string()),
            (
                "queue_announce_every".into(),
                self.announce_every.to_string(),
            ),
            (
                "queue_poll_secs".into(),
                self.poll_interval.as_secs_f64().to_string(),
            ),
            ("screened_only".into(), self.screened_only.to_string()),
            ("call_log_days".into(), self.call_log_days.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::settings::tests::env;

    #[test]
    fn defaults() {
        let s = CallinSettings::from_sources(&env(&[]), &FileCallin::default()).unwrap();
        assert_eq!(s.queue, DEFAULT_QUEUE);
        assert_eq!(s.max_size, 100);
        assert_eq!(s.announce_every, 1);
        assert_eq!(s.poll_interval, Duration::from_secs(5));
        assert_eq!(s.incoming_mode, IncomingMode::Queue);
        assert!(matches!(s.greeting, Greeting::Say(_)));
        assert!(!s.screened_only);
        assert_eq!(s.call_log_days, 90);
        assert_eq!(s.screened_queue(), "radio-callin-queue-screened");
    }

    #[test]
    fn greeting_url_plays_and_text_is_said() {
        let s = CallinSettings::from_sources(
            &env(&[("PIPHONE_CALLIN_GREETING", "https://example.com/hi.mp3")]),
            &FileCallin::default(),
        )
        .unwrap();
        assert_eq!(
            s.greeting,
            Greeting::Play(Url::parse("https://example.com/hi.mp3").unwrap())
        );
        let s = CallinSettings::from_sources(
            &env(&[("PIPHONE_CALLIN_GREETING", "Hello, radio!")]),
            &FileCallin::default(),
        )
        .unwrap();
        assert_eq!(s.greeting, Greeting::Say("Hello, radio!".into()));
    }

    #[test]
    fn file_numbers_and_environment_layering() {
        let file: FileCallin =
            toml::from_str("queue_max_size = 7\nqueue_poll_secs = 0.5\nincoming_mode = \"ring\"")
                .unwrap();
        let s =
            CallinSettings::from_sources(&env(&[("PIPHONE_QUEUE_MAX_SIZE", "9")]), &file).unwrap();
        assert_eq!(s.max_size, 9, "environment wins");
        assert_eq!(s.poll_interval, Duration::from_millis(500));
        assert_eq!(s.incoming_mode, IncomingMode::Ring);
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (name, value) in [
            ("PIPHONE_CALLIN_QUEUE", "x".repeat(65).as_str()),
            ("PIPHONE_HOLD_MUSIC_URL", "ftp://x/y.mp3"),
            ("PIPHONE_QUEUE_MAX_SIZE", "lots"),
            ("PIPHONE_QUEUE_MAX_SIZE", "0"),
            ("PIPHONE_QUEUE_ANNOUNCE_EVERY", "-1"),
            ("PIPHONE_QUEUE_POLL_SECS", "0"),
            ("PIPHONE_INCOMING_MODE", "broadcast"),
            ("PIPHONE_CALLIN_QUEUE", "x".repeat(49).as_str()),
            ("PIPHONE_SCREENED_ONLY", "sometimes"),
            ("PIPHONE_CALL_LOG_DAYS", "-3"),
        ] {
            let err = CallinSettings::from_sources(&env(&[(name, value)]), &FileCallin::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{name}={value}: {err}");
        }
    }
}
