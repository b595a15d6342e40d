//! Calls: create (`To`, `From`, `Url`+`Method` or `Twiml`, status callbacks), fetch, redirect
//! (`Url`+`Method` or `Twiml`), end (`Status=completed|canceled`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

use super::{RestAuth, RestError, field, form, rfc2822, strip_json};
use crate::Sandbox;
use crate::engine::{CallRecord, Engine, Method, Outbound, Signal, Source, StatusCallback};

fn call_json(engine: &Engine, c: &CallRecord) -> Value {
    let account = &engine.creds.account_sid;
    let uri = format!("/2010-04-01/Accounts/{account}/Calls/{}.json", c.sid);
    let base = uri.trim_end_matches(".json");
    json!({
        "account_sid": account,
        "annotation": null,
        "answered_by": null,
        "api_version": "2010-04-01",
        "caller_name": null,
        "date_created": rfc2822(c.created),
        "date_updated": rfc2822(c.updated),
        "direction": c.direction,
        "duration": c.ended.map(|_| c.duration_secs().to_string()),
        "end_time": c.ended.map(rfc2822),
        "forwarded_from": null,
        "from": c.from,
        "from_formatted": c.from,
        "group_sid": null,
        "parent_call_sid": c.parent,
        "phone_number_sid": null,
        "price": null,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": c.sid,
        "start_time": c.answered.map(rfc2822),
        "status": c.status,
        "subresource_uris": {
            "notifications": format!("{base}/Notifications.json"),
            "recordings": format!("{base}/Recordings.json"),
            "payments": format!("{base}/Payments.json"),
            "events": format!("{base}/Events.json"),
            "siprec": format!("{base}/Siprec.json"),
            "streams": format!("{base}/Streams.json"),
            "transcriptions": format!("{base}/Transcriptions.json"),
            "user_defined_message_subscriptions": format!("{base}/UserDefinedMessageSubscriptions.json"),
            "user_defined_messages": format!("{base}/UserDefinedMessages.json"),
        },
        "to": c.to,
        "to_formatted": c.to,
        "trunk_sid": null,
        "uri": uri,
    })
}

fn view(engine: &Engine, sid: &str, uri: &Uri) -> Result<Value, RestError> {
    let st = engine.state();
    st.calls
        .get(sid)
        .map(|c| call_json(engine, c))
        .ok_or_else(|| RestError::not_found(uri.path()))
}

/// Longest `Twiml` Twilio accepts.
const MAX_TWIML_CHARS: usize = 4000;

/// `Url`+`Method` or `Twiml` (exactly one), as create and update take them.
fn twiml_source(engine: &Engine, f: &[(String, String)]) -> Result<Option<Source>, RestError> {
    match (field(f, "Url"), field(f, "Twiml")) {
        (Some(_), Some(_)) => Err(RestError::bad_request(
            20001,
            "Url and Twiml are mutually exclusive",
        )),
        (Some(url), None) => {
            let url = url::Url::parse(url)
                .map_err(|_| RestError::bad_request(21205, "Url is not a valid URL"))?;
            Ok(Some(Source::Fetch {
                url,
                method: Method::parse(field(f, "Method")),
                params: vec![],
            }))
        }
        (None, Some(twiml)) if twiml.chars().count() > MAX_TWIML_CHARS => {
            Err(RestError::bad_request(
                20001,
                format!("Twiml must be at most {MAX_TWIML_CHARS} characters"),
            ))
        }
        (None, Some(twiml)) => Ok(Some(Source::Document {
            url: engine.webhook_url("/"),
            body: twiml.to_owned(),
        })),
        (None, None) => Ok(None),
    }
}

/// `StatusCallback`, `StatusCallbackMethod` and the repeated `StatusCallbackEvent` (default `completed`).
fn status_callback(f: &[(String, String)]) -> Result<Option<StatusCallback>, RestError> {
    let Some(url) = field(f, "StatusCallback") else {
        return Ok(None);
    };
    let url = url::Url::parse(url)
        .map_err(|_| RestError::bad_request(21609, "StatusCallback is not a valid URL"))?;
    let mut events: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "StatusCallbackEvent")
        .flat_map(|(_, v)| v.split_whitespace().map(str::to_ascii_lowercase))
        .collect();
    if let Some(bad) = events
        .iter()
        .find(|e| !["initiated", "ringing", "answered", "completed"].contains(&e.as_str()))
    {
        return Err(RestError::bad_request(
            21626,
            format!(
                "StatusCallbackEvent {bad} is not one of initiated, ringing, answered, completed"
            ),
        ));
    }
    if events.is_empty() {
        events.push("completed".into());
    }
    Ok(Some(StatusCallback {
        url,
        method: Method::parse(field(f, "StatusCallbackMethod")),
        events,
    }))
}

/// `POST Calls.json`: 201 with the new call, `queued`; it rings `To`, then runs the TwiML.
pub async fn create(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), RestError> {
    let f = form(&body);
    let to = field(&f, "To")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RestError::bad_request(21201, "No 'To' number is specified"))?;
    let from = field(&f, "From")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| RestError::bad_request(21603, "A 'From' phone number is required."))?;
    let source = twiml_source(&sb.engine, &f)?
        .ok_or_else(|| RestError::bad_request(21205, "Url or Twiml is required"))?;
    let timeout_s = match field(&f, "Timeout") {
        None => 60,
        Some(t) => t
            .parse::<u64>()
            .map_err(|_| RestError::bad_request(21210, "Timeout must be a number of seconds"))?
            .clamp(1, 600),
    };
    let sid = sb.engine.call_out(Outbound {
        to: to.to_owned(),
        from: from.to_owned(),
        source,
        timeout_s,
        status_callback: status_callback(&f)?,
    });
    view(&sb.engine, &sid, &uri).map(|v| (StatusCode::CREATED, Json(v)))
}

pub async fn fetch(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
) -> Result<Json<Value>, RestError> {
    let sid = strip_json(&seg).ok_or_else(|| RestError::not_found(uri.path()))?;
    view(&sb.engine, sid, &uri).map(Json)
}

pub async fn update(
    _: RestAuth,
    State(sb): State<Sandbox>,
    uri: Uri,
    Path((_, seg)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, RestError> {
    let sid = strip_json(&seg).ok_or_else(|| RestError::not_found(uri.path()))?;
    let live = {
        let st = sb.engine.state();
        st.calls
            .get(sid)
            .map(CallRecord::is_live)
            .ok_or_else(|| RestError::not_found(uri.path()))?
    };
    let f = form(&body);
    let signal = match field(&f, "Status") {
        Some("completed" | "canceled") => Some(Signal::Hangup { by: "api".into() }),
        Some(other) => {
            return Err(RestError::bad_request(
                20001,
                format!("Status must be completed or canceled, not {other}"),
            ));
        }
        None => twiml_source(&sb.engine, &f)?.map(Signal::Redirect),
    };
    if let Some(signal) = signal {
        if !live {
            if matches!(signal, Signal::Hangup { .. }) {
                return view(&sb.engine, sid, &uri).map(Json);
            }
            return Err(RestError::bad_request(
                21220,
                "Call is not in-progress. Cannot redirect.",
            ));
        }
        sb.engine.signal(sid, signal);
    }
    // Give the leg's task a moment so the answer shows the new status, as Twilio's does.
    for _ in 0..20 {
        if !sb
            .engine
            .state()
            .calls
            .get(sid)
            .is_some_and(|c| c.is_live() && field(&f, "Status").is_some())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    view(&sb.engine, sid, &uri).map(Json)
}
