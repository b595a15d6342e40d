//! The messages the command line and the server's kiosk relay exchange (JSON over `/api/kiosk/…`): a
//! [`Command`] for the kiosk page, its [`Outcome`], and the [`Status`] `piphone status` shows. A leaf: both the
//! server (`kiosk::hub`, `routes/api/kiosk`) and the command line (`cli::kiosk`) import it, and it imports neither.

use serde::{Deserialize, Serialize};

/// What the command line asks the phone to do. Numbers and digits are checked before they get here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Command {
    Call { number: String },
    Hangup,
    Answer,
    Dtmf { digits: String },
}

/// The page's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    pub message: String,
    /// The phone's state afterwards (`idle`, `in-call`, `ended`…).
    #[serde(default)]
    pub state: Option<String>,
}

/// What the page reports about its phone, posted after every change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PageReport {
    /// `starting`, `idle`, `connecting`, `ringing`, `in-call`, `incoming`, `ended`, `offline`, `error`.
    pub state: String,
    /// The status line as the page shows it.
    pub text: String,
    pub incoming_from: Option<String>,
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub microphones: Vec<String>,
    pub speakers: Vec<String>,
    /// Keys the far end pressed during this call (the stream phone hears them as Media Streams `dtmf` events).
    pub far_end_digits: Option<String>,
}

/// `piphone status`'s view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub connected: bool,
    /// Unix seconds when the page connected (or, when not connected, when it went away; `None`: never seen).
    pub since: Option<u64>,
    pub identity: Option<String>,
    pub auto_answer: bool,
    /// The phone as the page last reported it (only while connected).
    pub phone: Option<PageReport>,
}
