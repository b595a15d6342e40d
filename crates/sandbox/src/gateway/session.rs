//! One signaling connection: token checks, registration, and the call frames of its browser.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Sandbox;
use crate::engine::{ClientConn, Engine, Party, Signal};
use crate::proto::{self, TOKEN_EXPIRED, TOKEN_INVALID, TokenError, VerifiedToken, frame};
#[cfg(feature = "webrtc")]
use crate::webrtc::{MediaServer, RtcCall};

/// Twilio's gateway sends a heartbeat at least every 15 s; the SDK drops the socket otherwise.
const HEARTBEAT: Duration = Duration::from_secs(10);

struct Session {
    engine: Engine,
    conn_id: u64,
    tx: mpsc::UnboundedSender<String>,
    token: Option<VerifiedToken>,
    /// The media server for this browser's calls (a socket on the local IP it reached us on).
    #[cfg(feature = "webrtc")]
    media: MediaServer,
}

/// Serves one signaling connection; `peer` is the browser's address, if the server recorded it.
pub async fn run(sandbox: Sandbox, peer: Option<IpAddr>, socket: WebSocket) {
    #[cfg(feature = "webrtc")]
    let media = sandbox.media.for_peer(peer);
    #[cfg(not(feature = "webrtc"))]
    let _ = peer;
    let engine = sandbox.engine;
    let (mut sink, mut stream) = socket.split();
    let (tx, mut out) = mpsc::unbounded_channel::<String>();
    let writer = tokio::spawn(async move {
        let mut beat = tokio::time::interval(HEARTBEAT);
        loop {
            let text = tokio::select! {
                m = out.recv() => match m { Some(t) => t, None => break },
                _ = beat.tick() => "\n".to_owned(),
            };
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let conn_id = engine.next_conn_id();
    let mut session = Session {
        engine,
        conn_id,
        tx,
        token: None,
        #[cfg(feature = "webrtc")]
        media,
    };
    loop {
        let expires_in = session.token.as_ref().map(|t| {
            let left = t.exp - time::OffsetDateTime::now_utc().unix_timestamp();
            Duration::from_secs(left.max(0) as u64)
        });
        let msg = tokio::select! {
            msg = stream.next() => msg,
            _ = tokio::time::sleep(expires_in.unwrap_or_default()), if expires_in.is_some() => {
                session.expire();
                continue;
            }
        };
        match msg {
            Some(Ok(Message::Text(text))) => session.handle(text.as_str()).await,
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    session.close();
    writer.abort();
}

impl Session {
    fn send(&self, kind: &str, payload: Value) {
        let _ = self.tx.send(frame(kind, payload));
    }

    fn error(&self, code: u32, message: &str, callsid: Option<&str>) {
        let mut payload = json!({ "error": { "code": code, "message": message } });
        if let Some(sid) = callsid {
            payload["callsid"] = json!(sid);
        }
        self.send("error", payload);
    }

    async fn handle(&mut self, text: &str) {
        let Ok(msg) = serde_json::from_str::<Value>(text.trim()) else {
            return;
        };
        let kind = msg.get("type").and_then(Value::as_str).unwrap_or_default();
        let p = msg.get("payload").cloned().unwrap_or(Value::Null);
        let callsid = |p: &Value| {
            p.get("callsid")
                .and_then(Value::as_str)
                .map(|s| self.engine.resolve_alias(s))
        };
        tracing::debug!(conn = self.conn_id, kind, "sandbox signaling frame");
        if kind != "listen" && self.token.is_none() {
            self.error(
                TOKEN_INVALID,
                "JWT Token Invalid",
                p.get("callsid").and_then(Value::as_str),
            );
            return;
        }
        match kind {
            "listen" => self.listen(p.get("token").and_then(Value::as_str).unwrap_or_default()),
            "register" => self.register(
                p.pointer("/media/audio")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ),
            "invite" => self.invite(&p).await,
            "answer" => {
                if let Some(sid) = callsid(&p) {
                    let sdp = p.get("sdp").and_then(Value::as_str).map(str::to_owned);
                    self.engine.signal(
                        &sid,
                        Signal::Answer {
                            conn_id: self.conn_id,
                            sdp,
                        },
                    );
                }
            }
            "hangup" => {
                if let Some(sid) = callsid(&p) {
                    self.engine.signal(
                        &sid,
                        Signal::Hangup {
                            by: "client".into(),
                        },
                    );
                }
            }
            "reject" => {
                if let Some(sid) = callsid(&p) {
                    self.engine.signal(
                        &sid,
                        Signal::Reject {
                            conn_id: self.conn_id,
                        },
                    );
                }
            }
            "dtmf" => {
                if let (Some(sid), Some(digits)) =
                    (callsid(&p), p.get("dtmf").and_then(Value::as_str))
                {
                    self.engine.signal(
                        &sid,
                        Signal::Digits {
                            digits: digits.to_owned(),
                            inband: false,
                        },
                    );
                }
            }
            other => tracing::debug!(
                conn = self.conn_id,
                kind = other,
                "sandbox: signaling frame ignored"
            ),
        }
    }

    fn listen(&mut self, jwt: &str) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let keys = &self.engine.account;
        match proto::verify_token(jwt, |iss| keys.key_secret(iss), now) {
            Ok(token) if token.account_sid == self.engine.creds.account_sid => {
                self.send(
                    "connected",
                    json!({
                        "region": "us1",
                        "edge": "ashburn",
                        "home": "us1",
                        "gateway": "sandbox",
                        "token": { "identity": token.identity, "ttl": token.exp - now },
                    }),
                );
                self.token = Some(token);
            }
            Ok(_) | Err(TokenError::Invalid) => {
                self.token = None;
                self.error(TOKEN_INVALID, "JWT Token Invalid", None);
            }
            Err(TokenError::Expired) => {
                self.token = None;
                self.error(TOKEN_EXPIRED, "JWT Token Expired", None);
            }
        }
    }

    fn register(&mut self, audio: bool) {
        let Some(token) = &self.token else { return };
        let identity = token.identity.clone();
        let allowed = token.incoming_allowed;
        {
            let mut st = self.engine.state();
            let conns = st.clients.entry(identity.clone()).or_default();
            conns.retain(|c| c.conn_id != self.conn_id);
            if audio && allowed {
                conns.push(ClientConn {
                    conn_id: self.conn_id,
                    tx: self.tx.clone(),
                    #[cfg(feature = "webrtc")]
                    media: self.media.clone(),
                });
            }
        }
        if audio {
            self.send("ready", json!({}));
        } else {
            self.send("offline", json!({}));
        }
    }

    async fn invite(&mut self, p: &Value) {
        let Some(token) = &self.token else { return };
        let temp_id = p
            .get("callsid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let offer = p.get("sdp").and_then(Value::as_str).unwrap_or_default();
        if offer.is_empty() || p.get("reconnect").is_some() {
            self.error(31100, "Generic Malformed Request", Some(&temp_id));
            return;
        }
        let raw = p
            .pointer("/twilio/params")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let custom: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap_or_default();
        let to = custom
            .iter()
            .find(|(k, _)| k == "To")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        #[cfg(feature = "webrtc")]
        let (answer_sdp, rtc_call) = self.answer(offer).await;
        #[cfg(not(feature = "webrtc"))]
        let answer_sdp = crate::sdp::answer(offer);
        let party = Party::Browser {
            conn_id: self.conn_id,
            tx: self.tx.clone(),
            answer_sdp: Some(answer_sdp),
        };
        let identity = token.identity.clone();
        let app_sid = token.app_sid.clone().unwrap_or_default();
        let sid = self
            .engine
            .call_from_client(&identity, &to, &app_sid, custom, party, |sid| {
                self.engine
                    .state()
                    .aliases
                    .insert(temp_id.clone(), sid.to_owned());
                self.send("ringing", json!({ "callsid": sid }));
            });
        let Some(sid) = sid else {
            // Twilio's 21218: the token's outgoing grant names no TwiML App of the account (or one without a
            // Voice URL).
            self.error(21218, "Invalid ApplicationSid", Some(&temp_id));
            return;
        };
        tracing::info!(call_sid = %sid, %identity, "sandbox: outgoing call from browser");
        #[cfg(feature = "webrtc")]
        if let Some(call) = rtc_call {
            self.engine.attach_browser(&sid, call);
        }
    }

    /// The SDP answer to a browser's offer: real media, or the synthetic answer should the offer not fit
    /// (str0m cannot parse or accept it) or the media socket not bind.
    #[cfg(feature = "webrtc")]
    async fn answer(&self, offer: &str) -> (String, Option<RtcCall>) {
        match self.media.answer(offer).await {
            Ok((answer, call)) => (answer, Some(call)),
            Err(e) => {
                tracing::warn!(error = %e, "sandbox: no WebRTC media for this call, answering without");
                (crate::sdp::answer(offer), None)
            }
        }
    }

    /// The token ran out without a new `listen`: Twilio drops the registration and says 31205.
    fn expire(&mut self) {
        self.token = None;
        let mut st = self.engine.state();
        for conns in st.clients.values_mut() {
            conns.retain(|c| c.conn_id != self.conn_id);
        }
        drop(st);
        self.error(TOKEN_EXPIRED, "JWT Token Expired", None);
    }

    fn close(&mut self) {
        let live: Vec<String> = {
            let mut st = self.engine.state();
            for conns in st.clients.values_mut() {
                conns.retain(|c| c.conn_id != self.conn_id);
            }
            st.calls
                .values()
                .filter(|c| c.is_live() && matches!(&c.party, Party::Browser { conn_id, .. } if *conn_id == self.conn_id))
                .map(|c| c.sid.clone())
                .collect()
        };
        for sid in live {
            self.engine.signal(
                &sid,
                Signal::Hangup {
                    by: "transport".into(),
                },
            );
        }
    }
}
