//! Media Streams: the JSON text frames of the WebSocket Twilio opens for `<Connect><Stream>` and
//! `<Start><Stream>`, exactly as documented (voice/media-streams/websocket-messages).
//!
//! [`TwilioMessage`] is what Twilio sends (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`);
//! [`ServerMessage`] is what the server may send back on a bidirectional stream (`media`, `mark`,
//! `clear`). `sequenceNumber`, `chunk` and `timestamp` travel as **strings** holding decimal
//! numbers; here they are `u64`, written and read as strings. `sampleRate` and `channels` are
//! JSON numbers. Audio is base64 of raw 8 kHz μ-law (Twilio sends 160 bytes = 20 ms per `media`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The `User-Agent` Twilio's stream client sends with the WebSocket upgrade.
pub const USER_AGENT: &str = "Twilio.TmeWs/1.0";

/// A frame from Twilio to the server, tagged by `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum TwilioMessage {
    /// First frame: `{"event":"connected","protocol":"Call","version":"1.0.0"}`.
    Connected {
        /// `Call`.
        protocol: String,
        /// `1.0.0`.
        version: String,
    },
    /// Once, after `connected`: the stream's metadata.
    Start {
        /// One counter across every message of the stream.
        #[serde(rename = "sequenceNumber", with = "string_u64")]
        sequence_number: u64,
        /// `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The metadata.
        start: StartInfo,
    },
    /// 20 ms of the call's audio.
    Media {
        /// One counter across every message of the stream.
        #[serde(rename = "sequenceNumber", with = "string_u64")]
        sequence_number: u64,
        /// `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The audio.
        media: MediaChunk,
    },
    /// A key the caller pressed (bidirectional streams only).
    Dtmf {
        /// One counter across every message of the stream.
        #[serde(rename = "sequenceNumber", with = "string_u64")]
        sequence_number: u64,
        /// `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The key.
        dtmf: Dtmf,
    },
    /// A server's `mark` echoed once the audio queued before it has played.
    Mark {
        /// One counter across every message of the stream.
        #[serde(rename = "sequenceNumber", with = "string_u64")]
        sequence_number: u64,
        /// `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The mark's name.
        mark: Mark,
    },
    /// Last frame: the stream ended (hang-up, or the TwiML moved on).
    Stop {
        /// One counter across every message of the stream.
        #[serde(rename = "sequenceNumber", with = "string_u64")]
        sequence_number: u64,
        /// `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// Whose stream it was.
        stop: StopInfo,
    },
}

/// The `start` object of a `start` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInfo {
    /// `AC…`.
    pub account_sid: String,
    /// `MZ…`.
    pub stream_sid: String,
    /// `CA…`.
    pub call_sid: String,
    /// `["inbound"]`, `["outbound"]` or both.
    pub tracks: Vec<String>,
    /// The `<Parameter>`s of the `<Stream>`, name → value.
    pub custom_parameters: serde_json::Map<String, serde_json::Value>,
    /// Always μ-law, 8 kHz, mono.
    pub media_format: MediaFormat,
}

/// `mediaFormat` of a `start` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    /// `audio/x-mulaw`.
    pub encoding: String,
    /// `8000` (a JSON number).
    pub sample_rate: u32,
    /// `1` (a JSON number).
    pub channels: u32,
}

impl Default for MediaFormat {
    fn default() -> Self {
        MediaFormat {
            encoding: "audio/x-mulaw".into(),
            sample_rate: 8000,
            channels: 1,
        }
    }
}

/// `media` of a Twilio → server `media` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaChunk {
    /// `inbound` (what the call's party says) or `outbound`.
    pub track: String,
    /// Counts `media` messages from 1.
    #[serde(with = "string_u64")]
    pub chunk: u64,
    /// Milliseconds since the stream started.
    #[serde(with = "string_u64")]
    pub timestamp: u64,
    /// Base64 of raw μ-law; see [`decode_payload`].
    pub payload: String,
}

/// `dtmf` of a `dtmf` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    /// `inbound_track`.
    pub track: String,
    /// One of `0-9*#`.
    pub digit: String,
}

/// `mark` of a `mark` message (either direction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// Chosen by the server.
    pub name: String,
}

/// `stop` of a `stop` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopInfo {
    /// `AC…`.
    pub account_sid: String,
    /// `CA…`.
    pub call_sid: String,
}

/// A frame from the server to Twilio (bidirectional streams only), tagged by `event`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum ServerMessage {
    /// Audio to play to the call's party: queued, played in order.
    Media {
        /// The stream's `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The audio.
        media: Payload,
    },
    /// Asks Twilio to echo this mark once the audio queued before it has played.
    Mark {
        /// The stream's `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
        /// The mark's name.
        mark: Mark,
    },
    /// Empties the playback queue; every pending mark is echoed.
    Clear {
        /// The stream's `MZ…`.
        #[serde(rename = "streamSid")]
        stream_sid: String,
    },
}

/// `media` of a server → Twilio `media` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// Base64 of raw μ-law 8 kHz mono, no header, any length.
    pub payload: String,
}

/// Base64 (standard, padded) of μ-law bytes, as a `payload` carries them.
pub fn encode_payload(ulaw: &[u8]) -> String {
    STANDARD.encode(ulaw)
}

/// The μ-law bytes of a `payload`.
pub fn decode_payload(payload: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD.decode(payload)
}

/// `u64` written and read as a JSON string of decimal digits (Twilio's `sequenceNumber`,
/// `chunk`, `timestamp`).
mod string_u64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(n)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests;
