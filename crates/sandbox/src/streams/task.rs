//! The task that owns one stream's WebSocket: it numbers and writes the outgoing messages and
//! reads what the server sends back into the playback queue.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use twilio::streams::{
    Dtmf, Mark, MediaChunk, MediaFormat, ServerMessage, StartInfo, StopInfo, TwilioMessage,
    decode_payload, encode_payload,
};

use super::{Command, Playback, StreamEnd};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the `start` message says.
pub struct Start {
    pub stream_sid: String,
    pub call_sid: String,
    pub account_sid: String,
    pub params: Vec<(String, String)>,
    pub bidirectional: bool,
}

pub struct Socket {
    ws: Ws,
    start: Start,
    /// The last `sequenceNumber` used (`start` is 1).
    sequence: u64,
    /// The last `chunk` sent (the first `media` is 1).
    chunk: u64,
    started: Instant,
    playback: Arc<Mutex<Playback>>,
    /// For mark echoes that fall due at once (the session's own sender: marks go out in order).
    commands: mpsc::UnboundedSender<Command>,
    ended: watch::Sender<Option<StreamEnd>>,
}

/// Sends `connected` and `start` on a fresh socket.
pub async fn open(
    ws: Ws,
    start: Start,
    playback: Arc<Mutex<Playback>>,
    commands: mpsc::UnboundedSender<Command>,
    ended: watch::Sender<Option<StreamEnd>>,
) -> Result<Socket, WsError> {
    let mut socket = Socket {
        ws,
        start,
        sequence: 0,
        chunk: 0,
        started: Instant::now(),
        playback,
        commands,
        ended,
    };
    socket
        .send(TwilioMessage::Connected {
            protocol: "Call".into(),
            version: "1.0.0".into(),
        })
        .await?;
    let start = TwilioMessage::Start {
        sequence_number: socket.next_sequence(),
        stream_sid: socket.start.stream_sid.clone(),
        start: StartInfo {
            account_sid: socket.start.account_sid.clone(),
            stream_sid: socket.start.stream_sid.clone(),
            call_sid: socket.start.call_sid.clone(),
            tracks: vec!["inbound".into()],
            custom_parameters: socket
                .start
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect(),
            media_format: MediaFormat::default(),
        },
    };
    socket.send(start).await?;
    socket.started = Instant::now();
    Ok(socket)
}

impl Socket {
    fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    async fn send(&mut self, msg: TwilioMessage) -> Result<(), WsError> {
        let text = serde_json::to_string(&msg).expect("stream messages serialise");
        self.ws.send(Message::text(text)).await
    }

    /// Runs until the stream ends, then records how.
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let end = loop {
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    Some(Command::Stop) | None => break self.stop().await,
                    Some(cmd) => {
                        if let Err(e) = self.command(cmd).await {
                            break StreamEnd::Failed(e.to_string());
                        }
                    }
                },
                msg = self.ws.next() => match msg {
                    Some(Ok(Message::Text(text))) => self.server_message(&text),
                    Some(Ok(Message::Close(_))) | None => break StreamEnd::ServerClosed,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => break StreamEnd::Failed(e.to_string()),
                },
            }
        };
        let _ = self.ended.send(Some(end));
    }

    async fn command(&mut self, cmd: Command) -> Result<(), WsError> {
        let stream_sid = self.start.stream_sid.clone();
        match cmd {
            Command::Said(frame) => {
                self.chunk += 1;
                let msg = TwilioMessage::Media {
                    sequence_number: self.next_sequence(),
                    stream_sid,
                    media: MediaChunk {
                        track: "inbound".into(),
                        chunk: self.chunk,
                        timestamp: self.started.elapsed().as_millis() as u64,
                        payload: encode_payload(&frame.to_ulaw()),
                    },
                };
                self.send(msg).await
            }
            Command::Dtmf(digit) => {
                let msg = TwilioMessage::Dtmf {
                    sequence_number: self.next_sequence(),
                    stream_sid,
                    dtmf: Dtmf {
                        track: "inbound_track".into(),
                        digit: digit.to_string(),
                    },
                };
                self.send(msg).await
            }
            Command::Marks(names) => {
                for name in names {
                    let msg = TwilioMessage::Mark {
                        sequence_number: self.next_sequence(),
                        stream_sid: stream_sid.clone(),
                        mark: Mark { name },
                    };
                    self.send(msg).await?;
                }
                Ok(())
            }
            Command::Stop => Ok(()),
        }
    }

    /// `stop`, then a close frame.
    async fn stop(&mut self) -> StreamEnd {
        let msg = TwilioMessage::Stop {
            sequence_number: self.next_sequence(),
            stream_sid: self.start.stream_sid.clone(),
            stop: StopInfo {
                account_sid: self.start.account_sid.clone(),
                call_sid: self.start.call_sid.clone(),
            },
        };
        let _ = self.send(msg).await;
        let _ = self.ws.close(None).await;
        StreamEnd::Stopped
    }

    /// A frame from the server: audio queued, marks and clears applied; anything else ignored
    /// (Twilio refuses it with 31951), as is everything on a listen-only stream.
    fn server_message(&mut self, text: &str) {
        if !self.start.bidirectional {
            return;
        }
        let msg = match serde_json::from_str::<ServerMessage>(text) {
            Ok(msg) => msg,
            Err(e) => {
                tracing::debug!(stream_sid = %self.start.stream_sid, %e, "sandbox stream: message ignored");
                return;
            }
        };
        let mut playback = self.playback.lock().unwrap_or_else(|p| p.into_inner());
        let due = match msg {
            ServerMessage::Media { media, .. } => {
                if let Ok(bytes) = decode_payload(&media.payload) {
                    playback.push(&bytes);
                }
                vec![]
            }
            ServerMessage::Mark { mark, .. } => playback.mark(mark.name).into_iter().collect(),
            ServerMessage::Clear { .. } => playback.clear(),
        };
        if !due.is_empty() {
            let _ = self.commands.send(Command::Marks(due));
        }
    }
}
