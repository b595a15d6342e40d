//! Simulated durations, all divided by a speed factor so tests run fast.
//!
//! The speed (settings `sandbox_speed`, env `PIPHONE_SANDBOX_SPEED`; default 1.0 = real time,
//! tests use e.g. 10) scales everything:
//! `<Say>` lasts 60 ms per character, `<Play>` a fixed [`Timing::play_ms`] (default 3 s),
//! `<Pause>` its `length` (default 1 s), a simulated phone rings `ring_ms` (default 800 ms),
//! `<Dial timeout>` defaults to 30 s. Without an explicit `waitUrl`, a queued caller waits silently.

use std::time::Duration;

pub const DEFAULT_RING_MS: u64 = 800;

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub speed: f64,
    pub play_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            speed: 1.0,
            play_ms: 3000,
        }
    }
}

impl Timing {
    /// Defaults, with `<Play>`'s duration from `PIPHONE_SANDBOX_PLAY_MS` when set.
    pub fn from_env() -> Timing {
        let mut t = Timing::default();
        if let Some(ms) = std::env::var("PIPHONE_SANDBOX_PLAY_MS")
            .ok()
            .and_then(|s| s.parse().ok())
        {
            t.play_ms = ms;
        }
        t
    }

    /// The same timings at `speed` (ignored unless finite and positive).
    pub fn with_speed(mut self, speed: f64) -> Timing {
        if speed.is_finite() && speed > 0.0 {
            self.speed = speed;
        }
        self
    }

    /// `ms` of simulated time as a real duration.
    pub fn scaled(&self, ms: u64) -> Duration {
        Duration::from_secs_f64(ms as f64 / 1000.0 / self.speed)
    }

    pub fn say(&self, text: &str) -> Duration {
        self.scaled(crate::media::speech_ms(text))
    }

    pub fn play(&self) -> Duration {
        self.scaled(self.play_ms)
    }

    /// Real milliseconds elapsed expressed as simulated seconds (for `QueueTime`, durations).
    pub fn sim_secs(&self, real: Duration) -> u64 {
        (real.as_secs_f64() * self.speed) as u64
    }
}
