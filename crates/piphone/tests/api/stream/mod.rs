//! The Media Streams endpoint `/voice/stream` and its hub (`piphone::media::streams`): a simulated caller's
//! tone arriving through the sandbox and the owner's audio heard back (`sandbox.rs`), refusals before any
//! audio is read (`refusals.rs`), and fuzzing with a second stream that keeps flowing (`fuzz.rs`).
//!
//! Raw-socket tests run against a plain-HTTP piphone (the stream URL is then `ws://`) with a hand-made Twilio
//! client: tokio-tungstenite, the upgrade signed as Twilio signs it.

mod fuzz;
mod refusals;
mod sandbox;

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use piphone::media::streams::{OwnerKind, StreamEvent, StreamLink, StreamOwner};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use twilio::signature::{Algorithm, compute_signature};
use twilio::streams::{MediaChunk, MediaFormat, StartInfo, TwilioMessage, encode_payload};

use crate::helpers::{ACCOUNT_SID, AUTH_TOKEN, TestApp};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The stream URL of a plain-HTTP test app, as Twilio would be told it.
pub fn stream_url(app: &TestApp) -> String {
    format!("{}/voice/stream", app.url.replacen("http://", "ws://", 1))
}

/// Twilio's signature for the upgrade: the URL, no parameters.
pub fn sign(url: &str) -> String {
    compute_signature(AUTH_TOKEN, url, &[], Algorithm::HmacSha1)
}

/// Opens the WebSocket with `signature` (none: no header), as Twilio's client does.
pub async fn open(app: &TestApp, signature: Option<&str>) -> Result<Ws, WsError> {
    let mut request = stream_url(app).into_client_request().unwrap();
    if let Some(sig) = signature {
        request
            .headers_mut()
            .insert("X-Twilio-Signature", HeaderValue::from_str(sig).unwrap());
    }
    request
        .headers_mut()
        .insert("User-Agent", HeaderValue::from_static("Twilio.TmeWs/1.0"));
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// A Twilio-like client on one stream: numbers its messages as Twilio does.
pub struct Caller {
    pub ws: Ws,
    pub stream_sid: String,
    seq: u64,
    chunk: u64,
}

impl Caller {
    /// Opens a correctly signed socket and sends `connected` and `start` with these parameters.
    pub async fn start(app: &TestApp, call_sid: &str, params: &[(&str, &str)]) -> Caller {
        let ws = open(app, Some(&sign(&stream_url(app))))
            .await
            .expect("upgrade");
        let mut caller = Caller {
            ws,
            stream_sid: format!("MZ{}", call_sid.trim_start_matches("CA")),
            seq: 0,
            chunk: 0,
        };
        caller
            .send(&TwilioMessage::Connected {
                protocol: "Call".into(),
                version: "1.0.0".into(),
            })
            .await;
        let start = TwilioMessage::Start {
            sequence_number: caller.next_seq(),
            stream_sid: caller.stream_sid.clone(),
            start: StartInfo {
                account_sid: ACCOUNT_SID.into(),
                stream_sid: caller.stream_sid.clone(),
                call_sid: call_sid.into(),
                tracks: vec!["inbound".into()],
                custom_parameters: params
                    .iter()
                    .map(|(k, v)| (k.to_string(), (*v).into()))
                    .collect(),
                media_format: MediaFormat::default(),
            },
        };
        caller.send(&start).await;
        caller
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub async fn send(&mut self, msg: &TwilioMessage) {
        self.raw(serde_json::to_string(msg).unwrap()).await;
    }

    /// Sends any text; a closed socket is ignored (the test looks at the outcome elsewhere).
    pub async fn raw(&mut self, text: String) {
        let _ = self.ws.send(Message::text(text)).await;
    }

    /// One `media` message with these μ-law bytes.
    pub async fn media(&mut self, ulaw: &[u8]) {
        self.chunk += 1;
        let msg = TwilioMessage::Media {
            sequence_number: self.next_seq(),
            stream_sid: self.stream_sid.clone(),
            media: MediaChunk {
                track: "inbound".into(),
                chunk: self.chunk,
                timestamp: self.chunk * 20,
                payload: encode_payload(ulaw),
            },
        };
        self.send(&msg).await;
    }

    /// Whether the server closes the socket within `wait` (a close frame, the end, or an error).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

/// Expects `call_sid` for `owner` and returns the `start` parameters that pass.
pub fn routed(app: &TestApp, call_sid: &str, owner: &StreamOwner) -> Vec<(String, String)> {
    let ticket = app.state.streams.expect(call_sid, owner.clone());
    vec![
        ("secret".into(), ticket.secret.clone()),
        ("owner".into(), owner.parameter()),
    ]
}

pub fn as_refs(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The next stream handed to `owner`'s receiver, within 10 s.
pub async fn arrival(rx: &mut tokio::sync::mpsc::Receiver<StreamLink>) -> StreamLink {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a stream arrived within 10 s")
        .expect("hub open")
}

/// Collects the samples of the next `frames` Media events (other events skipped), within 10 s.
pub async fn audio(link: &mut StreamLink, frames: usize) -> Vec<i16> {
    let mut samples = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while samples.len() < frames * 160 {
            match link.events.recv().await {
                Some(StreamEvent::Media { frame, .. }) => samples.extend_from_slice(&frame.0),
                Some(_) => {}
                None => panic!("the stream ended after {} samples", samples.len()),
            }
        }
    })
    .await
    .expect("audio within 10 s");
    samples
}

pub fn line_owner(app: &TestApp) -> tokio::sync::mpsc::Receiver<StreamLink> {
    app.state.streams.subscribe(OwnerKind::Line)
}
