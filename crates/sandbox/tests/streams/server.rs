//! The WebSocket server the Media Streams tests stream to: TLS with a fresh self-signed
//! certificate (as piphone's own), every upgrade and message handed to the test.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::helpers::events;
use crate::signatures::python;

/// The upgrade request as the server saw it.
#[derive(Debug)]
pub struct Upgrade {
    pub path: String,
    pub signature: String,
    pub user_agent: String,
    pub origin: Option<String>,
}

/// One accepted stream: what arrived, and a way to answer or close.
pub struct Peer {
    pub upgrade: Upgrade,
    rx: mpsc::UnboundedReceiver<Value>,
    tx: mpsc::UnboundedSender<Option<Value>>,
}

impl Peer {
    pub async fn recv(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a stream message within 10 s")
            .expect("stream still open")
    }

    /// The next message that is not `media`.
    pub async fn recv_event(&mut self) -> Value {
        loop {
            let msg = self.recv().await;
            if msg["event"] != "media" {
                return msg;
            }
        }
    }

    pub fn send(&self, msg: Value) {
        self.tx.send(Some(msg)).unwrap();
    }

    pub fn close(&self) {
        self.tx.send(None).unwrap();
    }
}

/// A `wss://127.0.0.1:<port>` server with a fresh self-signed certificate; each accepted stream
/// arrives on the returned channel.
pub async fn stream_server() -> (String, mpsc::UnboundedReceiver<Peer>) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("wss://{}", listener.local_addr().unwrap());
    let (peers, peers_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, peers) = (acceptor.clone(), peers.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let (up_tx, up_rx) = oneshot::channel();
                #[expect(
                    clippy::result_large_err,
                    reason = "tungstenite's handshake callback type"
                )]
                let callback = |req: &Request, resp: Response| {
                    let header = |n: &str| {
                        req.headers()
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let _ = up_tx.send(Upgrade {
                        path: req.uri().to_string(),
                        signature: header("x-twilio-signature").unwrap_or_default(),
                        user_agent: header("user-agent").unwrap_or_default(),
                        origin: header("origin"),
                    });
                    Ok(resp)
                };
                let Ok(ws) = tokio_tungstenite::accept_hdr_async(tls, callback).await else {
                    return;
                };
                let (mut sink, mut stream) = ws.split();
                let (in_tx, rx) = mpsc::unbounded_channel();
                let (tx, mut out_rx) = mpsc::unbounded_channel::<Option<Value>>();
                let upgrade = up_rx.await.unwrap();
                let _ = peers.send(Peer { upgrade, rx, tx });
                loop {
                    tokio::select! {
                        out = out_rx.recv() => match out {
                            Some(Some(msg)) => {
                                let _ = sink.send(Message::text(msg.to_string())).await;
                            }
                            _ => {
                                let _ = sink.close().await;
                                return;
                            }
                        },
                        msg = stream.next() => match msg {
                            Some(Ok(Message::Text(text))) => {
                                let _ = in_tx.send(serde_json::from_str(&text).unwrap());
                            }
                            Some(Ok(_)) => {}
                            _ => return,
                        },
                    }
                }
            });
        }
    });
    (base, peers_rx)
}

pub async fn next_peer(peers: &mut mpsc::UnboundedReceiver<Peer>) -> Peer {
    tokio::time::timeout(Duration::from_secs(10), peers.recv())
        .await
        .expect("the sandbox connects within 10 s")
        .unwrap()
}

/// twilio-python's validator accepts `signature` for `url` with no parameters.
pub fn python_accepts(auth_token: &str, url: &str, signature: &str) -> bool {
    let out = std::process::Command::new(python())
        .args([
            "-c",
            "import sys\nfrom twilio.request_validator import RequestValidator\n\
             print(RequestValidator(sys.argv[1]).validate(sys.argv[2], {}, sys.argv[3]))",
            auth_token,
            url,
            signature,
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim() == "True"
}

pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} must be a string in {v}"))
}

pub fn num(v: &Value, key: &str) -> u64 {
    str_field(v, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} must hold a number in {v}"))
}

pub fn payload(media: &Value) -> Vec<u8> {
    twilio::streams::decode_payload(str_field(&media["media"], "payload")).unwrap()
}

pub fn stream_events(call: &Value) -> Vec<Value> {
    events(call, "stream").into_iter().cloned().collect()
}

pub async fn peer_start(peer: &mut Peer) -> Value {
    assert_eq!(peer.recv().await["event"], "connected");
    let start = peer.recv().await;
    assert_eq!(start["event"], "start");
    start
}
