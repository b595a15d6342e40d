//! Media Streams: a TLS WebSocket server (self-signed, as piphone's own) receives the sandbox's
//! stream for `<Connect><Stream>` and `<Start><Stream>` calls and checks it against the documented
//! protocol, the upgrade's signature against twilio-python's `RequestValidator`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::helpers::{TestSandbox, events};
use crate::signatures::python;

/// The upgrade request as the server saw it.
#[derive(Debug)]
struct Upgrade {
    path: String,
    signature: String,
    user_agent: String,
    origin: Option<String>,
}

/// One accepted stream: what arrived, and a way to answer or close.
struct Peer {
    upgrade: Upgrade,
    rx: mpsc::UnboundedReceiver<Value>,
    tx: mpsc::UnboundedSender<Option<Value>>,
}

impl Peer {
    async fn recv(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a stream message within 10 s")
            .expect("stream still open")
    }

    /// The next message that is not `media`.
    async fn recv_event(&mut self) -> Value {
        loop {
            let msg = self.recv().await;
            if msg["event"] != "media" {
                return msg;
            }
        }
    }

    fn send(&self, msg: Value) {
        self.tx.send(Some(msg)).unwrap();
    }

    fn close(&self) {
        self.tx.send(None).unwrap();
    }
}

/// A `wss://127.0.0.1:<port>` server with a fresh self-signed certificate; each accepted stream
/// arrives on the returned channel.
async fn stream_server() -> (String, mpsc::UnboundedReceiver<Peer>) {
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

async fn next_peer(peers: &mut mpsc::UnboundedReceiver<Peer>) -> Peer {
    tokio::time::timeout(Duration::from_secs(10), peers.recv())
        .await
        .expect("the sandbox connects within 10 s")
        .unwrap()
}

/// twilio-python's validator accepts `signature` for `url` with no parameters.
fn python_accepts(auth_token: &str, url: &str, signature: &str) -> bool {
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

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} must be a string in {v}"))
}

fn num(v: &Value, key: &str) -> u64 {
    str_field(v, key)
        .parse()
        .unwrap_or_else(|_| panic!("{key} must hold a number in {v}"))
}

fn payload(media: &Value) -> Vec<u8> {
    twilio::streams::decode_payload(str_field(&media["media"], "payload")).unwrap()
}

fn stream_events(call: &Value) -> Vec<Value> {
    events(call, "stream").into_iter().cloned().collect()
}

#[tokio::test]
async fn connect_stream_speaks_the_documented_protocol() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    let url = format!("{base}/media/stream");
    sb.twiml(
        "/voice/incoming",
        &format!(
            r#"<Response><Connect><Stream url="{url}" name="s1"><Parameter name="line" value="2" /><Parameter name="who" value="a &amp; b" /></Stream></Connect><Say>after</Say><Hangup /></Response>"#
        ),
    );
    let sid = sb.call_in("+15551230001").await;
    let mut peer = next_peer(&mut peers).await;

    assert_eq!(peer.upgrade.path, "/media/stream");
    assert_eq!(peer.upgrade.user_agent, "Twilio.TmeWs/1.0");
    assert_eq!(peer.upgrade.origin, None);
    assert!(
        python_accepts(&sb.creds.auth_token, &url, &peer.upgrade.signature),
        "twilio-python refuses the upgrade's signature for {url}"
    );
    assert!(!python_accepts(
        &sb.creds.auth_token,
        &format!("{url}x"),
        &peer.upgrade.signature
    ));

    assert_eq!(
        peer.recv().await,
        json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})
    );
    let start = peer.recv().await;
    let stream_sid = str_field(&start, "streamSid").to_owned();
    assert!(
        stream_sid.starts_with("MZ") && stream_sid.len() == 34,
        "{start}"
    );
    assert_eq!(
        start,
        json!({
            "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
            "start": {
                "accountSid": sb.creds.account_sid, "streamSid": stream_sid, "callSid": sid,
                "tracks": ["inbound"],
                "customParameters": {"line": "2", "who": "a & b"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        })
    );

    // 50 media messages: one counter, chunk from 1, 160 bytes each, about 20 ms apart.
    let first_at = Instant::now();
    let mut last_ts = 0;
    for i in 0..50u64 {
        let m = peer.recv().await;
        let keys: Vec<&String> = m.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["event", "media", "sequenceNumber", "streamSid"],
            "{m}"
        );
        assert_eq!(m["event"], "media");
        assert_eq!(num(&m, "sequenceNumber"), i + 2, "{m}");
        assert_eq!(m["streamSid"], stream_sid.as_str());
        assert_eq!(m["media"]["track"], "inbound");
        assert_eq!(num(&m["media"], "chunk"), i + 1, "{m}");
        let ts = num(&m["media"], "timestamp");
        assert!(ts >= last_ts, "timestamps never go back: {m}");
        last_ts = ts;
        assert_eq!(payload(&m).len(), 160, "{m}");
    }
    let spacing = first_at.elapsed().as_millis() / 49;
    assert!((10..=40).contains(&spacing), "media every {spacing} ms");
    assert!(
        (700..=1500).contains(&last_ts),
        "50 frames span about a second: {last_ts}"
    );

    // Audio back, then a mark: echoed once the 100 ms before it have played.
    let audio = twilio::streams::encode_payload(&[0x55; 800]);
    let sent = Instant::now();
    peer.send(json!({"event": "media", "streamSid": stream_sid, "media": {"payload": audio}}));
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "m1"}}));
    let echo = peer.recv_event().await;
    let waited = sent.elapsed();
    assert_eq!(echo["event"], "mark", "{echo}");
    assert_eq!(echo["mark"], json!({"name": "m1"}));
    assert_eq!(echo["streamSid"], stream_sid.as_str());
    num(&echo, "sequenceNumber");
    assert!(
        waited >= Duration::from_millis(80),
        "m1 echoed after {waited:?}"
    );

    // Ten seconds queued, then clear: the pending mark comes back at once.
    let long = twilio::streams::encode_payload(&vec![0x55; 80_000]);
    peer.send(json!({"event": "media", "streamSid": stream_sid, "media": {"payload": long}}));
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "m2"}}));
    let cleared = Instant::now();
    peer.send(json!({"event": "clear", "streamSid": stream_sid}));
    let echo = peer.recv_event().await;
    assert_eq!(echo["mark"], json!({"name": "m2"}), "{echo}");
    assert!(
        cleared.elapsed() < Duration::from_secs(2),
        "clear returns marks at once"
    );

    // The caller presses 5: a dtmf message.
    let (status, body) = sb
        .control(
            reqwest::Method::POST,
            &format!("/sandbox/calls/{sid}/digits"),
            Some(json!({"digits": "5"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let dtmf = peer.recv_event().await;
    assert_eq!(
        dtmf["dtmf"],
        json!({"track": "inbound_track", "digit": "5"}),
        "{dtmf}"
    );
    num(&dtmf, "sequenceNumber");

    // The server closes: the TwiML after </Connect> runs.
    peer.close();
    let call = sb
        .wait_call(&sid, "the Say after </Connect>", |c| {
            !events(c, "say").is_empty()
        })
        .await;
    let streams = stream_events(&call);
    assert_eq!(streams[0]["status"], "started", "{call:#}");
    assert_eq!(streams[0]["stream_sid"], stream_sid.as_str());
    assert_eq!(streams[0]["name"], "s1");
    assert_eq!(streams[1]["status"], "stopped", "{call:#}");
    assert_eq!(streams[1]["by"], "server");
    assert_eq!(events(&call, "say")[0]["text"], "after");
}

#[tokio::test]
async fn hang_up_sends_stop_and_connect_action_follows_a_closed_stream() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    sb.twiml(
        "/voice/incoming",
        &format!(r#"<Response><Connect action="/voice/after"><Stream url="{base}/a" /></Connect></Response>"#),
    );
    sb.twiml(
        "/voice/after",
        r#"<Response><Connect><Stream url="{base}/b" /></Connect></Response>"#
            .replace("{base}", &base)
            .as_str(),
    );
    let sid = sb.call_in("+15551230002").await;
    let first = next_peer(&mut peers).await;
    assert_eq!(first.upgrade.path, "/a");
    first.close();
    let after = sb.wait_requests("/voice/after", 1).await;
    assert_eq!(after[0].param("CallSid"), Some(sid.as_str()));
    assert!(after[0].valid);
    let mut second = next_peer(&mut peers).await;
    assert_eq!(second.upgrade.path, "/b");
    let stream_sid = str_field(&peer_start(&mut second).await, "streamSid").to_owned();
    sb.hang_up(&sid).await;
    let stop = second.recv_event().await;
    assert_eq!(
        stop,
        json!({"event": "stop", "sequenceNumber": stop["sequenceNumber"], "streamSid": stream_sid,
               "stop": {"accountSid": sb.creds.account_sid, "callSid": sid}})
    );
    num(&stop, "sequenceNumber");
    let call = sb.wait_status(&sid, "completed").await;
    let streams = stream_events(&call);
    assert_eq!(streams.last().unwrap()["by"], "call", "{call:#}");
}

async fn peer_start(peer: &mut Peer) -> Value {
    assert_eq!(peer.recv().await["event"], "connected");
    let start = peer.recv().await;
    assert_eq!(start["event"], "start");
    start
}

#[tokio::test]
async fn start_stream_forks_listen_only_and_twiml_goes_on() {
    let sb = TestSandbox::spawn().await;
    let (base, mut peers) = stream_server().await;
    sb.twiml(
        "/voice/incoming",
        &format!(r#"<Response><Start><Stream url="{base}/fork"><Parameter name="k" value="v" /></Stream></Start><Say>while streaming</Say><Pause length="60" /></Response>"#),
    );
    let sid = sb.call_in("+15551230003").await;
    let mut peer = next_peer(&mut peers).await;
    let start = peer_start(&mut peer).await;
    assert_eq!(start["start"]["customParameters"], json!({"k": "v"}));
    sb.wait_call(&sid, "the Say after <Start>", |c| {
        !events(c, "say").is_empty()
    })
    .await;
    // Listen-only: audio and marks sent back are ignored, digits are not streamed.
    let stream_sid = str_field(&start, "streamSid");
    peer.send(json!({"event": "mark", "streamSid": stream_sid, "mark": {"name": "x"}}));
    sb.control(
        reqwest::Method::POST,
        &format!("/sandbox/calls/{sid}/digits"),
        Some(json!({"digits": "1"})),
    )
    .await;
    sb.hang_up(&sid).await;
    let last = peer.recv_event().await;
    assert_eq!(last["event"], "stop", "no mark echo, no dtmf: {last}");
}

#[tokio::test]
async fn refused_urls_record_the_error_and_twiml_continues() {
    let sb = TestSandbox::spawn().await;
    let (base, _peers) = stream_server().await;
    let http_base = base.replacen("wss://", "ws://", 1);
    for (url, code) in [
        (format!("{http_base}/media"), 31922),
        (format!("{base}/media?line=2"), 31920),
        ("wss://127.0.0.1:9/closed".to_string(), 31920),
    ] {
        sb.twiml(
            "/voice/incoming",
            &format!(
                r#"<Response><Connect><Stream url="{}" /></Connect><Say>after</Say></Response>"#,
                twilio::twiml::escape(&url, true)
            ),
        );
        let sid = sb.call_in("+15551230004").await;
        let call = sb
            .wait_call(&sid, "the Say after </Connect>", |c| {
                !events(c, "say").is_empty()
            })
            .await;
        let streams = stream_events(&call);
        assert_eq!(streams.len(), 1, "{url}: {call:#}");
        assert_eq!(streams[0]["status"], "error", "{url}");
        assert_eq!(streams[0]["code"], code, "{url}: {}", streams[0]);
        assert_eq!(streams[0]["url"], url.as_str());
    }
}
