//! The account's setup resources, as `piphone twilio setup` creates and changes them through REST: API keys,
//! TwiML Apps and the one station number. Kept in memory for the sandbox's lifetime (a restarted sandbox
//! starts again from its [`Credentials`]: their API key, their TwiML App with Voice URL `<webhook_base>/voice`,
//! the station number with Voice URL `<webhook_base>/voice/incoming`).
//!
//! The engine reads the voice URLs from here ([`Directory::incoming_voice`], [`Directory::app_voice`]), the REST
//! API and the signaling gateway the key secrets ([`Directory::key_secret`]), so calls follow whatever setup
//! configured.

use std::sync::{Mutex, MutexGuard};

use serde_json::{Value, json};
use time::OffsetDateTime;
use url::Url;

use super::{Credentials, ids};

/// An API key (`SK…`). The secret is shown once, when the key is created.
#[derive(Clone)]
pub struct Key {
    pub sid: String,
    pub friendly_name: String,
    pub secret: String,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// Where Twilio sends a call's voice webhooks: the URL, its method, and the fallback and status callback.
/// `None` is an unset URL (Twilio's `null`).
#[derive(Clone, Debug, Default)]
pub struct Voice {
    pub url: Option<String>,
    pub method: Option<String>,
    pub fallback_url: Option<String>,
    pub fallback_method: Option<String>,
    pub status_callback: Option<String>,
    pub status_callback_method: Option<String>,
}

/// Where a call's first request goes: the URL and its method (`GET` or `POST`; POST when unset).
pub type Target = (Url, Option<String>);

impl Voice {
    /// A configuration requesting `url` (when given) with POST, Twilio's default method everywhere.
    fn post(url: Option<Url>) -> Voice {
        Voice {
            url: url.map(Into::into),
            method: Some("POST".into()),
            fallback_method: Some("POST".into()),
            status_callback_method: Some("POST".into()),
            ..Voice::default()
        }
    }

    /// The URL and method of the first request, when a URL is set.
    fn target(&self) -> Option<Target> {
        let url = Url::parse(self.url.as_deref()?).ok()?;
        Some((url, self.method.clone()))
    }
}

/// A TwiML App (`AP…`).
#[derive(Clone)]
pub struct Application {
    pub sid: String,
    pub friendly_name: String,
    pub voice: Voice,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

impl Application {
    pub fn new(friendly_name: &str) -> Application {
        let now = OffsetDateTime::now_utc();
        Application {
            sid: ids::sid("AP"),
            friendly_name: friendly_name.to_owned(),
            voice: Voice::post(None),
            created: now,
            updated: now,
        }
    }
}

/// The station number (`PN…`), an IncomingPhoneNumber of the account.
#[derive(Clone)]
pub struct Number {
    pub sid: String,
    pub phone_number: String,
    pub friendly_name: String,
    pub voice: Voice,
    /// With an application SID the number ignores its own voice URLs and uses the app's.
    pub voice_application_sid: Option<String>,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

#[derive(Clone)]
pub struct Resources {
    pub keys: Vec<Key>,
    pub applications: Vec<Application>,
    pub number: Number,
}

/// The account's setup resources behind one lock (never held across an `.await`).
pub struct Directory(Mutex<Resources>);

impl Directory {
    /// The resources a fresh sandbox starts with: the credentials' key, app and station number, the app's
    /// Voice URL `voice` and the number's `incoming`.
    pub fn new(creds: &Credentials, voice: Url, incoming: Url) -> Directory {
        let now = OffsetDateTime::now_utc();
        let key = Key {
            sid: creds.api_key_sid.clone(),
            friendly_name: "sandbox".into(),
            secret: creds.api_key_secret.clone(),
            created: now,
            updated: now,
        };
        let app = Application {
            sid: creds.app_sid.clone(),
            friendly_name: "piphone sandbox".into(),
            voice: Voice::post(Some(voice)),
            created: now,
            updated: now,
        };
        let number = Number {
            sid: ids::sid("PN"),
            phone_number: creds.station_number.clone(),
            friendly_name: creds.station_number.clone(),
            voice: Voice::post(Some(incoming)),
            voice_application_sid: None,
            created: now,
            updated: now,
        };
        Directory(Mutex::new(Resources {
            keys: vec![key],
            applications: vec![app],
            number,
        }))
    }

    pub fn lock(&self) -> MutexGuard<'_, Resources> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The secret of API key `sid`, while the key exists.
    pub fn key_secret(&self, sid: &str) -> Option<String> {
        self.lock()
            .keys
            .iter()
            .find(|k| k.sid == sid)
            .map(|k| k.secret.clone())
    }

    /// What a call to the station number requests first: the voice URL of its application when it has one,
    /// else its own. `None` when nothing is configured (Twilio then rejects the call).
    pub fn incoming_voice(&self) -> Option<Target> {
        let res = self.lock();
        match &res.number.voice_application_sid {
            Some(app) => find_app(&res, app)?.voice.target(),
            None => res.number.voice.target(),
        }
    }

    /// What a call placed by a browser with TwiML App `app_sid` in its token requests first.
    pub fn app_voice(&self, app_sid: &str) -> Option<Target> {
        find_app(&self.lock(), app_sid)?.voice.target()
    }

    /// What the sandbox panel shows: apps and their Voice URLs, the station number and its voice webhook, the
    /// keys' SIDs and names (never their secrets).
    pub fn summary(&self) -> Value {
        let res = self.lock();
        let voice = |v: &Voice| {
            json!({
                "voice_url": v.url, "voice_method": v.method,
                "voice_fallback_url": v.fallback_url, "status_callback": v.status_callback,
            })
        };
        let mut number = voice(&res.number.voice);
        number["sid"] = json!(res.number.sid);
        number["phone_number"] = json!(res.number.phone_number);
        number["voice_application_sid"] = json!(res.number.voice_application_sid);
        json!({
            "applications": res.applications.iter().map(|a| {
                let mut v = voice(&a.voice);
                v["sid"] = json!(a.sid);
                v["friendly_name"] = json!(a.friendly_name);
                v
            }).collect::<Vec<_>>(),
            "numbers": [number],
            "keys": res.keys.iter().map(|k| json!({ "sid": k.sid, "friendly_name": k.friendly_name })).collect::<Vec<_>>(),
        })
    }
}

fn find_app<'a>(res: &'a Resources, sid: &str) -> Option<&'a Application> {
    res.applications.iter().find(|a| a.sid == sid)
}
