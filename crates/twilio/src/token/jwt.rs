//! Minimal HS256 JWS compact serialisation: base64url without padding, HMAC-SHA256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
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

/// JSON as PyJWT writes it (`json.dumps(..., separators=(",", ":"))`, `ensure_ascii=True`):
/// compact, non-ASCII as lowercase `\uXXXX` escapes (UTF-16 pairs beyond the BMP), so tokens
/// are byte-identical to twilio-python's for the same claims.
pub(crate) fn to_ascii_json<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    value.serialize(&mut ser).expect("token JSON serialises");
    out
}

struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        for c in fragment.chars() {
            if c.is_ascii() {
                writer.write_all(&[c as u8])?;
            } else {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_python_json_dumps() {
        // json.dumps({"i": "zoë ☎ 😀\"\n"}, separators=(",", ":"))
        let v = serde_json::json!({"i": "zoë ☎ 😀\"\n"});
        let want = r#"{"i":"zo\u00eb \u260e \ud83d\ude00\"\n"}"#;
        assert_eq!(String::from_utf8(super::to_ascii_json(&v)).unwrap(), want);
    }
}
