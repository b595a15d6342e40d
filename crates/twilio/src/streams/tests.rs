//! Round trips through the documented examples (fixtures/, written from Twilio's
//! websocket-messages page): every field read, nothing added or lost, numbers-as-strings kept.

use serde_json::{Value, json};

use super::*;

fn fixtures(text: &str) -> Vec<Value> {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Reads every fixture as `T` and writes it back: the same JSON value.
fn round_trip<T: serde::de::DeserializeOwned + Serialize + std::fmt::Debug>(all: &[Value]) {
    for doc in all {
        let msg: T = serde_json::from_value(doc.clone())
            .unwrap_or_else(|e| panic!("cannot read {doc}: {e}"));
        let back = serde_json::to_value(&msg).unwrap();
        assert_eq!(&back, doc, "round trip of {msg:?}");
    }
}

#[test]
fn twilio_messages_round_trip() {
    let all = fixtures(include_str!("fixtures/twilio_to_server.json"));
    let kinds: Vec<&str> = all.iter().map(|v| v["event"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["connected", "start", "media", "dtmf", "mark", "stop"]
    );
    round_trip::<TwilioMessage>(&all);
}

#[test]
fn server_messages_round_trip() {
    let all = fixtures(include_str!("fixtures/server_to_twilio.json"));
    let kinds: Vec<&str> = all.iter().map(|v| v["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["media", "mark", "clear"]);
    round_trip::<ServerMessage>(&all);
}

#[test]
fn typed_fields_read_from_strings() {
    let all = fixtures(include_str!("fixtures/twilio_to_server.json"));
    let TwilioMessage::Media {
        sequence_number,
        media,
        ..
    } = serde_json::from_value(all[2].clone()).unwrap()
    else {
        panic!("not media")
    };
    assert_eq!((sequence_number, media.chunk, media.timestamp), (3, 1, 5));
    let bytes = decode_payload(&media.payload).unwrap();
    assert_eq!(encode_payload(&bytes), media.payload);
    let TwilioMessage::Start { start, .. } = serde_json::from_value(all[1].clone()).unwrap() else {
        panic!("not start")
    };
    assert_eq!(start.media_format, MediaFormat::default());
    assert_eq!(start.custom_parameters["FirstName"], json!("Jane"));
}

#[test]
fn refuses_what_twilio_never_sends() {
    for bad in [
        json!({"event": "media", "sequenceNumber": 3, "streamSid": "MZ1",
               "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": ""}}),
        json!({"event": "media", "sequenceNumber": "x", "streamSid": "MZ1",
               "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": ""}}),
        json!({"event": "bogus"}),
    ] {
        assert!(
            serde_json::from_value::<TwilioMessage>(bad.clone()).is_err(),
            "{bad}"
        );
    }
    assert!(
        serde_json::from_value::<ServerMessage>(json!({"event": "dtmf", "streamSid": "MZ1"}))
            .is_err()
    );
}
