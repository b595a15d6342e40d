//! `X-Twilio-Signature` webhook validation, matching twilio-python 9.13.0's
//! `twilio/request_validator.py`.
//!
//! The string to sign is the URL Twilio requested followed, for each form field name in sorted
//! order and each of its *distinct* values in sorted order, by `name + value`. It is signed with
//! HMAC-SHA1 keyed by the auth token (or HMAC-SHA256 when the request carries
//! `X-Twilio-Webhooks-Signature-Settings: key=…,algorithm=HMAC_SHA256`) and base64-encoded.
//! A signature is accepted when it matches the URL either without its port or with the default
//! one, exactly as twilio-python builds those two variants: through `urlparse(..).geturl()`
//! (scheme lower-cased, empty `?`/`#`/`;` markers dropped), removing *any* port including a
//! non-default one, and adding `:443` (https) or `:80` (otherwise) only when there is none.

mod form;
mod pyurl;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Digest as _;
use subtle::ConstantTimeEq;

pub use form::{FormError, parse_form};

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
/// Header naming the signing key and algorithm (`key=<id>,algorithm=HMAC_SHA256`); absent means
/// the legacy auth-token HMAC-SHA1.
pub const SIGNATURE_SETTINGS_HEADER: &str = "X-Twilio-Webhooks-Signature-Settings";

/// Signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// `HMAC_SHA1`, the default.
    #[default]
    HmacSha1,
    /// `HMAC_SHA256`.
    HmacSha256,
}

/// The settings header named an algorithm this crate does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported webhook signature algorithm {0:?}")]
pub struct UnsupportedAlgorithm(pub String);

impl Algorithm {
    /// Reads the algorithm from an `X-Twilio-Webhooks-Signature-Settings` value the way
    /// twilio-python's `get_signature_algorithm` does: the first comma-separated `algorithm=`
    /// part with a non-empty value wins (whitespace trimmed, case-insensitive); a missing header
    /// or one without `algorithm=` means HMAC-SHA1.
    pub fn from_settings_header(header: Option<&str>) -> Result<Self, UnsupportedAlgorithm> {
        let named = header.unwrap_or("").split(',').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == "algorithm" && !value.trim().is_empty()).then(|| value.trim())
        });
        match named.map(str::to_uppercase).as_deref() {
            None | Some("HMAC_SHA1") => Ok(Self::HmacSha1),
            Some("HMAC_SHA256") => Ok(Self::HmacSha256),
            Some(_) => Err(UnsupportedAlgorithm(named.unwrap_or_default().to_string())),
        }
    }
}

/// Computes the base64 signature of `url` plus `params` (repeats allowed, in any order).
pub fn compute_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    algorithm: Algorithm,
) -> String {
    sign(auth_token, url, &params_suffix(params), algorithm)
}

/// What follows the URL in the signed string: each field name in sorted order with each of its distinct
/// values in sorted order, `name + value`.
fn params_suffix(params: &[(String, String)]) -> String {
    let mut fields: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in params {
        fields.entry(name).or_default().insert(value);
    }
    let mut data = String::new();
    for (name, values) in fields {
        for value in values {
            data.push_str(name);
            data.push_str(value);
        }
    }
    data
}

fn sign(auth_token: &str, url: &str, suffix: &str, algorithm: Algorithm) -> String {
    let key = auth_token.as_bytes();
    let digest = match algorithm {
        Algorithm::HmacSha1 => hmac_bytes::<Hmac<sha1::Sha1>>(key, &[url, suffix]),
        Algorithm::HmacSha256 => hmac_bytes::<Hmac<sha2::Sha256>>(key, &[url, suffix]),
    };
    STANDARD.encode(digest)
}

fn hmac_bytes<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&str]) -> Vec<u8> {
    let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    for part in parts {
        mac.update(part.as_bytes());
    }
    mac.finalize().into_bytes().to_vec()
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Validates webhook requests with one secret: the account auth token, or the SharedKey secret
/// when requests carry [`SIGNATURE_SETTINGS_HEADER`]. `Debug` does not print the secret.
#[derive(Clone)]
pub struct RequestValidator {
    token: String,
}

impl fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestValidator")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl RequestValidator {
    /// A validator keyed with `auth_token`.
    pub fn new(auth_token: impl Into<String>) -> Self {
        Self {
            token: auth_token.into(),
        }
    }

    /// Checks a form-encoded webhook: `url` exactly as Twilio requested it (rebuild it from the
    /// public base URL behind a proxy), `params` from [`parse_form`], `signature` from
    /// [`SIGNATURE_HEADER`], `settings_header` from [`SIGNATURE_SETTINGS_HEADER`].
    ///
    /// False for an unsupported algorithm and for a URL Python's `urlparse` would refuse.
    pub fn validate(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: &str,
        settings_header: Option<&str>,
    ) -> bool {
        let Some(algorithm) = algorithm_or_warn(settings_header) else {
            return false;
        };
        self.url_matches(url, params, signature, algorithm)
    }

    /// Checks a JSON webhook: the URL must carry `bodySHA256=<hex SHA-256 of body>` (compared in
    /// constant time) and the signature covers the URL alone. A URL without a non-empty
    /// `bodySHA256` is refused (twilio-python raises in that case).
    pub fn validate_json(
        &self,
        url: &str,
        body: &[u8],
        signature: &str,
        settings_header: Option<&str>,
    ) -> bool {
        let Some(algorithm) = algorithm_or_warn(settings_header) else {
            return false;
        };
        let Some(query) = pyurl::query(url) else {
            return false;
        };
        // parse_qs drops blank values, then twilio-python takes the first.
        let expected = url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k == "bodySHA256" && !v.is_empty())
            .map(|(_, v)| v.into_owned());
        let Some(expected) = expected else {
            return false;
        };
        let actual = sha2::Sha256::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let body_ok = ct_eq(&actual, &expected);
        let url_ok = self.url_matches(url, &[], signature, algorithm);
        body_ok & url_ok
    }

    fn url_matches(
        &self,
        url: &str,
        params: &[(String, String)],
        signature: &str,
        algorithm: Algorithm,
    ) -> bool {
        let Some((without, with)) = pyurl::port_variants(url) else {
            return false;
        };
        // Both variants are always computed and compared (as twilio-python does): the time taken does not
        // depend on which one, if any, matched.
        let suffix = params_suffix(params);
        let a = ct_eq(&sign(&self.token, &without, &suffix, algorithm), signature);
        let b = ct_eq(&sign(&self.token, &with, &suffix, algorithm), signature);
        a | b
    }
}

fn algorithm_or_warn(settings_header: Option<&str>) -> Option<Algorithm> {
    Algorithm::from_settings_header(settings_header)
        .inspect_err(|e| tracing::warn!(error = %e, "refusing webhook"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Expected signature computed by twilio-python 9.13.0 `RequestValidator("12345")`.
    #[test]
    fn python_computed_example() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = p(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let sig = compute_signature("12345", url, &params, Algorithm::HmacSha1);
        assert_eq!(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        let v = RequestValidator::new("12345");
        assert!(v.validate(url, &params, &sig, None));
        assert!(v.validate(
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            &sig,
            None
        ));
        assert!(!v.validate(url, &params[1..], &sig, None));
        assert!(!v.validate(url, &params, &sig, Some("algorithm=HMAC_SHA256")));
        assert!(!v.validate(url, &params, &sig, Some("algorithm=MD5")));
    }

    #[test]
    fn repeated_values_sorted_and_deduplicated() {
        let a = p(&[("b", "2"), ("a", "y"), ("a", "x"), ("a", "y")]);
        let b = p(&[("a", "x"), ("a", "y"), ("b", "2")]);
        for alg in [Algorithm::HmacSha1, Algorithm::HmacSha256] {
            assert_eq!(
                compute_signature("t", "u", &a, alg),
                compute_signature("t", "u", &b, alg)
            );
        }
    }

    #[test]
    fn settings_header_parsing() {
        let ok = [
            (None, Algorithm::HmacSha1),
            (Some(""), Algorithm::HmacSha1),
            (Some("key=abc"), Algorithm::HmacSha1),
            (Some("key=abc,algorithm=HMAC_SHA256"), Algorithm::HmacSha256),
            (
                Some(" algorithm = hmac_sha256 ,key=x"),
                Algorithm::HmacSha256,
            ),
            (Some("algorithm=,algorithm=HMAC_SHA1"), Algorithm::HmacSha1),
        ];
        for (h, want) in ok {
            assert_eq!(Algorithm::from_settings_header(h), Ok(want), "header {h:?}");
        }
        assert!(Algorithm::from_settings_header(Some("algorithm=HMAC_SHA512")).is_err());
    }

    #[test]
    fn debug_redacts_token() {
        assert!(!format!("{:?}", RequestValidator::new("sekrit")).contains("sekrit"));
    }
}
