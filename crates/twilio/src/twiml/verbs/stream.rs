//! `<Connect><Stream>` (bidirectional Media Stream; blocks until the stream ends) and
//! `<Start><Stream>` (listen-only fork; TwiML continues at once), as twilio-python 9.13.0 writes
//! them (`twiml/voice_response.py`: `Connect`, `Start`, `Stream`, `Parameter`).

use std::fmt;

use super::{Element, Method};

/// `<Stream track>`: which side of the call a listen-only stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTrack {
    /// What the call's party says (Twilio's default).
    Inbound,
    /// What the call's party hears.
    Outbound,
    /// Both, as separate `media` messages.
    Both,
}

impl fmt::Display for StreamTrack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StreamTrack::Inbound => "inbound_track",
            StreamTrack::Outbound => "outbound_track",
            StreamTrack::Both => "both_tracks",
        })
    }
}

node!(/// `<Stream>`: a Media Stream to a `wss://` URL (no query string: pass values as
    /// [`Stream::parameter`]s, which arrive in the `start` message's `customParameters`).
    Stream);
impl Stream {
    /// Streams to `url` (`wss://…`).
    pub fn new(url: &str) -> Self {
        Self(Element::new("Stream").with_attr("url", url))
    }
    /// Adds `<Parameter name value />` (each under 500 characters, Twilio's limit).
    pub fn parameter(mut self, name: &str, value: &str) -> Self {
        let p = Element::new("Parameter")
            .with_attr("name", name)
            .with_attr("value", value);
        self.0.children.push(p);
        self
    }
}
attrs!(Stream {
    name: &str => "name",
    track: StreamTrack => "track",
    status_callback: &str => "statusCallback",
    status_callback_method: Method => "statusCallbackMethod",
});

node!(/// `<Connect>`: hands the call to a bidirectional [`Stream`]; the TwiML after it runs when
    /// the stream ends, after a request to `action` if given.
    Connect);
impl Connect {
    /// `<Connect>` around `stream`.
    pub fn stream(stream: Stream) -> Self {
        Self(Element::new("Connect").with_child(stream))
    }
}
attrs!(Connect { action: &str => "action", method: Method => "method" });

node!(/// `<Start>`: forks a listen-only [`Stream`] and continues with the next verb at once.
    Start);
impl Start {
    /// `<Start>` around `stream`.
    pub fn stream(stream: Stream) -> Self {
        Self(Element::new("Start").with_child(stream))
    }
}
attrs!(Start { action: &str => "action", method: Method => "method" });
