//! IncomingPhoneNumbers: the account owns exactly one, the station number. List (filters `PhoneNumber`, with
//! `*` for any one digit as Twilio allows, and `FriendlyName`), fetch, update its voice webhook or point it at a
//! TwiML App (`VoiceApplicationSid`). A simulated call-in requests what this configures.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::Uri;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{RestAuth, RestError, field, form, page, rfc2822, sid_in, voice};
use crate::Sandbox;
use crate::account::Number;

fn number_json(account: &str, n: &Number) -> Value {
    voice::with_fields(
        &n.voice,
        json!({
            "account_sid": account,
            "address_requirements": "none",
            "address_sid": null,
            "api_version": "2010-04-01",
            "beta": false,
            "bundle_sid": null,
            "capabilities": { "fax": false, "mms": false, "sms": false, "voice": true },
            "date_created": rfc2822(n.created),
            "date_updated": rfc2822(n.updated),
            "emergency_address_sid": null,
            "emergency_address_status": "unregistered",
            "emergency_status": "Inactive",
            "friendly_name": n.friendly_name,
            "identity_sid": null,
            "origin": "twilio",
            "phone_number": n.phone_number,
            "sid": n.sid,
            "sms_application_sid": null,
            "sms_fallback_method": "POST",
            "sms_fallback_url": null,
            "sms_method": "POST",
            "sms_url": null,
            "status": "in-use",
            "trunk_sid": null,
            "type": "local",
            "uri": format!("/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{}.json", n.sid),
            "voice_application_sid": n.voice_application_sid,
            "voice_receive_mode": "voice",
        }),
    )
}

/// Twilio's `PhoneNumber` filter: `pattern` occurs in `number`, `*` standing for any one character.
fn matches_number(number: &str, pattern: &str) -> bool {
    let (n, p): (Vec<char>, Vec<char>) = (number.chars().collect(), pattern.chars().collect());
    p.is_empty()
        || n.windows(p.len())
            .any(|w| w.iter().zip(&p).all(|(c, q)| *q == '*' || c == q))
}

pub async fn list(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let res = sb.engine.account.lock();
    let n = &res.number;
    let wanted = q
        .get("PhoneNumber")
        .is_none_or(|p| matches_number(&n.phone_number, p))
        && q.get("FriendlyName").is_none_or(|f| &n.friendly_name == f);
    let items = if wanted {
        vec![number_json(&sb.engine.creds.account_sid, n)]
    } else {
        vec![]
    };
    Json(page(uri.path(), "incoming_phone_numbers", items, &q))
}

pub async fn fetch(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<Json<Value>, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let res = sb.engine.account.lock();
    if res.number.sid != sid {
        return Err(RestError::not_found(uri.path()));
    }
    Ok(Json(number_json(&sb.engine.creds.account_sid, &res.number)))
}

/// Changes the voice fields, `FriendlyName` and `VoiceApplicationSid` (an app of the account, or empty to use
/// the number's own voice URLs again).
pub async fn update(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let sid = sid_in(&seg, &uri)?;
    let f = form(&body);
    let mut res = sb.engine.account.lock();
    if res.number.sid != sid {
        return Err(RestError::not_found(uri.path()));
    }
    let app = match field(&f, "VoiceApplicationSid") {
        None => res.number.voice_application_sid.clone(),
        Some("") => None,
        Some(app) if res.applications.iter().any(|a| a.sid == app) => Some(app.to_owned()),
        Some(app) => {
            return Err(RestError::bad_request(
                21218,
                format!("VoiceApplicationSid {app} is not an application of this account"),
            ));
        }
    };
    let number = &mut res.number;
    voice::apply(&f, &mut number.voice)?;
    number.voice_application_sid = app;
    if let Some(name) = field(&f, "FriendlyName") {
        number.friendly_name = name.to_owned();
    }
    number.updated = OffsetDateTime::now_utc();
    Ok(Json(number_json(&sb.engine.creds.account_sid, number)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn phone_number_filter_takes_parts_and_wildcards() {
        for (pattern, want) in [
            ("+15005550100", true),
            ("5550100", true),
            ("+1500555****", true),
            ("+15005550199", false),
            ("", true),
        ] {
            assert_eq!(
                super::matches_number("+15005550100", pattern),
                want,
                "{pattern}"
            );
        }
    }
}
