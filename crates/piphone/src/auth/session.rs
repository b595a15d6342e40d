//! Session cookies. The cookie carries 32 random bytes; the database keeps only their SHA-256, so a leaked
//! database does not leak live sessions. A new token is made at every login.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "piphone_session";
/// Sessions last 12 hours: a long radio show, not a week.
pub const TTL_SECS: i64 = 12 * 3600;

/// A fresh token and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// Lower-case hex SHA-256 of the token (runs on every authenticated request: one allocation).
pub fn hash_token(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={TTL_SECS}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session token from a `Cookie` header, if any.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_parse_back() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), ha);
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA-256 in lower-case hex"
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            format!("x=1; {COOKIE}={a}; y=2").parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some(a.as_str()));
        assert!(
            set_cookie(&a, true).contains("HttpOnly") && set_cookie(&a, true).contains("Secure")
        );
        assert!(!set_cookie(&a, false).contains("Secure"));
    }
}
