//! Minimal HS256 JWS compact serialisation: base64url without padding, HMAC-SHA256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `base64url(header).base64url(payload).base64url(HMAC-SHA256(secret, signing input))`.
pub(crate) fn sign(header_json: &[u8], payload_json: &[u8], secret: &[u8]) -> String {
    let mut out = URL_SAFE_NO_PAD.encode(header_json);
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(payload_json));
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(out.as_bytes());
    let sig = mac.finalize().into_bytes();
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(sig));
    out
}

/// A compact JWS split and base64url-decoded.
pub(crate) struct Parts<'a> {
    pub header: Vec<u8>,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
    /// `header.payload` as sent, what the signature covers.
    pub signing_input: &'a str,
}

/// Splits a compact JWS (exactly three parts).
pub(crate) fn split(jwt: &str) -> Option<Parts<'_>> {
    let mut parts = jwt.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let signing_input = &jwt[..h.len() + 1 + p.len()];
    Some(Parts {
        header: URL_SAFE_NO_PAD.decode(h).ok()?,
        payload: URL_SAFE_NO_PAD.decode(p).ok()?,
        signature: URL_SAFE_NO_PAD.decode(s).ok()?,
        signing_input,
    })
}

/// Constant-time check of an HS256 signature.
pub(crate) fn verify(signing_input: &str, signature: &[u8], secret: &[u8]) -> bool {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(signing_input.as_bytes());
    mac.verify_slice(signature).is_ok()
}
