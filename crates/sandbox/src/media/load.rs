//! Audio loaded in the background and cached: `<Say>` speech from espeak-ng, `<Play>` WAV files over http(s).
//! Nothing here blocks the runtime: espeak-ng runs through `tokio::process`, parsing and resampling in
//! `spawn_blocking`.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use audio::wav::Wav;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use super::Media;
use super::sound::{Loaded, Pending, beeps, stand_in_tone};

/// Cached clips beyond this many are forgotten (all at once; they are reloaded when needed).
const MAX_CACHED: usize = 64;
/// Longest `<Play>` file taken (8 kHz mono after conversion): 10 minutes.
const MAX_PLAY_SAMPLES: usize = 600 * audio::SAMPLE_RATE as usize;

impl Media {
    /// `text` spoken by espeak-ng at 8 kHz, or (without espeak-ng) beeps lasting `fallback_ms`.
    pub fn speech(&self, text: &str, fallback_ms: u64) -> Pending {
        let text = text.to_owned();
        self.cached(format!("say:{text}"), async move {
            match espeak(&text).await {
                Ok(samples) => Loaded {
                    samples,
                    error: None,
                },
                Err(error) => Loaded {
                    samples: beeps(fallback_ms),
                    error: Some(error),
                },
            }
        })
    }

    /// The WAV file at `url` as 8 kHz mono, or a short stand-in tone with the reason it cannot be played.
    pub fn wav(&self, http: &reqwest::Client, url: &str) -> Pending {
        let (http, url) = (http.clone(), url.to_owned());
        self.cached(format!("play:{url}"), async move {
            match fetch_wav(&http, &url).await {
                Ok(samples) => Loaded {
                    samples,
                    error: None,
                },
                Err(error) => Loaded {
                    samples: stand_in_tone(),
                    error: Some(error),
                },
            }
        })
    }

    fn cached(&self, key: String, load: impl Future<Output = Loaded> + Send + 'static) -> Pending {
        let mut clips = self.0.clips.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = clips.get(&key) {
            return found.clone();
        }
        if clips.len() >= MAX_CACHED {
            clips.clear();
        }
        let (tx, rx) = watch::channel(None);
        clips.insert(key, rx.clone());
        tokio::spawn(async move {
            let loaded = load.await;
            let _ = tx.send(Some(Arc::new(loaded)));
        });
        rx
    }
}

/// Waits until `pending` has loaded; its error, if any.
pub async fn load_error(mut pending: Pending) -> Option<String> {
    let loaded = pending.wait_for(Option::is_some).await.ok()?;
    loaded.as_ref().and_then(|l| l.error.clone())
}

async fn espeak(text: &str) -> Result<Vec<i16>, String> {
    let mut child = tokio::process::Command::new("espeak-ng")
        .arg("--stdout")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("espeak-ng: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("espeak-ng: {e}"))?;
    if !out.status.success() {
        return Err(format!("espeak-ng: {}", out.status));
    }
    to_telephone(out.stdout, usize::MAX).await
}

async fn fetch_wav(http: &reqwest::Client, url: &str) -> Result<Vec<i16>, String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err("not an http(s) URL".into());
    }
    let response = http
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("fetch: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("fetch: HTTP {}", response.status().as_u16()));
    }
    let body = response.bytes().await.map_err(|e| format!("fetch: {e}"))?;
    to_telephone(body.to_vec(), MAX_PLAY_SAMPLES).await
}

/// A WAV file's bytes as 8 kHz mono samples (at most `max`), converted off the runtime's threads.
async fn to_telephone(bytes: Vec<u8>, max: usize) -> Result<Vec<i16>, String> {
    tokio::task::spawn_blocking(move || {
        let mut wav = Wav::parse(&bytes).map_err(|e| format!("not a WAV file we can play: {e}"))?;
        // Cut before converting, so a long file costs no more than `max` samples' worth of work.
        let per_sample = u64::from(wav.spec.sample_rate) * u64::from(wav.spec.channels)
            / u64::from(audio::SAMPLE_RATE);
        let limit = (max as u64).saturating_mul(per_sample.max(1));
        wav.samples
            .truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut samples = wav.to_telephone();
        samples.truncate(max);
        Ok(samples)
    })
    .await
    .map_err(|e| e.to_string())?
}
