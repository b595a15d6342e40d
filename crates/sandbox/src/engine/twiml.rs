//! TwiML documents read into the verbs the engine executes.

use url::Url;

use super::Method;
use crate::proto::{self, Element};

#[derive(Debug, Clone)]
pub enum Verb {
    Say {
        text: String,
        loops: u32,
    },
    Play {
        url: String,
        loops: u32,
    },
    Pause {
        secs: u64,
    },
    Dial(Dial),
    Enqueue(Enqueue),
    Redirect {
        url: Url,
        method: Method,
    },
    Hangup,
    Reject {
        reason: String,
    },
    Leave,
    /// `<Connect><Stream>` (media streams: see `engine/stream.rs`).
    Connect(StreamVerb),
    /// `<Start><Stream>`.
    StartStream(StreamVerb),
    /// A verb the sandbox does not simulate (recorded and skipped).
    Other(String),
}

#[derive(Debug, Clone)]
pub struct Dial {
    pub action: Option<(Url, Method)>,
    pub caller_id: Option<String>,
    pub timeout_s: u64,
    pub hangup_on_star: bool,
    pub answer_on_bridge: bool,
    pub time_limit_s: Option<u64>,
    pub target: Target,
}

#[derive(Debug, Clone)]
pub struct ClientNoun {
    pub identity: String,
    pub params: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum Target {
    Number(String),
    /// One or more `<Client>` nouns, rung at once (the first browser to answer wins).
    Clients(Vec<ClientNoun>),
    Queue {
        name: String,
        url: Option<(Url, Method)>,
    },
    Nothing,
}

/// A `<Stream>` inside `<Connect>` or `<Start>`.
#[derive(Debug, Clone)]
pub struct StreamVerb {
    pub target: crate::streams::StreamTarget,
    pub name: Option<String>,
    /// `<Stream statusCallback statusCallbackMethod>`.
    pub status_callback: Option<(Url, Method)>,
    /// `<Connect action>` (requested when the stream ends).
    pub action: Option<(Url, Method)>,
}

#[derive(Debug, Clone)]
pub struct Enqueue {
    pub name: String,
    pub action: Option<(Url, Method)>,
    pub wait: Option<(Url, Method)>,
}

#[derive(Debug, thiserror::Error)]
#[error("not TwiML: {0}")]
pub struct TwimlError(pub String);

/// Parses a `<Response>` document; relative URLs resolve against `base` (the document's URL).
pub fn parse(body: &str, base: &Url) -> Result<Vec<Verb>, TwimlError> {
    let root = proto::parse_twiml(body).map_err(TwimlError)?;
    if root.name != "Response" {
        return Err(TwimlError(format!("root element <{}>", root.name)));
    }
    Ok(root.children.iter().map(|el| verb(el, base)).collect())
}

fn verb(el: &Element, base: &Url) -> Verb {
    let loops = el.attr("loop").and_then(|l| l.parse().ok()).unwrap_or(1);
    match el.name.as_str() {
        "Say" => Verb::Say {
            text: proto::text(el).to_owned(),
            loops,
        },
        // A relative URL is fetched from the document's server, as on Twilio.
        "Play" => Verb::Play {
            url: base
                .join(proto::text(el))
                .map_or_else(|_| proto::text(el).to_owned(), String::from),
            loops,
        },
        "Pause" => Verb::Pause {
            secs: el.attr("length").and_then(|l| l.parse().ok()).unwrap_or(1),
        },
        "Redirect" => match base.join(proto::text(el)) {
            Ok(url) => Verb::Redirect {
                url,
                method: Method::parse(el.attr("method")),
            },
            Err(_) => Verb::Other("Redirect".into()),
        },
        "Hangup" => Verb::Hangup,
        "Leave" => Verb::Leave,
        "Reject" => Verb::Reject {
            reason: el.attr("reason").unwrap_or("rejected").to_owned(),
        },
        "Dial" => Verb::Dial(dial(el, base)),
        "Enqueue" => Verb::Enqueue(Enqueue {
            name: proto::text(el).to_owned(),
            action: url_attr(el, "action", "method", base),
            wait: url_attr(el, "waitUrl", "waitUrlMethod", base),
        }),
        "Connect" => {
            stream_verb(el, base, true).map_or(Verb::Other("Connect".into()), Verb::Connect)
        }
        "Start" => {
            stream_verb(el, base, false).map_or(Verb::Other("Start".into()), Verb::StartStream)
        }
        other => Verb::Other(other.to_owned()),
    }
}

/// `<Connect>`/`<Start>` with a `<Stream url>` child (other nouns are not simulated).
fn stream_verb(el: &Element, base: &Url, bidirectional: bool) -> Option<StreamVerb> {
    let stream = el.children.iter().find(|c| c.name == "Stream")?;
    Some(StreamVerb {
        target: crate::streams::StreamTarget {
            url: stream.attr("url")?.to_owned(),
            params: parameters(stream),
            bidirectional,
        },
        name: stream.attr("name").map(str::to_owned),
        status_callback: url_attr(stream, "statusCallback", "statusCallbackMethod", base),
        action: url_attr(el, "action", "method", base),
    })
}

/// The `<Parameter name value/>` children of `el`.
fn parameters(el: &Element) -> Vec<(String, String)> {
    el.children
        .iter()
        .filter(|c| c.name == "Parameter")
        .filter_map(|c| {
            Some((
                c.attr("name")?.to_owned(),
                c.attr("value").unwrap_or("").to_owned(),
            ))
        })
        .collect()
}

fn url_attr(el: &Element, name: &str, method: &str, base: &Url) -> Option<(Url, Method)> {
    let url = base.join(el.attr(name)?).ok()?;
    Some((url, Method::parse(el.attr(method))))
}

fn flag(el: &Element, name: &str) -> bool {
    el.attr(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn client_noun(n: &Element) -> ClientNoun {
    let identity = n
        .children
        .iter()
        .find(|c| c.name == "Identity")
        .map_or_else(|| proto::text(n).to_owned(), |c| proto::text(c).to_owned());
    ClientNoun {
        identity,
        params: parameters(n),
    }
}

fn dial(el: &Element, base: &Url) -> Dial {
    let target = match el.children.first() {
        Some(n) if n.name == "Number" => Target::Number(proto::text(n).to_owned()),
        Some(n) if n.name == "Client" => Target::Clients(
            el.children
                .iter()
                .filter(|c| c.name == "Client")
                .map(client_noun)
                .collect(),
        ),
        Some(n) if n.name == "Queue" => Target::Queue {
            name: proto::text(n).to_owned(),
            url: url_attr(n, "url", "method", base),
        },
        Some(_) => Target::Nothing,
        None if !proto::text(el).is_empty() => Target::Number(proto::text(el).to_owned()),
        None => Target::Nothing,
    };
    Dial {
        action: url_attr(el, "action", "method", base),
        caller_id: el.attr("callerId").map(str::to_owned),
        timeout_s: el
            .attr("timeout")
            .and_then(|t| t.parse().ok())
            .unwrap_or(30),
        hangup_on_star: flag(el, "hangupOnStar"),
        answer_on_bridge: flag(el, "answerOnBridge"),
        time_limit_s: el.attr("timeLimit").and_then(|t| t.parse().ok()),
        target,
    }
}
