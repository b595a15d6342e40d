//! The voice fields Applications and IncomingPhoneNumbers share: `VoiceUrl`, `VoiceMethod`, `VoiceFallbackUrl`,
//! `VoiceFallbackMethod`, `StatusCallback`, `StatusCallbackMethod` in, `voice_url`… out.

use serde_json::{Map, Value, json};

use super::{RestError, field};
use crate::account::Voice;

/// Applies the voice fields present in `form` to `voice`; an empty URL clears it (Twilio's way to unset one).
/// Nothing changes when one of them is invalid.
pub fn apply(form: &[(String, String)], voice: &mut Voice) -> Result<(), RestError> {
    let mut next = voice.clone();
    for (name, slot) in [
        ("VoiceUrl", &mut next.url),
        ("VoiceFallbackUrl", &mut next.fallback_url),
        ("StatusCallback", &mut next.status_callback),
    ] {
        if let Some(value) = field(form, name) {
            *slot = url(name, value)?;
        }
    }
    for (name, slot) in [
        ("VoiceMethod", &mut next.method),
        ("VoiceFallbackMethod", &mut next.fallback_method),
        ("StatusCallbackMethod", &mut next.status_callback_method),
    ] {
        if let Some(value) = field(form, name) {
            *slot = Some(method(name, value)?);
        }
    }
    *voice = next;
    Ok(())
}

/// An absolute http(s) URL, or `None` for the empty string.
fn url(name: &str, value: &str) -> Result<Option<String>, RestError> {
    if value.is_empty() {
        return Ok(None);
    }
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(value.to_owned())),
        _ => Err(RestError::bad_request(
            21502,
            format!("{name} is not a valid URL: {value}"),
        )),
    }
}

fn method(name: &str, value: &str) -> Result<String, RestError> {
    let upper = value.to_ascii_uppercase();
    if matches!(upper.as_str(), "GET" | "POST") {
        Ok(upper)
    } else {
        Err(RestError::bad_request(
            20001,
            format!("{name} must be GET or POST, not {value}"),
        ))
    }
}

/// `fields` (a JSON object) with `voice_url`, `voice_method`, … added as Twilio's JSON has them.
pub fn with_fields(voice: &Voice, fields: Value) -> Value {
    let mut all = json(voice);
    if let Value::Object(fields) = fields {
        all.extend(fields);
    }
    Value::Object(all)
}

fn json(voice: &Voice) -> Map<String, Value> {
    let v = json!({
        "status_callback": voice.status_callback,
        "status_callback_method": voice.status_callback_method,
        "voice_caller_id_lookup": false,
        "voice_fallback_method": voice.fallback_method,
        "voice_fallback_url": voice.fallback_url,
        "voice_method": voice.method,
        "voice_url": voice.url,
    });
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
