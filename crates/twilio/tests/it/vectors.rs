//! Checks a vectors document (the format of `shared/twilio-reference/vectors.json`, written by
//! twilio-python) against this crate, case by case, and returns how many cases of each kind passed.

use serde_json::Value;
use twilio::signature::{Algorithm, RequestValidator, compute_signature};
use twilio::token::{AccessToken, VerifyError, VoiceGrant, verify};
use twilio::twiml::{Element, parse};

const SHA256_SETTINGS: &str = "key=webhooks_sharedkey_x,algorithm=HMAC_SHA256";

#[derive(Debug, Default)]
pub struct Counts {
    pub signatures: usize,
    pub json_bodies: usize,
    pub port_variants: usize,
    pub rejections: usize,
    pub twiml: usize,
    pub tokens: usize,
    pub byte_identical_tokens: usize,
}

pub fn check(doc: &Value) -> Counts {
    let mut counts = Counts::default();
    check_signatures(doc, &mut counts);
    check_twiml(doc, &mut counts);
    check_tokens(doc, &mut counts);
    assert!(
        counts.signatures > 0 && counts.twiml > 0 && counts.tokens > 0,
        "empty vectors: {counts:?}"
    );
    counts
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| (s(&p[0]).to_string(), s(&p[1]).to_string()))
        .collect()
}

/// The URL with its default port toggled, when it has none or a default one.
fn default_port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = if scheme == "https" { "443" } else { "80" };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(end);
    match host.split_once(':') {
        None => Some(format!("{scheme}://{host}:{default}{tail}")),
        Some((h, p)) if p == default => Some(format!("{scheme}://{h}{tail}")),
        Some(_) => None,
    }
}

fn tamper_signature(sig: &str) -> String {
    let mut chars: Vec<char> = sig.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn check_signatures(doc: &Value, counts: &mut Counts) {
    let token = s(&doc["auth_token"]);
    let v = RequestValidator::new(token);
    for (i, case) in doc["signatures"].as_array().unwrap().iter().enumerate() {
        let url = s(&case["url"]);
        let params = pairs(&case["params"]);
        let (sha1, sha256) = (s(&case["sha1"]), s(&case["sha256"]));
        let ctx = format!("signature case {i}: {case}");
        assert_eq!(
            compute_signature(token, url, &params, Algorithm::HmacSha1),
            sha1,
            "{ctx}"
        );
        assert_eq!(
            compute_signature(token, url, &params, Algorithm::HmacSha256),
            sha256,
            "{ctx}"
        );
        let check = |url: &str, params: &[(String, String)], sig: &str, h: Option<&str>| match case
            .get("body")
        {
            Some(body) => v.validate_json(url, s(body).as_bytes(), sig, h),
            None => v.validate(url, params, sig, h),
        };
        assert!(check(url, &params, sha1, None), "{ctx}: SHA-1 refused");
        assert!(
            check(url, &params, sha256, Some(SHA256_SETTINGS)),
            "{ctx}: SHA-256 refused"
        );
        if let Some(variant) = default_port_variant(url) {
            assert!(
                check(&variant, &params, sha1, None),
                "{ctx}: port variant {variant} refused"
            );
            assert!(
                check(&variant, &params, sha256, Some(SHA256_SETTINGS)),
                "{ctx}: {variant}"
            );
            counts.port_variants += 1;
        }
        // Everything below must be refused.
        let mut refused = vec![
            (
                "tampered SHA-1",
                check(url, &params, &tamper_signature(sha1), None),
            ),
            (
                "SHA-1 sent as SHA-256",
                check(url, &params, sha1, Some(SHA256_SETTINGS)),
            ),
            ("SHA-256 sent as SHA-1", check(url, &params, sha256, None)),
            (
                "changed URL",
                check(&format!("{url}x"), &params, sha1, None),
            ),
        ];
        let other_scheme = match url.strip_prefix("https") {
            Some(rest) => format!("http{rest}"),
            None => format!("https{}", &url[4..]),
        };
        refused.push(("changed scheme", check(&other_scheme, &params, sha1, None)));
        if let Some(body) = case.get("body") {
            let changed = format!("{} ", s(body));
            refused.push((
                "changed body",
                v.validate_json(url, changed.as_bytes(), sha1, None),
            ));
            counts.json_bodies += 1;
        } else {
            let mut added = params.clone();
            added.push(("Extra".into(), "1".into()));
            refused.push(("added field", v.validate(url, &added, sha1, None)));
            if !params.is_empty() {
                let j = i % params.len();
                let mut value = params.clone();
                value[j].1.push('x');
                let mut name = params.clone();
                name[j].0.push('x');
                let mut dropped = params.clone();
                dropped.remove(j);
                let dup_only = params.iter().filter(|p| **p == params[j]).count() > 1;
                refused.push(("changed value", v.validate(url, &value, sha1, None)));
                refused.push(("changed name", v.validate(url, &name, sha1, None)));
                if !dup_only {
                    refused.push(("dropped field", v.validate(url, &dropped, sha1, None)));
                }
            }
        }
        for (what, accepted) in refused {
            assert!(!accepted, "{ctx}: {what} was accepted");
            counts.rejections += 1;
        }
        counts.signatures += 1;
    }
}

fn element(tree: &Value) -> Element {
    let mut el = Element::new(s(&tree["name"]));
    for (k, v) in tree["attrs"].as_object().unwrap() {
        match v {
            Value::String(text) => el.set_attr(k, text),
            Value::Bool(b) => el.set_attr(k, b),
            Value::Number(n) => el.set_attr(k, n),
            other => panic!("unexpected attribute value {other}"),
        }
    }
    el.text = tree["text"].as_str().map(str::to_string);
    el.children = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(element)
        .collect();
    el
}

fn sorted(mut el: Element) -> Element {
    el.attrs.sort();
    el.text = el.text.filter(|t| !t.is_empty());
    el.children = el.children.into_iter().map(sorted).collect();
    el
}

fn check_twiml(doc: &Value, counts: &mut Counts) {
    for (i, case) in doc["twiml"].as_array().unwrap().iter().enumerate() {
        let want = s(&case["xml"]);
        let el = element(&case["tree"]);
        assert_eq!(el.to_xml(), want, "TwiML case {i}: {}", case["tree"]);
        let parsed = parse(want).unwrap_or_else(|e| panic!("TwiML case {i} does not parse: {e}"));
        assert_eq!(
            parsed,
            sorted(el),
            "TwiML case {i}: parse(xml) differs from the tree"
        );
        counts.twiml += 1;
    }
}

fn check_tokens(doc: &Value, counts: &mut Counts) {
    for (i, case) in doc["tokens"].as_array().unwrap().iter().enumerate() {
        let now = case["now"].as_u64().unwrap();
        let ttl = case["ttl"].as_u64().unwrap();
        let secret = s(&case["api_key_secret"]);
        let key_sid = s(&case["api_key_sid"]);
        let mut token = AccessToken::new(
            s(&case["account_sid"]),
            key_sid,
            secret,
            s(&case["identity"]),
        )
        .ttl(ttl)
        .voice(VoiceGrant {
            incoming_allow: case["incoming_allow"].as_bool().unwrap(),
            outgoing_application_sid: Some(s(&case["application_sid"]).to_string()),
            outgoing_application_params: case["outgoing_params"].as_object().cloned(),
            ..Default::default()
        });
        if let Some(region) = case["region"].as_str() {
            token = token.region(region);
        }
        let jwt = token.to_jwt_at(now).unwrap();
        let ctx = format!("token case {i}");
        let decode = |part: &str| -> Value {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        };
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(decode(parts[0]), case["header"], "{ctx}: header");
        assert_eq!(decode(parts[1]), case["payload"], "{ctx}: payload");
        // Same key order and ASCII escaping as PyJWT, so the bytes match too (a params object
        // with several keys would be written sorted here but in insertion order by Python).
        if case["outgoing_params"]
            .as_object()
            .is_none_or(|p| p.len() <= 1)
        {
            assert_eq!(jwt, s(&case["jwt"]), "{ctx}: JWT bytes");
            counts.byte_identical_tokens += 1;
        }
        let lookup = |iss: &str| (iss == key_sid).then_some(secret);
        // ours and the reference token both verify with the same secret
        for (who, t) in [("ours", jwt.as_str()), ("twilio-python's", s(&case["jwt"]))] {
            let verified =
                verify(t, lookup, now).unwrap_or_else(|e| panic!("{ctx}: {who} refused: {e}"));
            assert_eq!(
                verified.identity(),
                case["identity"].as_str(),
                "{ctx}: {who}"
            );
            assert_eq!(verified.claims.exp, now + ttl, "{ctx}: {who}");
            assert!(
                matches!(
                    verify(t, lookup, now + ttl),
                    Err(VerifyError::Expired { .. })
                ),
                "{ctx}"
            );
            assert!(
                matches!(
                    verify(t, lookup, now - 1),
                    Err(VerifyError::NotYetValid { .. })
                ),
                "{ctx}"
            );
            let wrong = |_: &str| Some("not-the-secret");
            assert!(
                matches!(verify(t, wrong, now), Err(VerifyError::Invalid(_))),
                "{ctx}"
            );
        }
        counts.tokens += 1;
    }
}
