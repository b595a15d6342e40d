//! The response examples of Twilio's OpenAPI description, for every endpoint the client uses,
//! decode into the crate's types (no mock server needed).

use serde::de::DeserializeOwned;
use serde_json::Value;
use twilio::rest::{Application, Call, IncomingPhoneNumber, Member, Queue};

use crate::support;

fn examples(spec: &Value, path: &str, method: &str) -> Vec<(String, Value)> {
    let op = &spec["paths"][format!("/2010-04-01/Accounts/{{AccountSid}}/{path}")][method];
    let mut out = Vec::new();
    for (code, response) in op["responses"].as_object().expect("operation exists") {
        if let Some(ex) = response["content"]["application/json"]["examples"].as_object() {
            for (name, e) in ex {
                out.push((format!("{method} {path} {code} {name}"), e["value"].clone()));
            }
        }
    }
    assert!(!out.is_empty(), "no examples for {method} {path}");
    out
}

fn check_one<T: DeserializeOwned>(spec: &Value, path: &str, method: &str) -> usize {
    let mut n = 0;
    for (what, value) in examples(spec, path, method) {
        serde_json::from_value::<T>(value).unwrap_or_else(|e| panic!("{what}: {e}"));
        n += 1;
    }
    n
}

fn check_list<T: DeserializeOwned>(spec: &Value, path: &str, key: &str) -> usize {
    let mut n = 0;
    for (what, value) in examples(spec, path, "get") {
        let items = value[key]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no {key}"));
        for item in items {
            serde_json::from_value::<T>(item.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
            n += 1;
        }
    }
    n
}

#[test]
fn response_examples_decode() {
    let text = std::fs::read_to_string(support::openapi_spec()).expect("OpenAPI spec present");
    let spec: Value = serde_json::from_str(&text).unwrap();
    let n = check_one::<Queue>(&spec, "Queues.json", "post")
        + check_one::<Queue>(&spec, "Queues/{Sid}.json", "get")
        + check_list::<Queue>(&spec, "Queues.json", "queues")
        + check_list::<Member>(&spec, "Queues/{QueueSid}/Members.json", "queue_members")
        + check_one::<Member>(&spec, "Queues/{QueueSid}/Members/{CallSid}.json", "get")
        + check_one::<Member>(&spec, "Queues/{QueueSid}/Members/{CallSid}.json", "post")
        + check_one::<Call>(&spec, "Calls/{Sid}.json", "get")
        + check_one::<Call>(&spec, "Calls/{Sid}.json", "post")
        + check_list::<Application>(&spec, "Applications.json", "applications")
        + check_one::<Application>(&spec, "Applications.json", "post")
        + check_one::<Application>(&spec, "Applications/{Sid}.json", "post")
        + check_list::<IncomingPhoneNumber>(
            &spec,
            "IncomingPhoneNumbers.json",
            "incoming_phone_numbers",
        )
        + check_one::<IncomingPhoneNumber>(&spec, "IncomingPhoneNumbers/{Sid}.json", "post");
    println!("{n} OpenAPI response examples decoded");
    assert!(n >= 15);
}
