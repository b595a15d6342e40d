//! The one list of setting names piphone knows: each environment variable, its key in the settings file, and
//! Twilio's usual name for it where Twilio's quickstarts use one. The unknown-name warnings, `config check` and
//! the tests all read this list.

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Name {
    /// The environment variable (`PIPHONE_…`).
    pub env: &'static str,
    /// The key in `piphone.toml` (the variable without `PIPHONE_`, lower case); `None`: environment only.
    pub file_key: Option<&'static str>,
    /// Twilio's usual variable for the same value, read when neither `PIPHONE_…` nor the file sets it.
    pub twilio: Option<&'static str>,
    /// Never printed: `config check` shows `***`.
    pub secret: bool,
}

const fn env_only(env: &'static str) -> Name {
    Name {
        env,
        file_key: None,
        twilio: None,
        secret: false,
    }
}

const fn setting(env: &'static str, file_key: &'static str) -> Name {
    Name {
        env,
        file_key: Some(file_key),
        twilio: None,
        secret: false,
    }
}

const fn twilio(
    env: &'static str,
    file_key: &'static str,
    twilio: &'static str,
    secret: bool,
) -> Name {
    Name {
        env,
        file_key: Some(file_key),
        twilio: Some(twilio),
        secret,
    }
}

/// Every setting, in the order `config check` lists them.
pub const KNOWN: &[Name] = &[
    env_only("PIPHONE_CONFIG"),
    env_only("PIPHONE_LOG"),
    setting("PIPHONE_LISTEN", "listen"),
    setting("PIPHONE_PUBLIC_URL", "public_url"),
    setting("PIPHONE_DATA_DIR", "data_dir"),
    setting("PIPHONE_DATABASE_URL", "database_url"),
    setting("PIPHONE_TLS", "tls"),
    setting("PIPHONE_TLS_CERT", "tls_cert"),
    setting("PIPHONE_TLS_KEY", "tls_key"),
    twilio(
        "PIPHONE_TWILIO_ACCOUNT_SID",
        "twilio_account_sid",
        "TWILIO_ACCOUNT_SID",
        false,
    ),
    twilio(
        "PIPHONE_TWILIO_AUTH_TOKEN",
        "twilio_auth_token",
        "TWILIO_AUTH_TOKEN",
        true,
    ),
    twilio(
        "PIPHONE_TWILIO_API_KEY_SID",
        "twilio_api_key_sid",
        "TWILIO_API_KEY",
        false,
    ),
    twilio(
        "PIPHONE_TWILIO_API_KEY_SECRET",
        "twilio_api_key_secret",
        "TWILIO_API_SECRET",
        true,
    ),
    twilio(
        "PIPHONE_TWILIO_APP_SID",
        "twilio_app_sid",
        "TWILIO_TWIML_APP_SID",
        false,
    ),
    setting("PIPHONE_TWILIO_API_URL", "twilio_api_url"),
    setting("PIPHONE_CALLER_ID", "caller_id"),
    setting("PIPHONE_DEFAULT_NUMBER", "default_number"),
    setting("PIPHONE_DIAL_COUNTRIES", "dial_countries"),
    Name {
        secret: true,
        ..setting("PIPHONE_ADMIN_PASSWORD", "admin_password")
    },
    setting("PIPHONE_SANDBOX_SPEED", "sandbox_speed"),
    setting("PIPHONE_SANDBOX_URL", "sandbox_url"),
    setting("PIPHONE_MAX_CALLS_PER_DAY", "max_calls_per_day"),
    setting("PIPHONE_MAX_CONCURRENT_CALLS", "max_concurrent_calls"),
    setting("PIPHONE_INCOMING_MODE", "incoming_mode"),
    setting("PIPHONE_CALLIN_QUEUE", "callin_queue"),
    setting("PIPHONE_CALLIN_GREETING", "callin_greeting"),
    setting("PIPHONE_HOLD_MUSIC_URL", "hold_music_url"),
    setting("PIPHONE_QUEUE_MAX_SIZE", "queue_max_size"),
    setting("PIPHONE_QUEUE_ANNOUNCE_EVERY", "queue_announce_every"),
    setting("PIPHONE_QUEUE_POLL_SECS", "queue_poll_secs"),
    setting("PIPHONE_SCREENED_ONLY", "screened_only"),
    setting("PIPHONE_CALL_LOG_DAYS", "call_log_days"),
    setting("PIPHONE_KIOSK_USER", "kiosk_user"),
    setting("PIPHONE_KIOSK_AUTO_ANSWER", "kiosk_auto_answer"),
    setting("PIPHONE_KIOSK_CHROMIUM", "kiosk_chromium"),
    setting("PIPHONE_KIOSK_CHROMIUM_FLAGS", "kiosk_chromium_flags"),
    setting("PIPHONE_KIOSK_HEADLESS", "kiosk_headless"),
    setting("PIPHONE_KIOSK_AUDIO_INPUT", "kiosk_audio_input"),
    setting("PIPHONE_KIOSK_AUDIO_OUTPUT", "kiosk_audio_output"),
    setting("PIPHONE_ONAIR", "onair"),
    setting("PIPHONE_HYBRID_LINES", "hybrid_lines"),
    setting("PIPHONE_HYBRID_HOLD", "hybrid_hold"),
    setting("PIPHONE_HYBRID_OUTPUT", "hybrid_output"),
    setting("PIPHONE_HYBRID_CAPTURE", "hybrid_capture"),
    setting("PIPHONE_HYBRID_PLAYBACK", "hybrid_playback"),
];

/// The setting an environment variable names (its `PIPHONE_…` or its Twilio name).
pub fn by_env(name: &str) -> Option<&'static Name> {
    KNOWN
        .iter()
        .find(|n| n.env == name || n.twilio == Some(name))
}

/// The setting a settings-file key names.
pub fn by_file_key(key: &str) -> Option<&'static Name> {
    KNOWN.iter().find(|n| n.file_key == Some(key))
}
