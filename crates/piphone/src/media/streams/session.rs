//! One stream's socket, from the first message to the close: read up to `start`, let the hub admit it, hand the
//! owner its [`StreamLink`], then pump both ways.
//!
//! Bounds: the owner's event channel holds [`EVENTS_QUEUE`] events and this task at most [`PENDING_MAX`] more
//! (past that the oldest audio is dropped, so a stalled owner costs a fixed amount of memory and, when it
//! resumes, hears recent audio); a message is at most [`MAX_MESSAGE`] bytes (set on the upgrade); bad messages
//! (broken JSON, bad base64, a payload that is not 20 ms, unknown events, a second `start`, binary frames) are
//! dropped and counted, and past [`GARBAGE_LIMIT`] the socket is closed.

use std::collections::VecDeque;
use std::time::Duration;

use audio::{FRAME_SAMPLES, Frame};
use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::sync::mpsc;
use twilio::streams::{
    Mark, Payload, ServerMessage, StartInfo, TwilioMessage, decode_payload, encode_payload,
};

use super::{StreamEvent, StreamHub, StreamLink, StreamOut};

/// Events the owner's receiver holds at most (one second of audio).
pub const EVENTS_QUEUE: usize = 50;
/// Events this task keeps beyond a full receiver before dropping the oldest audio.
pub const PENDING_MAX: usize = 50;
/// Frames (and marks) the owner may queue for the call before `send` waits.
pub const OUT_QUEUE: usize = 50;
/// Largest WebSocket message accepted (Twilio's `media` is about 400 bytes).
pub const MAX_MESSAGE: usize = 16 * 1024;
/// Bad messages tolerated on one stream before it is closed.
pub const GARBAGE_LIMIT: u32 = 100;
/// Messages other than `connected` tolerated before `start`.
const BEFORE_START_LIMIT: u32 = 8;
/// How long Twilio has to send `start`.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a message to Twilio may wait for room in the socket before the stream counts as broken.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// How long the last events (the `Stop`) may wait for a slow owner.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(1);

type Sink = SplitSink<WebSocket, Message>;
type Source = SplitStream<WebSocket>;

pub(super) async fn run(hub: StreamHub, socket: WebSocket) {
    let (mut sink, mut source) = socket.split();
    let Ok(Some((stream_sid, start))) =
        tokio::time::timeout(START_TIMEOUT, read_start(&mut source)).await
    else {
        tracing::warn!("media stream closed: no valid start");
        close(&mut sink).await;
        return;
    };
    let call_sid = start.call_sid.clone();
    let param = |name: &str| start.custom_parameters.get(name).and_then(|v| v.as_str());
    let (owner, id, end) = match hub.admit(&call_sid, param("secret"), param("owner")) {
        Ok(admitted) => admitted,
        Err(reason) => {
            tracing::warn!(%call_sid, %reason, "media stream refused");
            close(&mut sink).await;
            return;
        }
    };
    let (events_tx, events) = mpsc::channel(EVENTS_QUEUE);
    let (audio_out, out_rx) = mpsc::channel(OUT_QUEUE);
    let link = StreamLink {
        call_sid: call_sid.clone(),
        stream_sid: stream_sid.clone(),
        owner: owner.clone(),
        events,
        audio_out,
    };
    if !hub.deliver(link) {
        tracing::warn!(%call_sid, ?owner, "media stream closed: its owner is not taking streams");
        hub.ended(&call_sid, id);
        close(&mut sink).await;
        return;
    }
    tracing::info!(%call_sid, %stream_sid, ?owner, "media stream connected");
    let mut pump = Pump {
        stream_sid,
        events: events_tx,
        pending: VecDeque::new(),
        garbage: 0,
        dropped: 0,
    };
    let end = pump.run(&mut sink, &mut source, out_rx, end).await;
    tracing::info!(%call_sid, ?end, dropped = pump.dropped, garbage = pump.garbage, "media stream ended");
    hub.ended(&call_sid, id);
    if let Some(unexpected) = end.stop() {
        pump.push(StreamEvent::Stop { unexpected });
    }
    pump.flush().await;
    close(&mut sink).await;
}

/// Closes the socket, giving up on a peer that does not take the close frame within [`SEND_TIMEOUT`].
async fn close(sink: &mut Sink) {
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
}

/// Reads `connected` and `start`; `None` when the socket ends or sends anything else too often first.
async fn read_start(source: &mut Source) -> Option<(String, StartInfo)> {
    let mut strays = 0;
    while let Some(Ok(msg)) = source.next().await {
        let parsed = match &msg {
            Message::Text(text) => serde_json::from_str::<TwilioMessage>(text).ok(),
            Message::Close(_) => return None,
            _ => None,
        };
        match parsed {
            Some(TwilioMessage::Start {
                stream_sid, start, ..
            }) => return Some((stream_sid, start)),
            Some(TwilioMessage::Connected { .. }) => {}
            _ => {
                strays += 1;
                if strays > BEFORE_START_LIMIT {
                    return None;
                }
            }
        }
    }
    None
}

/// How the pump stopped.
#[derive(Debug)]
enum End {
    /// Twilio sent `stop`.
    Stopped,
    /// The socket closed or failed without `stop`.
    Dropped,
    /// Too many bad messages: closed by us.
    Garbage,
    /// piphone forgot the call.
    Forgotten,
    /// The owner dropped its link.
    OwnerGone,
}

impl End {
    /// The `Stop` to tell the owner, if it still listens: `Some(unexpected)`.
    fn stop(&self) -> Option<bool> {
        match self {
            End::Stopped | End::Forgotten => Some(false),
            End::Dropped | End::Garbage => Some(true),
            End::OwnerGone => None,
        }
    }
}

struct Pump {
    stream_sid: String,
    events: mpsc::Sender<StreamEvent>,
    /// Events waiting for room in the owner's channel.
    pending: VecDeque<StreamEvent>,
    garbage: u32,
    /// Events (nearly always frames) dropped because the owner fell behind.
    dropped: u64,
}

impl Pump {
    async fn run(
        &mut self,
        sink: &mut Sink,
        source: &mut Source,
        mut out: mpsc::Receiver<StreamOut>,
        mut end: tokio::sync::oneshot::Receiver<()>,
    ) -> End {
        let events = self.events.clone();
        loop {
            tokio::select! {
                _ = &mut end => return End::Forgotten,
                () = events.closed() => return End::OwnerGone,
                permit = events.reserve(), if !self.pending.is_empty() => match permit {
                    Ok(permit) => permit.send(self.pending.pop_front().expect("not empty")),
                    Err(_) => return End::OwnerGone,
                },
                next = out.recv() => match next {
                    Some(next) => {
                        let sent = tokio::time::timeout(SEND_TIMEOUT, sink.send(self.server_message(next))).await;
                        if !matches!(sent, Ok(Ok(()))) {
                            return End::Dropped;
                        }
                    }
                    None => return End::OwnerGone,
                },
                msg = source.next() => match msg {
                    Some(Ok(Message::Text(text))) => {
                        if let Some(end) = self.twilio_message(&text) {
                            return end;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        if self.bad() {
                            return End::Garbage;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return End::Dropped,
                },
            }
        }
    }

    /// Counts a bad message; true once past the limit.
    fn bad(&mut self) -> bool {
        self.garbage += 1;
        self.garbage > GARBAGE_LIMIT
    }

    /// Handles one text message; `Some` when the stream is over.
    fn twilio_message(&mut self, text: &str) -> Option<End> {
        let event = match serde_json::from_str::<TwilioMessage>(text) {
            Ok(TwilioMessage::Media {
                stream_sid, media, ..
            }) if stream_sid == self.stream_sid => decode_payload(&media.payload)
                .ok()
                .filter(|ulaw| ulaw.len() == FRAME_SAMPLES)
                .map(|ulaw| StreamEvent::Media {
                    seq: media.chunk,
                    frame: Frame::from_ulaw(&ulaw),
                }),
            Ok(TwilioMessage::Dtmf {
                stream_sid, dtmf, ..
            }) if stream_sid == self.stream_sid => {
                let mut chars = dtmf.digit.chars();
                match (chars.next(), chars.next()) {
                    (Some(d), None) if "0123456789*#ABCD".contains(d) => Some(StreamEvent::Dtmf(d)),
                    _ => None,
                }
            }
            Ok(TwilioMessage::Mark {
                stream_sid, mark, ..
            }) if stream_sid == self.stream_sid => Some(StreamEvent::Mark(mark.name)),
            Ok(TwilioMessage::Stop { .. }) => return Some(End::Stopped),
            _ => None,
        };
        match event {
            Some(event) => self.push(event),
            None if self.bad() => return Some(End::Garbage),
            None => {}
        }
        None
    }

    /// Queues an event for the owner: straight into its channel when there is room, else behind the others;
    /// past [`PENDING_MAX`] the oldest audio (or, with none, the oldest event) goes.
    fn push(&mut self, event: StreamEvent) {
        if self.pending.is_empty() {
            match self.events.try_send(event) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Closed(_)) => return,
                Err(mpsc::error::TrySendError::Full(event)) => self.pending.push_back(event),
            }
        } else {
            self.pending.push_back(event);
        }
        if self.pending.len() > PENDING_MAX {
            let oldest_audio = self
                .pending
                .iter()
                .position(|e| matches!(e, StreamEvent::Media { .. }))
                .unwrap_or(0);
            self.pending.remove(oldest_audio);
            self.dropped += 1;
        }
    }

    /// Delivers what is left (the `Stop` last), waiting at most [`FLUSH_TIMEOUT`] for a slow owner.
    async fn flush(&mut self) {
        let events = self.events.clone();
        let pending = std::mem::take(&mut self.pending);
        let _ = tokio::time::timeout(FLUSH_TIMEOUT, async move {
            for event in pending {
                if events.send(event).await.is_err() {
                    return;
                }
            }
        })
        .await;
    }

    fn server_message(&self, out: StreamOut) -> Message {
        let stream_sid = self.stream_sid.clone();
        let msg = match out {
            StreamOut::Frame(frame) => ServerMessage::Media {
                stream_sid,
                media: Payload {
                    payload: encode_payload(&frame.to_ulaw()),
                },
            },
            StreamOut::Mark(name) => ServerMessage::Mark {
                stream_sid,
                mark: Mark { name },
            },
            StreamOut::Clear => ServerMessage::Clear { stream_sid },
        };
        Message::text(serde_json::to_string(&msg).expect("stream messages serialise"))
    }
}

#[cfg(test)]
mod tests;
