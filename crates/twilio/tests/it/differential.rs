//! Fresh random cases from twilio-python on every run (a different seed each time, printed so a
//! failure can be replayed with `PIPHONE_DIFF_SEED`), and Rust-issued tokens checked by PyJWT.

use std::process::Command;

use rand::Rng as _;
use serde_json::{Value, json};
use twilio::token::{AccessToken, VoiceGrant};

use crate::{support, vectors};

const SIGNATURES: usize = 2_000;
const TWIML: usize = 500;
const TOKENS: usize = 60;

#[test]
fn fresh_cases_from_twilio_python() {
    let python = support::python();
    let seed: u64 = match std::env::var("PIPHONE_DIFF_SEED") {
        Ok(s) => s.parse().expect("PIPHONE_DIFF_SEED is a number"),
        Err(_) => rand::rng().random_range(2..1_000_000_000),
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vectors.json");
    let generator = support::shared_dir().join("twilio-reference/generate.py");
    let status = Command::new(&python)
        .arg(&generator)
        .args(["--seed", &seed.to_string()])
        .args([
            "--signatures",
            &SIGNATURES.to_string(),
            "--twiml",
            &TWIML.to_string(),
        ])
        .args(["--tokens", &TOKENS.to_string()])
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(status.success(), "generate.py failed (seed {seed})");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let counts = vectors::check(&doc);
    println!("differential seed {seed}: {counts:?}");
    assert!(counts.signatures >= SIGNATURES, "seed {seed}: {counts:?}");
    assert!(counts.twiml >= TWIML, "seed {seed}: {counts:?}");
}

#[test]
fn rust_tokens_verified_by_pyjwt() {
    let python = support::python();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut rng = rand::rng();
    let mut cases = Vec::new();
    for i in 0..40 {
        let identity = ["dj-anna", "screener_1", "zoë ☎", "a\"b\\c"][i % 4];
        let secret: String = (0..32)
            .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
            .collect();
        let region = ["", "ie1", "us1"][i % 3];
        let params = (i % 2 == 0).then(|| {
            json!({"mode": "queue", "n": i})
                .as_object()
                .unwrap()
                .clone()
        });
        let grant = VoiceGrant {
            incoming_allow: i % 3 != 0,
            outgoing_application_sid: Some(format!("AP{:032x}", rng.random::<u128>())),
            outgoing_application_params: params,
            ..Default::default()
        };
        let ttl = [60, 3600, 86_400][i % 3];
        let token = AccessToken::new(
            format!("AC{i:032}"),
            format!("SK{i:032}"),
            &secret,
            identity,
        )
        .ttl(ttl)
        .region(region)
        .voice(grant.clone());
        let jwt = token.to_jwt_at(now).unwrap();
        let mut expect = json!({
            "jti": format!("SK{i:032}-{now}"), "iss": format!("SK{i:032}"), "sub": format!("AC{i:032}"),
            "nbf": now, "exp": now + ttl,
            "grants": {"identity": identity, "voice": serde_json::to_value(&grant).unwrap()},
        });
        if grant.incoming_allow {
            assert_eq!(
                expect["grants"]["voice"]["incoming"],
                json!({"allow": true})
            );
        }
        // Every fourth token is signed with another secret: Python must refuse it.
        let given_secret = if i % 4 == 3 {
            format!("{secret}x")
        } else {
            secret
        };
        expect["_must_fail"] = json!(i % 4 == 3);
        cases.push(json!({"jwt": jwt, "secret": given_secret, "expect": expect, "region": region}));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tokens.json");
    std::fs::write(&input, serde_json::to_vec(&cases).unwrap()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/verify_tokens.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(results.len(), cases.len());
    let mut verified = 0;
    for (case, result) in cases.iter().zip(&results) {
        let mut expect = case["expect"].clone();
        let must_fail = expect
            .as_object_mut()
            .unwrap()
            .remove("_must_fail")
            .unwrap()
            == json!(true);
        if must_fail {
            assert_eq!(
                result["ok"],
                json!(false),
                "PyJWT accepted a wrong secret: {case}"
            );
            continue;
        }
        assert_eq!(
            result["ok"],
            json!(true),
            "PyJWT refused {case}: {}",
            result["error"]
        );
        assert_eq!(result["payload"], expect, "claims differ for {case}");
        let mut header = json!({"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"});
        if case["region"] != "" {
            header["twr"] = case["region"].clone();
        }
        assert_eq!(result["header"], header);
        verified += 1;
    }
    println!(
        "PyJWT verified {verified} Rust-issued tokens and refused {} forged",
        cases.len() - verified
    );
    assert!(verified >= 30);
}
