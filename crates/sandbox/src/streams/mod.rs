//! The Media Streams client, as Twilio behaves for `<Connect><Stream>` (bidirectional) and
//! `<Start><Stream>` (listen-only fork): it opens a WebSocket to the stream's `wss://` URL and
//! speaks the protocol of [`twilio::streams`].
//!
//! - The URL must be `wss://` (error 31922 otherwise) without a query string (31920); a TLS
//!   failure is 31910, no `101` answer 31920, no answer within 10 s 31901.
//! - The upgrade carries `X-Twilio-Signature` over the URL exactly as given with no parameters
//!   (the *unconfirmed* rule of the facts file), HMAC-SHA1 with the account's auth token, and
//!   `User-Agent: Twilio.TmeWs/1.0`; no `Origin`.
//! - Frames: `connected`, `start` (with the `<Parameter>`s as `customParameters`), a `media`
//!   for every [`StreamSession::send_said`] (160 bytes of μ-law, `chunk` from 1, `timestamp` in
//!   ms since the start), `dtmf` for [`StreamSession::send_dtmf`] (bidirectional only), `mark`
//!   echoes, and `stop` from [`StreamSession::stop`] (or when the session is dropped). One
//!   `sequenceNumber` counter runs across every message.
//! - What the server sends back (bidirectional only) is queued and heard in order, 20 ms per
//!   [`StreamSession::next_heard`]; `mark` is echoed once the audio queued before it has played,
//!   `clear` empties the queue and echoes every pending mark.
//!
//! The caller paces the stream: it calls `send_said` and `next_heard` every 20 ms.

mod playback;
mod task;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use audio::Frame;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use twilio::signature::{Algorithm, compute_signature};
use twilio::streams::USER_AGENT;

use crate::ids;
use playback::Playback;

/// How long the WebSocket handshake may take (31901 after).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a stream could not start, with Twilio's error code.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// 31922: the URL is not `wss://`.
    #[error("stream URL must be wss://: {0}")]
    NotWss(String),
    /// 31920: the URL has a query string (pass values as `<Parameter>` instead).
    #[error("stream URL must not have a query string: {0}")]
    QueryString(String),
    /// 31910: the TLS handshake failed.
    #[error("TLS handshake with the stream server failed: {0}")]
    Tls(String),
    /// 31920: the server did not upgrade the connection (or could not be reached).
    #[error("stream WebSocket handshake failed: {0}")]
    Handshake(String),
    /// 31901: no answer in time.
    #[error("stream WebSocket handshake timed out")]
    Timeout,
}

impl StreamError {
    /// Twilio's error code for this failure.
    pub fn code(&self) -> u32 {
        match self {
            StreamError::NotWss(_) => 31922,
            StreamError::QueryString(_) | StreamError::Handshake(_) => 31920,
            StreamError::Tls(_) => 31910,
            StreamError::Timeout => 31901,
        }
    }
}

/// How the stream ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEnd {
    /// The call side stopped it ([`StreamSession::stop`], or the session was dropped).
    Stopped,
    /// The server closed the WebSocket.
    ServerClosed,
    /// The socket failed.
    Failed(String),
}

/// What the stream client needs from the account: the auth token that signs the upgrade, and
/// whether to accept a self-signed certificate (as the webhook client does for piphone on loopback).
#[derive(Debug, Clone)]
pub struct StreamClient {
    auth_token: String,
    accept_invalid_certs: bool,
}

/// What to stream to, as read from `<Stream>`.
#[derive(Debug, Clone)]
pub struct StreamTarget {
    /// The `url` attribute, as written.
    pub url: String,
    /// `<Parameter name value>`s, in order.
    pub params: Vec<(String, String)>,
    /// `<Connect>` (audio and marks come back, `dtmf` is sent) rather than `<Start>`.
    pub bidirectional: bool,
}

/// Commands from the session's owner to its socket task.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "Said is nearly every command: boxing it would allocate 50 times a second"
)]
enum Command {
    Said(Frame),
    Dtmf(char),
    Marks(Vec<String>),
    Stop,
}

/// One open stream. Dropping it stops the stream (`stop`, then close).
#[derive(Debug)]
pub struct StreamSession {
    stream_sid: String,
    bidirectional: bool,
    commands: mpsc::UnboundedSender<Command>,
    playback: Arc<Mutex<Playback>>,
    ended: watch::Receiver<Option<StreamEnd>>,
}

impl StreamClient {
    /// A client signing with `auth_token`.
    pub fn new(auth_token: &str, accept_invalid_certs: bool) -> StreamClient {
        StreamClient {
            auth_token: auth_token.to_owned(),
            accept_invalid_certs,
        }
    }

    /// `X-Twilio-Signature` for the upgrade to `url`: the URL as given, no parameters.
    pub fn signature(&self, url: &str) -> String {
        compute_signature(&self.auth_token, url, &[], Algorithm::HmacSha1)
    }
}

impl StreamSession {
    /// Opens the WebSocket, sends `connected` and `start`, and returns the running session.
    pub async fn connect(
        target: &StreamTarget,
        call_sid: &str,
        account_sid: &str,
        client: &StreamClient,
    ) -> Result<StreamSession, StreamError> {
        let url = check_url(&target.url)?;
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| StreamError::Handshake(e.to_string()))?;
        let headers = request.headers_mut();
        let signature = HeaderValue::from_str(&client.signature(&target.url))
            .map_err(|e| StreamError::Handshake(e.to_string()))?;
        headers.insert("X-Twilio-Signature", signature);
        headers.insert("User-Agent", HeaderValue::from_static(USER_AGENT));
        let connecting = tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            true,
            tls::connector(client.accept_invalid_certs),
        );
        let (ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| StreamError::Timeout)?
            .map_err(handshake_error)?;
        let stream_sid = ids::sid("MZ");
        let (commands, rx) = mpsc::unbounded_channel();
        let (ended_tx, ended) = watch::channel(None);
        let playback = Arc::new(Mutex::new(Playback::default()));
        let start = task::Start {
            stream_sid: stream_sid.clone(),
            call_sid: call_sid.to_owned(),
            account_sid: account_sid.to_owned(),
            params: target.params.clone(),
            bidirectional: target.bidirectional,
        };
        let socket = task::open(ws, start, playback.clone(), commands.clone(), ended_tx)
            .await
            .map_err(|e| StreamError::Handshake(e.to_string()))?;
        tokio::spawn(socket.run(rx));
        Ok(StreamSession {
            stream_sid,
            bidirectional: target.bidirectional,
            commands,
            playback,
            ended,
        })
    }

    /// The stream's `MZ…`.
    pub fn stream_sid(&self) -> &str {
        &self.stream_sid
    }

    /// Sends 20 ms of what the call's party said as a `media` message.
    pub fn send_said(&self, frame: Frame) {
        let _ = self.commands.send(Command::Said(frame));
    }

    /// The next 20 ms the party hears from the server (silence when nothing is queued, and
    /// always on a listen-only stream); marks that fall due are echoed.
    pub fn next_heard(&self) -> Frame {
        let (frame, due) = self
            .playback
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .next_frame();
        if !due.is_empty() {
            let _ = self.commands.send(Command::Marks(due));
        }
        frame
    }

    /// The party pressed `digit`: a `dtmf` message (bidirectional streams only, as on Twilio).
    pub fn send_dtmf(&self, digit: char) {
        if self.bidirectional {
            let _ = self.commands.send(Command::Dtmf(digit));
        }
    }

    /// Sends `stop` and closes the socket; returns once the stream has ended.
    pub async fn stop(&self) -> StreamEnd {
        let _ = self.commands.send(Command::Stop);
        self.ended().await
    }

    /// Resolves when the stream has ended: the server closed it, the socket failed, or it was stopped.
    pub async fn ended(&self) -> StreamEnd {
        let mut ended = self.ended.clone();
        match ended.wait_for(Option::is_some).await {
            Ok(end) => end.clone().unwrap_or(StreamEnd::Stopped),
            Err(_) => StreamEnd::Stopped,
        }
    }
}

impl Drop for StreamSession {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
    }
}

/// The URL, refused as Twilio refuses it.
fn check_url(raw: &str) -> Result<url::Url, StreamError> {
    let url = url::Url::parse(raw).map_err(|_| StreamError::NotWss(raw.to_owned()))?;
    if url.scheme() != "wss" {
        return Err(StreamError::NotWss(raw.to_owned()));
    }
    if url.query().is_some() {
        return Err(StreamError::QueryString(raw.to_owned()));
    }
    Ok(url)
}

fn handshake_error(e: tokio_tungstenite::tungstenite::Error) -> StreamError {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Tls(e) => StreamError::Tls(e.to_string()),
        Error::Io(e)
            if e.get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            StreamError::Tls(e.to_string())
        }
        other => StreamError::Handshake(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
