//! Twilio-shaped identifiers: a two-letter prefix and 32 lowercase hex digits.

use rand::Rng;

pub fn hex32() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sid(prefix: &str) -> String {
    format!("{prefix}{}", hex32())
}
