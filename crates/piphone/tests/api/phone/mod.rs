//! The stream phone (`PIPHONE_KIOSK_ENGINE=stream`) against the sandbox with real audio: the command line's
//! commands through the same relay as the Chromium kiosk (the kiosk CLI tests' list: `tests/browser/kiosk.test.mjs`),
//! the sound card as `file:` devices in a temporary directory.

mod cli;
mod incoming;
mod outgoing;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use piphone::cli::kiosk::client::{Answer, Control};
use piphone::kiosk::messages::{Command, Outcome, Status};
use piphone::state::SandboxLink;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

/// The far end's number (the sandbox's simulated phones have area code 555).
pub const CALLEE: &str = "+15551230001";
/// A listener calling the station.
pub const LISTENER: &str = "+15551230002";
/// The tone the phone's microphone (capture file) holds, and the far end's voice.
pub const MIC_HZ: f64 = 1000.0;
pub const FAR_HZ: f64 = 600.0;

/// A server with the stream phone in sandbox mode, its microphone and speaker as WAV files.
pub struct PhoneTest {
    pub app: TestApp,
    pub control: Control,
    sandbox: reqwest::Client,
    auth: (String, String),
    pub dir: tempfile::TempDir,
}

/// `samples` of a tone at `hz`, −12 dBFS.
fn tone(hz: f64, secs: f64) -> Vec<i16> {
    audio::tone::Sine::new(hz, -12.0).take((secs * f64::from(audio::SAMPLE_RATE)) as usize)
}

impl PhoneTest {
    pub async fn start(extra: &[(&str, &str)]) -> PhoneTest {
        let dir = tempfile::tempdir().unwrap();
        let mic = dir.path().join("mic.wav");
        audio::wav::Wav::mono(tone(MIC_HZ, 2.0), audio::SAMPLE_RATE)
            .write(&mic)
            .unwrap();
        let capture = format!("file:{}", mic.display());
        let playback = format!("file:{}", dir.path().join("speaker.wav").display());
        let mut env = vec![
            ("PIPHONE_TWILIO_ACCOUNT_SID", ""),
            ("PIPHONE_TWILIO_AUTH_TOKEN", ""),
            ("PIPHONE_TWILIO_API_KEY_SID", ""),
            ("PIPHONE_TWILIO_API_KEY_SECRET", ""),
            ("PIPHONE_TWILIO_APP_SID", ""),
            ("PIPHONE_TWILIO_API_URL", ""),
            ("PIPHONE_CALLER_ID", ""),
            ("PIPHONE_TLS", "on"),
            ("PIPHONE_KIOSK_ENGINE", "stream"),
            ("PIPHONE_PHONE_CAPTURE", capture.as_str()),
            ("PIPHONE_PHONE_PLAYBACK", playback.as_str()),
        ];
        env.extend_from_slice(extra);
        let app = spawn_app_with(&env).await;
        let mut settings = (*app.state.settings).clone();
        settings.listen = app.url.trim_start_matches("https://").parse().unwrap();
        let control = Control::new(&settings).unwrap();
        let Some(SandboxLink::InProcess(sb)) = &app.state.sandbox else {
            panic!("sandbox mode");
        };
        let creds = sb.credentials();
        let auth = (creds.account_sid.clone(), creds.auth_token.clone());
        let sandbox = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        PhoneTest {
            app,
            control,
            sandbox,
            auth,
            dir,
        }
    }

    /// The sandbox's control API.
    pub async fn sandbox(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self
            .sandbox
            .request(method.clone(), self.app.at(path))
            .basic_auth(&self.auth.0, Some(&self.auth.1));
        if method == reqwest::Method::POST {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// How the sandbox phone at `number` behaves (`answer`, `busy`, `no-answer`, `failed`), speaking `FAR_HZ`.
    pub async fn far_end(&self, number: &str, behaviour: &str) {
        let body = json!({"number": number, "behaviour": behaviour, "ring_ms": 300,
                          "voice": {"tone_hz": FAR_HZ}});
        self.sandbox(reqwest::Method::POST, "/sandbox/phones", body)
            .await;
    }

    /// The sandbox's view of call `sid`.
    pub async fn call(&self, sid: &str) -> Value {
        let path = format!("/sandbox/calls/{sid}");
        self.sandbox(reqwest::Method::GET, &path, Value::Null).await
    }

    /// Waits until the far end of sandbox call `sid` hears the phone's microphone (`MIC_HZ`).
    pub async fn far_end_hears_the_microphone(&self, sid: &str) {
        let heard = eventually(10, || async {
            near(
                &self.call(sid).await["audio"]["heard"]["dominant_hz"],
                MIC_HZ,
            )
            .then_some(())
        })
        .await;
        assert!(
            heard.is_some(),
            "never heard {MIC_HZ} Hz: {}",
            self.call(sid).await
        );
    }

    /// Waits for sandbox call `sid` to be over.
    pub async fn completed(&self, sid: &str) {
        let over = eventually(10, || async {
            (self.call(sid).await["status"] == "completed").then_some(())
        })
        .await;
        assert!(over.is_some(), "not completed: {}", self.call(sid).await);
    }

    /// The newest sandbox call to or from `number`.
    pub async fn call_with(&self, number: &str) -> Value {
        let calls = self
            .sandbox(reqwest::Method::GET, "/sandbox/calls", Value::Null)
            .await;
        calls["calls"]
            .as_array()
            .unwrap()
            .iter()
            .rfind(|c| c["to"] == number || c["from"] == number)
            .cloned()
            .unwrap_or_else(|| panic!("no sandbox call with {number}: {calls}"))
    }

    pub async fn command(&self, command: Command) -> Answer<Outcome> {
        self.control.command(&command, None).await.unwrap()
    }

    /// The outcome of a command the phone carried out (not refused by the route).
    pub async fn outcome(&self, command: Command) -> Outcome {
        match self.command(command.clone()).await {
            Answer::Done(o) => o,
            Answer::Refused(status, message) => panic!("{command:?} refused: {status} {message}"),
        }
    }

    pub async fn status(&self) -> Status {
        match self.control.status().await.unwrap() {
            Answer::Done(s) => s,
            Answer::Refused(status, message) => panic!("status refused: {status} {message}"),
        }
    }

    /// Waits until the phone's state is `state`.
    pub async fn phone_is(&self, state: &str) -> Status {
        let s = eventually(10, || async {
            let s = self.status().await;
            (s.phone.as_ref().unwrap().state == state).then_some(s)
        })
        .await;
        s.unwrap_or_else(|| panic!("the phone never became {state}"))
    }

    /// The speaker's WAV, once the phone has stopped writing it (the call over, its size steady).
    pub async fn speaker(&self) -> PathBuf {
        let path = self.dir.path().join("speaker.wav");
        let size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let mut last = size();
        for _ in 0..30 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = size();
            if now == last && now > 44 {
                break;
            }
            last = now;
        }
        path
    }
}

/// Polls `f` every 100 ms for up to `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `hz` is within 5 % of `want`.
pub fn near(hz: &Value, want: f64) -> bool {
    hz.as_f64()
        .is_some_and(|hz| (hz - want).abs() < want * 0.05)
}

/// The events of `kind` in a sandbox call view.
pub fn events<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"]
        .as_array()
        .map(|e| e.iter().filter(|e| e["kind"] == kind).collect())
        .unwrap_or_default()
}

/// The dominant frequency of the last second of a WAV the phone's speaker wrote.
pub fn speaker_hz(path: &std::path::Path, skip_secs: f64) -> f64 {
    let wav = audio::wav::Wav::read(path).unwrap();
    let samples = wav.to_mono();
    let from = ((skip_secs * f64::from(audio::SAMPLE_RATE)) as usize).min(samples.len());
    let end = (from + audio::SAMPLE_RATE as usize).min(samples.len());
    audio::analyse::dominant_hz(&samples[from..end], audio::SAMPLE_RATE).unwrap_or(0.0)
}
