//! TwiML for Programmable Voice: a typed builder ([`VoiceResponse`] and the verbs), the generic
//! [`Element`] tree with a serialiser byte-compatible with twilio-python 9.13.0, and [`parse`].
//!
//! ```
//! use twilio::twiml::{Dial, Number, Say, VoiceResponse};
//! let xml = VoiceResponse::new()
//!     .say(Say::new("hi").voice("alice"))
//!     .dial(Dial::new().caller_id("+15005550006").number(Number::new("+14155551212")))
//!     .hangup()
//!     .to_xml();
//! assert_eq!(
//!     xml,
//!     r#"<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="alice">hi</Say><Dial callerId="+15005550006"><Number>+14155551212</Number></Dial><Hangup /></Response>"#
//! );
//! ```

mod element;
mod parse;
mod verbs;

pub use element::{Element, XML_DECLARATION, escape, escape_into};
pub use parse::{ParseError, parse};
pub use verbs::{
    Client, Connect, Dial, Enqueue, Gather, MAX_QUEUE_NAME_CHARS, Method, Number, Pause, Play,
    Queue, Redirect, Reject, RejectReason, Say, Start, Stream, StreamTrack,
};

/// A TwiML value Twilio would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwimlError {
    /// Queue names are 1 to 64 characters.
    #[error("queue name must be 1 to {MAX_QUEUE_NAME_CHARS} characters, got {chars}")]
    QueueName {
        /// Length of the name given, in characters.
        chars: usize,
    },
}

/// `<Response>` for a Voice webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceResponse(Element);

impl Default for VoiceResponse {
    fn default() -> Self {
        Self::new()
    }
}

macro_rules! verb_methods {
    ($($fn:ident($ty:ty)),* $(,)?) => {
        $(
            #[doc = concat!("Appends a [`", stringify!($ty), "`].")]
            pub fn $fn(self, verb: $ty) -> Self {
                self.push(verb)
            }
        )*
    };
}

impl VoiceResponse {
    /// An empty `<Response>`.
    pub fn new() -> Self {
        Self(Element::new("Response"))
    }

    /// Appends any element (a verb from this module or a hand-built [`Element`]).
    pub fn push(mut self, verb: impl Into<Element>) -> Self {
        self.0.children.push(verb.into());
        self
    }

    verb_methods!(
        say(Say),
        play(Play),
        pause(Pause),
        dial(Dial),
        enqueue(Enqueue),
        redirect(Redirect),
        reject(Reject),
        gather(Gather),
        connect(Connect),
        start(Start),
    );

    /// Appends `<Hangup />`.
    pub fn hangup(self) -> Self {
        self.push(Element::new("Hangup"))
    }

    /// Appends `<Leave />` (in wait-URL TwiML: leave the queue, continue after `<Enqueue>`).
    pub fn leave(self) -> Self {
        self.push(Element::new("Leave"))
    }

    /// The document, with twilio-python's XML declaration.
    pub fn to_xml(&self) -> String {
        self.0.to_xml()
    }

    /// The underlying tree.
    pub fn as_element(&self) -> &Element {
        &self.0
    }
}

impl From<VoiceResponse> for Element {
    fn from(r: VoiceResponse) -> Element {
        r.0
    }
}

#[cfg(test)]
mod tests;
