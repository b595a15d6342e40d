//! `<Connect><Stream>` and `<Start><Stream>` against twilio-python's own builders, byte for byte,
//! over random attribute subsets and hostile values; every document also parses back unchanged.

use std::io::Write as _;
use std::process::{Command, Stdio};

use rand::seq::IndexedRandom as _;
use serde_json::{Value, json};
use twilio::twiml::{Connect, Method, Start, Stream, StreamTrack, VoiceResponse, parse};

use crate::support;

const CASES: usize = 200;
const VALUES: [&str; 6] = [
    "wss://x.example/y",
    "a & <b>",
    "\"q\"\n\t",
    "zoë ☎",
    "",
    "/after?a=1&b=2",
];

fn build(case: &Value) -> String {
    let pick = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
    let s = &case["stream_attrs"];
    let mut stream = Stream::new(&pick(s, "url").unwrap());
    if let Some(v) = pick(s, "name") {
        stream = stream.name(&v);
    }
    if let Some(v) = pick(s, "track") {
        stream = stream.track(match v.as_str() {
            "inbound_track" => StreamTrack::Inbound,
            "outbound_track" => StreamTrack::Outbound,
            _ => StreamTrack::Both,
        });
    }
    if let Some(v) = pick(s, "status_callback") {
        stream = stream.status_callback(&v);
    }
    let method = |v: String| {
        if v == "GET" {
            Method::Get
        } else {
            Method::Post
        }
    };
    if let Some(v) = pick(s, "status_callback_method") {
        stream = stream.status_callback_method(method(v));
    }
    for p in case["parameters"].as_array().unwrap() {
        stream = stream.parameter(p[0].as_str().unwrap(), p[1].as_str().unwrap());
    }
    let v = &case["verb_attrs"];
    // Connect and Start take the same attributes.
    macro_rules! with_attrs {
        ($verb:expr) => {{
            let mut verb = $verb;
            if let Some(a) = pick(v, "action") {
                verb = verb.action(&a);
            }
            if let Some(m) = pick(v, "method") {
                verb = verb.method(method(m));
            }
            verb
        }};
    }
    let response = VoiceResponse::new();
    if case["verb"] == "connect" {
        response
            .connect(with_attrs!(Connect::stream(stream)))
            .to_xml()
    } else {
        response.start(with_attrs!(Start::stream(stream))).to_xml()
    }
}

fn random_case(rng: &mut impl rand::Rng) -> Value {
    let mut value = || VALUES.choose(rng).unwrap().to_string();
    let (a, b, c, d) = (value(), value(), value(), value());
    let mut stream = json!({"url": a});
    let mut verb = json!({});
    let flags: u8 = rng.random();
    if flags & 1 != 0 {
        stream["name"] = json!(b);
    }
    if flags & 2 != 0 {
        stream["track"] =
            json!(["inbound_track", "outbound_track", "both_tracks"][rng.random_range(0..3)]);
    }
    if flags & 4 != 0 {
        stream["status_callback"] = json!(c);
    }
    if flags & 8 != 0 {
        stream["status_callback_method"] = json!(["GET", "POST"][rng.random_range(0..2)]);
    }
    if flags & 16 != 0 {
        verb["action"] = json!(d);
    }
    if flags & 32 != 0 {
        verb["method"] = json!(["GET", "POST"][rng.random_range(0..2)]);
    }
    let parameters: Vec<Value> = (0..rng.random_range(0..3))
        .map(|i| json!([format!("p{i}"), VALUES[rng.random_range(0..VALUES.len())]]))
        .collect();
    let kind = if rng.random_bool(0.5) {
        "connect"
    } else {
        "start"
    };
    json!({"verb": kind, "verb_attrs": verb, "stream_attrs": stream, "parameters": parameters})
}

#[test]
fn stream_verbs_match_twilio_python() {
    let mut rng = rand::rng();
    let cases: Vec<Value> = (0..CASES).map(|_| random_case(&mut rng)).collect();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/stream_twiml.py");
    let mut child = Command::new(support::python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&cases).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "stream_twiml.py failed");
    let python: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(python.len(), CASES);
    for (case, want) in cases.iter().zip(&python) {
        let ours = build(case);
        assert_eq!(&ours, want, "case {case}");
        assert_eq!(parse(&ours).unwrap().to_xml(), ours, "parse back {case}");
    }
}
