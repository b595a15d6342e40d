//! The studio hybrid through the sandbox with real audio (tones instead of voices, `file:` devices in a temporary
//! directory): mix-minus per line, per-line and mixed outputs, hold, drop, lock and Next.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use audio::analyse::tone_dbfs;
use audio::tone::Sine;
use audio::wav::Wav;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};
use crate::process;

/// The acceptance scenario and the mixed output.
mod audio_paths;
/// piphone killed with callers on lines: Twilio keeps them, in the screened queue.
mod sigkill;

/// The studio input's tone; each caller has its own.
pub const STUDIO_HZ: f64 = 1800.0;

/// A piphone in sandbox mode (in-process sandbox, TLS: Media Streams are `wss://` only) with the hybrid on.
pub struct Studio {
    /// Kept alive: the server runs as long as the test.
    _app: TestApp,
    pub base: String,
    pub client: reqwest::Client,
    pub cookie: String,
    creds: sandbox::Credentials,
    pub playback: PathBuf,
    _dir: tempfile::TempDir,
}

/// Credentials left empty: sandbox mode.
const NO_TWILIO: [(&str, &str); 5] = [
    ("PIPHONE_TWILIO_ACCOUNT_SID", ""),
    ("PIPHONE_TWILIO_AUTH_TOKEN", ""),
    ("PIPHONE_TWILIO_API_KEY_SID", ""),
    ("PIPHONE_TWILIO_API_KEY_SECRET", ""),
    ("PIPHONE_TWILIO_APP_SID", ""),
];

impl Studio {
    pub async fn start(output: &str) -> Studio {
        piphone::tls::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let studio = dir.path().join("studio.wav");
        Wav::mono(Sine::new(STUDIO_HZ, -12.0).take(8000 * 4), 8000)
            .write(&studio)
            .unwrap();
        let playback = dir.path().join("playback.wav");
        let capture = format!("file:{}", studio.display());
        let play = format!("file:{}", playback.display());
        let data = dir.path().join("data");
        let data = data.to_str().unwrap();
        let mut env = NO_TWILIO.to_vec();
        env.extend([
            ("PIPHONE_DATA_DIR", data),
            ("PIPHONE_TLS", "on"),
            ("PIPHONE_ONAIR", "hybrid"),
            ("PIPHONE_HYBRID_LINES", "4"),
            ("PIPHONE_HYBRID_OUTPUT", output),
            ("PIPHONE_HYBRID_CAPTURE", &capture),
            ("PIPHONE_HYBRID_PLAYBACK", &play),
            ("PIPHONE_CALLIN_GREETING", "Hi."),
        ]);
        let app = spawn_app_with(&env).await;
        let base = app.url.clone();
        assert!(base.starts_with("https://"), "{base}");
        let client = process::client();
        let cookie = process::login(&client, &base).await;
        let creds = sandbox::Credentials::load(std::path::Path::new(data))
            .unwrap()
            .expect("sandbox credentials");
        Studio {
            _app: app,
            base,
            client,
            cookie,
            creds,
            playback,
            _dir: dir,
        }
    }

    /// A simulated listener whose voice is a tone phones the station; returns the CallSid once piphone shows
    /// the caller waiting.
    pub async fn call_in(&self, from: &str, hz: f64) -> String {
        let placed = process::json(
            self.client
                .post(format!("{}/sandbox/call-in", self.base))
                .basic_auth(&self.creds.account_sid, Some(&self.creds.auth_token))
                .json(&json!({ "from": from, "voice": { "tone_hz": hz }, "wait": true })),
        )
        .await;
        let sid = placed["calls"][0]["call_sid"]
            .as_str()
            .unwrap_or_else(|| panic!("no call: {placed}"))
            .to_owned();
        self.until("the caller is waiting", |s| {
            s["members"]
                .as_array()
                .is_some_and(|m| m.iter().any(|c| c["call_sid"] == sid.as_str()))
        })
        .await;
        sid
    }

    pub async fn status(&self) -> Value {
        process::json(
            self.client
                .get(format!("{}/queue-status", self.base))
                .header("cookie", &self.cookie),
        )
        .await
    }

    /// Polls `/queue-status` until `check` holds (15 s at most).
    pub async fn until(&self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let status = self.status().await;
            if check(&status) {
                return status;
            }
            assert!(Instant::now() < deadline, "{what}: {status}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the lines' states are `states` (line 1 first).
    pub async fn until_lines(&self, states: &[&str]) -> Value {
        self.until(&format!("lines {states:?}"), |s| {
            let now: Vec<&str> = s["lines"]
                .as_array()
                .map(|l| l.iter().filter_map(|x| x["state"].as_str()).collect())
                .unwrap_or_default();
            now == states
        })
        .await
    }

    /// POSTs JSON as the admin (a host); returns status and body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or_default())
    }

    /// The sandbox's view of a call.
    pub async fn call(&self, sid: &str) -> Value {
        process::json(
            self.client
                .get(format!("{}/sandbox/calls/{sid}", self.base))
                .basic_auth(&self.creds.account_sid, Some(&self.creds.auth_token)),
        )
        .await
    }

    /// The last `secs` of what a caller heard.
    pub async fn heard(&self, sid: &str, secs: f64) -> Vec<i16> {
        let bytes = self
            .client
            .get(format!("{}/sandbox/calls/{sid}/heard.wav", self.base))
            .basic_auth(&self.creds.account_sid, Some(&self.creds.auth_token))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let samples = Wav::parse(&bytes).unwrap().to_mono();
        let n = (secs * 8000.0) as usize;
        samples[samples.len().saturating_sub(n)..].to_vec()
    }

    /// The last `secs` of each playback channel, as written so far (the writer completes its header every second).
    pub fn played(&self, secs: f64) -> Vec<Vec<i16>> {
        let wav = Wav::read(&self.playback).unwrap();
        let n = (secs * 8000.0) as usize;
        (0..usize::from(wav.spec.channels))
            .map(|c| {
                let ch = wav.channel(c);
                ch[ch.len().saturating_sub(n)..].to_vec()
            })
            .collect()
    }
}

/// The level of the tone nearest `hz` within ±1.5 % (a line's drift buffer steers its read speed, which moves
/// a caller's pitch by a fraction of a per cent), in dBFS.
pub fn level(samples: &[i16], hz: f64) -> f64 {
    (-30..=30)
        .map(|step| tone_dbfs(samples, hz * (1.0 + f64::from(step) * 0.0005)))
        .fold(f64::MIN, f64::max)
}

/// Whether `hz` is clearly in `samples` (above −35 dBFS; the tones are made at −12).
pub fn has(samples: &[i16], hz: f64) -> bool {
    level(samples, hz) > -35.0
}

/// The levels of the tones in `samples`, for failure messages.
pub fn tones(samples: &[i16], hzs: &[f64]) -> String {
    hzs.iter()
        .map(|&hz| format!("{hz} Hz {:.1} dBFS", level(samples, hz)))
        .collect::<Vec<_>>()
        .join(", ")
}
