//! Typed TwiML verbs and nouns for the Voice features piphone uses. Each is a thin wrapper over
//! [`Element`] with TwiML's own attribute names, so the output is whatever twilio-python writes
//! for the same tree.

use std::fmt;

use super::{Element, TwimlError};

/// Longest queue name Twilio accepts (`<Enqueue>` docs: "up to 64 characters").
pub const MAX_QUEUE_NAME_CHARS: usize = 64;

/// HTTP method Twilio uses for a callback URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST` (Twilio's default for most callbacks).
    Post,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
        })
    }
}

impl std::str::FromStr for Method {
    type Err = String;

    /// `GET` or `POST`, in any case (Twilio's JSON writes them upper case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("GET") {
            Ok(Method::Get)
        } else if s.eq_ignore_ascii_case("POST") {
            Ok(Method::Post)
        } else {
            Err(format!("{s:?} is not GET or POST"))
        }
    }
}

/// `<Reject reason>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// Caller hears a busy signal.
    Busy,
    /// Caller hears "not in service" (Twilio's default).
    Rejected,
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::Busy => "busy",
            RejectReason::Rejected => "rejected",
        })
    }
}

macro_rules! node {
    ($(#[$doc:meta])* $ty:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $ty(Element);

        impl From<$ty> for Element {
            fn from(v: $ty) -> Element {
                v.0
            }
        }
    };
}

macro_rules! attrs {
    ($ty:ident { $($fn:ident: $arg:ty => $attr:literal),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets the `", $attr, "` attribute.")]
                pub fn $fn(mut self, value: $arg) -> Self {
                    self.0.set_attr($attr, value);
                    self
                }
            )*
        }
    };
}

node!(/// `<Say>`: text-to-speech.
    Say);
impl Say {
    /// Speaks `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Element::new("Say").with_text(text))
    }
}
attrs!(Say { voice: &str => "voice", language: &str => "language", loop_count: u32 => "loop" });

node!(/// `<Play>`: plays an audio URL.
    Play);
impl Play {
    /// Plays the audio at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self(Element::new("Play").with_text(url))
    }
}
attrs!(Play { loop_count: u32 => "loop", digits: &str => "digits" });

node!(/// `<Pause>`: silence.
    Pause);
impl Pause {
    /// One second of silence unless [`Pause::length`] says otherwise.
    pub fn new() -> Self {
        Self(Element::new("Pause"))
    }
}
impl Default for Pause {
    fn default() -> Self {
        Self::new()
    }
}
attrs!(Pause { length: u32 => "length" });

node!(/// `<Dial>`: bridges the call to a [`Number`], [`Client`] or [`Queue`].
    ///
    /// With `hangupOnStar="true"` the calling side can press `*` to drop the other party; TwiML
    /// then continues at `action`.
    Dial);
impl Dial {
    /// An empty `<Dial>`; add nouns with [`Dial::number`], [`Dial::client`], [`Dial::queue`].
    pub fn new() -> Self {
        Self(Element::new("Dial"))
    }
    /// Dials a phone number.
    pub fn number(mut self, number: Number) -> Self {
        self.0.children.push(number.into());
        self
    }
    /// Dials a Voice SDK client.
    pub fn client(mut self, client: Client) -> Self {
        self.0.children.push(client.into());
        self
    }
    /// Takes the caller at the front of a queue.
    pub fn queue(mut self, queue: Queue) -> Self {
        self.0.children.push(queue.into());
        self
    }
}
impl Default for Dial {
    fn default() -> Self {
        Self::new()
    }
}
attrs!(Dial {
    caller_id: &str => "callerId",
    action: &str => "action",
    method: Method => "method",
    timeout: u32 => "timeout",
    hangup_on_star: bool => "hangupOnStar",
    answer_on_bridge: bool => "answerOnBridge",
    time_limit: u32 => "timeLimit",
    record: &str => "record",
});

node!(/// `<Number>` inside `<Dial>`.
    Number);
impl Number {
    /// Dials `number` (E.164).
    pub fn new(number: impl Into<String>) -> Self {
        Self(Element::new("Number").with_text(number))
    }
}
attrs!(Number { send_digits: &str => "sendDigits", url: &str => "url", method: Method => "method" });

node!(/// `<Client>` inside `<Dial>`.
    Client);
impl Client {
    /// Dials the client `identity`, written as text: `<Client>identity</Client>`.
    pub fn new(identity: impl Into<String>) -> Self {
        Self(Element::new("Client").with_text(identity))
    }
    /// Dials the client `identity`, written as an `<Identity>` child (the form that allows
    /// [`Client::parameter`]).
    pub fn with_identity(identity: impl Into<String>) -> Self {
        Self(Element::new("Client").with_child(Element::new("Identity").with_text(identity)))
    }
    /// Adds `<Parameter name value/>`, passed to the client's incoming call. A text identity is
    /// first moved into an `<Identity>` child, as Twilio requires with parameters.
    pub fn parameter(mut self, name: &str, value: &str) -> Self {
        if let Some(identity) = self.0.text.take().filter(|t| !t.is_empty()) {
            self.0
                .children
                .insert(0, Element::new("Identity").with_text(identity));
        }
        let p = Element::new("Parameter")
            .with_attr("name", name)
            .with_attr("value", value);
        self.0.children.push(p);
        self
    }
}
attrs!(Client { url: &str => "url", method: Method => "method" });

node!(/// `<Queue>` inside `<Dial>`: connects to the caller at the front of the named queue.
    Queue);
impl Queue {
    /// The queue called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self(Element::new("Queue").with_text(name))
    }
}
attrs!(Queue { url: &str => "url", method: Method => "method" });

node!(/// `<Enqueue>`: puts the caller in a queue, playing `waitUrl` TwiML meanwhile.
    Enqueue);
impl Enqueue {
    /// Enqueues into `name` (1 to 64 characters).
    pub fn new(name: impl Into<String>) -> Result<Self, TwimlError> {
        let name = name.into();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_QUEUE_NAME_CHARS {
            return Err(TwimlError::QueueName { chars });
        }
        Ok(Self(Element::new("Enqueue").with_text(name)))
    }
}
attrs!(Enqueue {
    action: &str => "action",
    method: Method => "method",
    wait_url: &str => "waitUrl",
    wait_url_method: Method => "waitUrlMethod",
    max_queue_size: u32 => "maxQueueSize",
});

node!(/// `<Redirect>`: continues with the TwiML at a URL.
    Redirect);
impl Redirect {
    /// Fetches TwiML from `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self(Element::new("Redirect").with_text(url))
    }
}
attrs!(Redirect { method: Method => "method" });

node!(/// `<Reject>`: refuses an incoming call without answering (no charge).
    Reject);
impl Reject {
    /// Rejects with Twilio's default reason.
    pub fn new() -> Self {
        Self(Element::new("Reject"))
    }
}
impl Default for Reject {
    fn default() -> Self {
        Self::new()
    }
}
attrs!(Reject { reason: RejectReason => "reason" });

node!(/// `<Gather>`: collects digits or speech, optionally prompting with nested Say/Play/Pause.
    Gather);
impl Gather {
    /// An empty `<Gather>`.
    pub fn new() -> Self {
        Self(Element::new("Gather"))
    }
    /// Nests a `<Say>` prompt.
    pub fn say(mut self, say: Say) -> Self {
        self.0.children.push(say.into());
        self
    }
    /// Nests a `<Play>` prompt.
    pub fn play(mut self, play: Play) -> Self {
        self.0.children.push(play.into());
        self
    }
    /// Nests a `<Pause>`.
    pub fn pause(mut self, pause: Pause) -> Self {
        self.0.children.push(pause.into());
        self
    }
}
impl Default for Gather {
    fn default() -> Self {
        Self::new()
    }
}
attrs!(Gather {
    input: &str => "input",
    action: &str => "action",
    method: Method => "method",
    num_digits: u32 => "numDigits",
    timeout: u32 => "timeout",
    finish_on_key: &str => "finishOnKey",
});

mod stream;
pub use stream::{Connect, Start, Stream, StreamTrack};
