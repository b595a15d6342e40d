//! `TestSandbox::spawn()`: sandbox + stub webhook app on one listener, typed helpers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use sandbox::{Credentials, Sandbox, SandboxOptions, Timing};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use twilio::signature::RequestValidator;
use url::Url;

/// Simulated time runs this many times faster than real time in these tests.
pub const SPEED: f64 = 20.0;

/// One webhook request the stub app received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recorded {
    pub url: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub signature: String,
    /// Whether the twilio crate's `RequestValidator` accepted it.
    pub valid: bool,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
pub struct Stub {
    twiml: Mutex<HashMap<String, String>>,
    /// Files served as they are (e.g. WAV files for `<Play>`), by path.
    files: Mutex<HashMap<String, Vec<u8>>>,
    requests: Mutex<Vec<Recorded>>,
    base: Mutex<String>,
    auth_token: String,
}

pub struct TestSandbox {
    pub base: Url,
    pub creds: Credentials,
    pub http: reqwest::Client,
    pub stub: Arc<Stub>,
}

async fn stub_handler(
    State(stub): State<Arc<Stub>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(file) = stub.files.lock().unwrap().get(uri.path()) {
        return ([("content-type", "audio/wav")], file.clone()).into_response();
    }
    let url = format!("{}{}", stub.base.lock().unwrap(), uri);
    let params = twilio::signature::parse_form(&body).unwrap_or_default();
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let valid =
        RequestValidator::new(stub.auth_token.clone()).validate(&url, &params, &signature, None);
    let path = uri.path().to_owned();
    stub.requests.lock().unwrap().push(Recorded {
        url,
        path: path.clone(),
        params,
        signature,
        valid,
    });
    let twiml = stub
        .twiml
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| "<Response><Pause length=\"5\"/></Response>".into());
    ([("content-type", "text/xml")], twiml).into_response()
}

impl TestSandbox {
    /// The sandbox and the stub app on one listener; webhooks go to the stub's own URL.
    pub async fn spawn() -> TestSandbox {
        TestSandbox::spawn_full(None, None, SPEED).await
    }

    /// A sandbox whose simulated time runs `speed` times faster than real time (1.0 for tests that listen).
    pub async fn spawn_at(speed: f64) -> TestSandbox {
        TestSandbox::spawn_full(None, None, speed).await
    }

    /// Webhooks signed for `public` (the stub checks signatures against it) and delivered to `deliver_to`
    /// (by default: the stub, under `public` or its own URL).
    pub async fn spawn_with(public: Option<Url>, deliver_to: Option<Url>) -> TestSandbox {
        TestSandbox::spawn_full(public, deliver_to, SPEED).await
    }

    async fn spawn_full(public: Option<Url>, deliver_to: Option<Url>, speed: f64) -> TestSandbox {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base: Url = format!("http://{}", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let creds = Credentials::generate();
        let stub = Arc::new(Stub {
            auth_token: creds.auth_token.clone(),
            ..Stub::default()
        });
        let webhook_base = public.unwrap_or_else(|| base.clone());
        *stub.base.lock().unwrap() = webhook_base.as_str().trim_end_matches('/').to_owned();
        let opts = SandboxOptions {
            webhook_base,
            deliver_to: deliver_to.unwrap_or_else(|| base.clone()),
            // The Media Streams tests' WebSocket server has a self-signed certificate, as piphone's.
            accept_invalid_certs: true,
            speed,
        };
        let sandbox = Sandbox::with_timing(
            creds.clone(),
            opts,
            Timing {
                speed,
                play_ms: 3000,
            },
        );
        let app = sandbox.router().merge(
            Router::new()
                .fallback(stub_handler)
                .with_state(stub.clone()),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        TestSandbox {
            base,
            creds,
            http: reqwest::Client::new(),
            stub,
        }
    }

    /// The stub app answers requests to `path` with `twiml`.
    pub fn twiml(&self, path: &str, twiml: &str) {
        self.stub
            .twiml
            .lock()
            .unwrap()
            .insert(path.to_owned(), twiml.to_owned());
    }

    /// The stub app serves `bytes` at `path`.
    pub fn file(&self, path: &str, bytes: Vec<u8>) {
        self.stub
            .files
            .lock()
            .unwrap()
            .insert(path.to_owned(), bytes);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.stub.requests.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Waits until the stub received at least `n` requests to `path`.
    pub async fn wait_requests(&self, path: &str, n: usize) -> Vec<Recorded> {
        for _ in 0..500 {
            let got = self.requests_to(path);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "expected {n} requests to {path}; got {:#?}",
            self.requests()
        );
    }

    pub fn url(&self, path: &str) -> String {
        self.base.join(path).unwrap().to_string()
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, self.url(path))
            .basic_auth(&self.creds.account_sid, Some(&self.creds.auth_token));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// `(status, body)` of a REST request as `user:pass`, straight to the sandbox (form body).
    pub async fn rest_as(
        &self,
        (user, pass): (&str, &str),
        method: reqwest::Method,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let path = format!("/2010-04-01/Accounts/{}/{path}", self.creds.account_sid);
        let resp = self
            .http
            .request(method, self.url(&path))
            .basic_auth(user, Some(pass))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn call_in(&self, from: &str) -> String {
        self.call_in_with_voice(from, Value::Null).await
    }

    /// A call-in whose caller speaks with `voice` (`{"tone_hz": 440}`, `{"speech": "…"}`, null: the default).
    pub async fn call_in_with_voice(&self, from: &str, voice: Value) -> String {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                "/sandbox/call-in",
                Some(json!({ "from": from, "count": 1, "voice": voice })),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["calls"][0]["call_sid"].as_str().unwrap().to_owned()
    }

    pub async fn call(&self, sid: &str) -> Value {
        let (status, body) = self
            .control(reqwest::Method::GET, &format!("/sandbox/calls/{sid}"), None)
            .await;
        assert_eq!(status, 200, "call {sid}: {body}");
        body
    }

    pub async fn hang_up(&self, sid: &str) {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                &format!("/sandbox/calls/{sid}/hangup"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn phone(&self, number: &str, behaviour: &str, ring_ms: u64) {
        self.phone_with_voice(number, behaviour, ring_ms, Value::Null)
            .await;
    }

    pub async fn phone_with_voice(
        &self,
        number: &str,
        behaviour: &str,
        ring_ms: u64,
        voice: Value,
    ) {
        let body =
            json!({ "number": number, "behaviour": behaviour, "ring_ms": ring_ms, "voice": voice });
        let (status, body) = self
            .control(reqwest::Method::POST, "/sandbox/phones", Some(body))
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// Polls call `sid` until `pred` holds (10 s), panicking with the call's view otherwise.
    pub async fn wait_call(&self, sid: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..500 {
            last = self.call(sid).await;
            if pred(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("call {sid} never got {what}: {last:#}");
    }

    /// The party of call `sid` presses `digits` (`inband`: plays their tones); the control API's answer.
    pub async fn press(&self, sid: &str, digits: &str, inband: bool) -> (u16, Value) {
        self.control(
            reqwest::Method::POST,
            &format!("/sandbox/calls/{sid}/digits"),
            Some(json!({ "digits": digits, "inband": inband })),
        )
        .await
    }

    /// Waits until call `sid`'s party hears `hz` (± 3 Hz) louder than −30 dBFS in the last second.
    pub async fn wait_hearing(&self, sid: &str, hz: f64) -> Value {
        self.wait_call(sid, &format!("{hz} Hz heard"), |c| {
            let heard = &c["audio"]["heard"];
            heard["dominant_hz"]
                .as_f64()
                .is_some_and(|h| (h - hz).abs() <= 3.0)
                && heard["level_dbfs"].as_f64() > Some(-30.0)
        })
        .await
    }

    /// The last 30 s that call `sid`'s party heard, as the sandbox's WAV file.
    pub async fn heard_wav(&self, sid: &str) -> Vec<u8> {
        let resp = self
            .http
            .get(self.url(&format!("/sandbox/calls/{sid}/heard.wav")))
            .basic_auth(&self.creds.account_sid, Some(&self.creds.auth_token))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "audio/wav");
        resp.bytes().await.unwrap().to_vec()
    }

    pub async fn wait_status(&self, sid: &str, status: &str) -> Value {
        self.wait_call(sid, &format!("status {status}"), |c| c["status"] == status)
            .await
    }

    pub fn token(&self, identity: &str, ttl: u64, now: u64) -> String {
        let key = (
            self.creds.api_key_sid.as_str(),
            self.creds.api_key_secret.as_str(),
        );
        self.token_by(key, &self.creds.app_sid, identity, ttl, now)
    }

    /// A token signed with API key `(sid, secret)` whose outgoing grant names TwiML App `app_sid`.
    pub fn token_by(
        &self,
        (key_sid, key_secret): (&str, &str),
        app_sid: &str,
        identity: &str,
        ttl: u64,
        now: u64,
    ) -> String {
        let grant = twilio::token::VoiceGrant {
            incoming_allow: true,
            outgoing_application_sid: Some(app_sid.to_owned()),
            ..Default::default()
        };
        twilio::token::AccessToken::new(&self.creds.account_sid, key_sid, key_secret, identity)
            .ttl(ttl)
            .voice(grant)
            .to_jwt_at(now)
            .unwrap()
    }

    pub fn valid_token(&self, identity: &str) -> String {
        self.token(identity, 3600, now())
    }

    pub async fn ws(&self) -> Ws {
        let url = format!(
            "ws://{}/signal",
            self.base.host_str().unwrap().to_owned() + ":" + &self.base.port().unwrap().to_string()
        );
        let (stream, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Ws { stream }
    }

    /// A signaling connection that sent `listen` with `token` (the gateway's answer is the next frame).
    pub async fn listening(&self, token: &str) -> Ws {
        let mut ws = self.ws().await;
        ws.send(
            "listen",
            json!({ "token": token, "browserinfo": {}, "reconnectTimeout": 0 }),
        )
        .await;
        ws
    }

    /// A browser that listened with a valid token and registered as `identity`.
    pub async fn registered(&self, identity: &str) -> Ws {
        let mut ws = self.listening(&self.valid_token(identity)).await;
        ws.expect("connected").await;
        ws.send("register", json!({ "media": { "audio": true } }))
            .await;
        ws.expect("ready").await;
        ws
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Events of `kind` in a call view.
pub fn events<'a>(call: &'a Value, kind: &str) -> Vec<&'a Value> {
    call["events"]
        .as_array()
        .map(|e| e.iter().filter(|e| e["kind"] == kind).collect())
        .unwrap_or_default()
}

pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn send(&mut self, kind: &str, payload: Value) {
        let frame = json!({ "type": kind, "version": "1.6", "payload": payload }).to_string();
        self.stream.send(Message::Text(frame.into())).await.unwrap();
    }

    /// The next frame that is not a heartbeat (5 s).
    pub async fn recv(&mut self) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a signaling frame within 5 s")
                .unwrap()
                .unwrap();
            if let Message::Text(t) = msg {
                if t.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["version"], "1.6", "{v}");
                return v;
            }
        }
    }

    /// Places a browser call (`invite` with [`OFFER`] and `params` as the SDK's `twilio.params` string) and waits
    /// for `ringing`; returns the call's CallSid.
    pub async fn invite(&mut self, callsid: &str, params: Option<&str>) -> String {
        self.invite_with(callsid, params, OFFER).await
    }

    /// [`Ws::invite`] with the SDP offer `sdp`.
    pub async fn invite_with(&mut self, callsid: &str, params: Option<&str>, sdp: &str) -> String {
        let twilio = params.map_or_else(|| json!({}), |p| json!({ "params": p }));
        let invite = json!({ "callsid": callsid, "sdp": sdp, "twilio": twilio });
        self.send("invite", invite).await;
        let ringing = self.expect("ringing").await;
        ringing["callsid"].as_str().unwrap().to_owned()
    }

    /// The next frame must be `kind`; returns its payload.
    pub async fn expect(&mut self, kind: &str) -> Value {
        let v = self.recv().await;
        assert_eq!(v["type"], kind, "expected a {kind} frame, got {v}");
        v["payload"].clone()
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// A Chromium-like offer with one audio m-line.
pub const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\na=fingerprint:sha-256 \
00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n\
a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n";
