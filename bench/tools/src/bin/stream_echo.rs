//! Round trips of a tone through the sandbox (Media Streams → an echoing phone → Media Streams), and the
//! sandbox's CPU while it carries the calls.
//!
//! Serves Media Streams over `wss://` on 127.0.0.1 with a self-signed certificate (the sandbox accepts it when it
//! was started with an `https` `--deliver-to`), asks the sandbox by REST (`POST Calls.json`, `--account` and
//! `--auth-token`) for `--calls` calls to `--to` (a phone whose voice is `{"echo": true}`) running
//! `<Connect><Stream url="wss://127.0.0.1:PORT/"/>`, and sends every stream tone bursts at −12 dBFS
//! (`--burst-ms` every `--period-ms`; 700, 1000, 1300, 1600 Hz in turn, so that an echo is paired with its own burst
//! even when the round trip is longer than a period) as `media`, one 20 ms frame per 20 ms.
//!
//! An onset is the first sample above a quarter of the burst's peak after half a period of quiet; it is found the
//! same way in what is sent and in what comes back. The round trip of a burst is (the instant the frame with the
//! echoed onset arrived + the onset's offset in it) − (the instant the frame with the sent onset was handed to the
//! socket + its offset): one-sample (125 µs) resolution on top of the clocks. Once every stream has started and
//! `--warmup-secs` passed, it measures for `--seconds`: the round trips and, with `--pid`, that process's
//! user + system CPU time (`/proc/PID/stat`). `--calls 0` measures the process idle. Prints one line
//! `RESULT {json}`, then closes the streams.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use audio::Frame;
use audio::tone::{Sine, amplitude};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::{SinkExt as _, StreamExt as _};
use piphone_bench_tools::form_encode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_tungstenite::tungstenite::Message;

const FRAME: Duration = Duration::from_millis(20);
const SAMPLE: Duration = Duration::from_micros(125);
/// Burst n is tone n mod 4: an echo is paired with the latest sent burst of its tone, so a round trip of up to
/// four periods cannot be mistaken for a shorter one.
const TONES_HZ: [f64; 4] = [700.0, 1000.0, 1300.0, 1600.0];
const TONE_DBFS: f64 = -12.0;

struct Opts {
    sandbox: SocketAddr,
    account: String,
    auth_token: String,
    to: String,
    calls: usize,
    burst_frames: u64,
    period_frames: u64,
    warmup: Duration,
    seconds: f64,
    pid: Option<u32>,
}

fn die(msg: &str) -> ! {
    eprintln!("stream-echo: {msg}");
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut given: HashMap<String, String> = HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(key) = args.next() {
        let Some(name) = key.strip_prefix("--") else {
            die(&format!("unexpected argument {key}"))
        };
        let value = args
            .next()
            .unwrap_or_else(|| die(&format!("{key} needs a value")));
        given.insert(name.to_owned(), value);
    }
    let text = |k: &str| {
        given
            .get(k)
            .cloned()
            .unwrap_or_else(|| die(&format!("--{k} is required")))
    };
    let number = |k: &str, default: f64| {
        given.get(k).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| die(&format!("--{k} takes a number")))
        })
    };
    let frames = |k: &str, default: f64| ((number(k, default) / 20.0).round() as u64).max(1);
    let opts = Opts {
        sandbox: text("sandbox")
            .parse()
            .unwrap_or_else(|_| die("--sandbox takes host:port")),
        account: text("account"),
        auth_token: text("auth-token"),
        to: given.get("to").cloned().unwrap_or_default(),
        calls: number("calls", 1.0) as usize,
        burst_frames: frames("burst-ms", 100.0),
        period_frames: frames("period-ms", 500.0),
        warmup: Duration::from_secs_f64(number("warmup-secs", 2.0)),
        seconds: number("seconds", 20.0),
        pid: given
            .get("pid")
            .map(|v| v.parse().unwrap_or_else(|_| die("--pid"))),
    };
    if opts.calls > 0 && opts.to.is_empty() {
        die("--to is required with calls");
    }
    if opts.burst_frames * 2 > opts.period_frames || opts.burst_frames < 2 {
        die("--burst-ms must be 40 or more and at most half of --period-ms");
    }
    opts
}

/// Finds burst onsets sample by sample: the first sample above a quarter of the burst's peak after `quiet`
/// samples below it.
struct Onsets {
    threshold: i32,
    quiet_needed: usize,
    quiet: usize,
}

impl Onsets {
    fn new(quiet_needed: usize) -> Onsets {
        Onsets {
            threshold: (amplitude(TONE_DBFS) / 4.0) as i32,
            quiet_needed,
            quiet: 0,
        }
    }

    /// The offset of an onset in `frame`, if it has one.
    fn push(&mut self, frame: &Frame) -> Option<usize> {
        let mut found = None;
        for (i, &s) in frame.0.iter().enumerate() {
            if i32::from(s).abs() > self.threshold {
                if self.quiet >= self.quiet_needed && found.is_none() {
                    found = Some(i);
                }
                self.quiet = 0;
            } else {
                self.quiet += 1;
            }
        }
        found
    }
}

/// What every stream adds to while the window is open.
#[derive(Default)]
struct Tally {
    started: AtomicUsize,
    measuring: AtomicBool,
    /// (stream number, round trip in ms).
    round_trips_ms: Mutex<Vec<(usize, f64)>>,
    bursts_sent: AtomicUsize,
    streams_ended: AtomicUsize,
}

struct Shared {
    opts: Opts,
    tally: Tally,
    stop: watch::Receiver<bool>,
}

/// One stream: waits for `start`, then sends bursts and times their echoes until told to stop.
async fn serve_stream(shared: Arc<Shared>, tcp: TcpStream, tls: TlsAcceptor) -> Result<(), String> {
    let tls = tls.accept(tcp).await.map_err(|e| e.to_string())?;
    let ws = tokio_tungstenite::accept_async(tls)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sink, mut stream) = ws.split();
    let stream_sid = loop {
        let msg = stream.next().await.ok_or("closed before start")?;
        let msg = msg.map_err(|e| e.to_string())?;
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if v["event"] == "start" {
            break v["start"]["streamSid"]
                .as_str()
                .ok_or("start without streamSid")?
                .to_owned();
        }
    };
    let number = shared.tally.started.fetch_add(1, Ordering::SeqCst);
    // (onset instant, tone) of the latest bursts sent.
    let sent: Arc<Mutex<VecDeque<(Instant, usize)>>> = Arc::default();
    let period = FRAME * shared.opts.period_frames as u32;
    let (tx_shared, tx_sent) = (shared.clone(), sent.clone());
    let mut stop = shared.stop.clone();
    let sender = async move {
        let opts = &tx_shared.opts;
        let mut tick = tokio::time::interval(FRAME);
        let mut onsets = Onsets::new((opts.period_frames as usize) * 80);
        let mut tone = Sine::new(TONES_HZ[0], TONE_DBFS);
        for k in 0u64.. {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            let which = (k / opts.period_frames) as usize % TONES_HZ.len();
            let frame = match k % opts.period_frames {
                0 => {
                    tone = Sine::new(TONES_HZ[which], TONE_DBFS);
                    tone.frame()
                }
                n if n < opts.burst_frames => tone.frame(),
                _ => Frame::SILENCE,
            };
            let payload = B64.encode(frame.to_ulaw());
            let msg = json!({ "event": "media", "streamSid": stream_sid, "media": { "payload": payload } });
            let now = Instant::now();
            if let Some(offset) = onsets.push(&frame) {
                let mut sent = tx_sent.lock().unwrap();
                sent.push_back((now + SAMPLE * offset as u32, which));
                while sent.len() > 2 * TONES_HZ.len() {
                    sent.pop_front();
                }
                if tx_shared.tally.measuring.load(Ordering::SeqCst) {
                    tx_shared.tally.bursts_sent.fetch_add(1, Ordering::SeqCst);
                }
            }
            if sink.send(Message::text(msg.to_string())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    };
    let receiver = async {
        let mut onsets = Onsets::new((shared.opts.period_frames as usize) * 80);
        // An onset waits for the next frame (all burst) to tell its tone.
        let mut pending: Option<Instant> = None;
        while let Some(Ok(msg)) = stream.next().await {
            let now = Instant::now();
            let Message::Text(text) = msg else { continue };
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if v["event"] == "stop" {
                break;
            }
            let Some(payload) = v["media"]["payload"].as_str() else {
                continue;
            };
            let Ok(bytes) = B64.decode(payload) else {
                continue;
            };
            for chunk in bytes.chunks(audio::FRAME_SAMPLES) {
                let frame = Frame::from_ulaw(chunk);
                let onset = onsets
                    .push(&frame)
                    .map(|offset| now + SAMPLE * offset as u32);
                let Some(heard) = std::mem::replace(&mut pending, onset) else {
                    continue;
                };
                let which = tone_of(&frame);
                let origin = sent
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .find(|&&(t, w)| w == which && t <= heard && heard - t < period * 4)
                    .map(|&(t, _)| t);
                if let Some(t) = origin
                    && shared.tally.measuring.load(Ordering::SeqCst)
                {
                    let ms = (heard - t).as_secs_f64() * 1000.0;
                    shared
                        .tally
                        .round_trips_ms
                        .lock()
                        .unwrap()
                        .push((number, ms));
                }
            }
        }
    };
    tokio::join!(sender, receiver);
    shared.tally.streams_ended.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Which of [`TONES_HZ`] `frame` carries (Goertzel).
fn tone_of(frame: &Frame) -> usize {
    let power = |hz: f64| audio::analyse::goertzel(&frame.0, hz, audio::SAMPLE_RATE);
    (0..TONES_HZ.len())
        .max_by(|&a, &b| power(TONES_HZ[a]).total_cmp(&power(TONES_HZ[b])))
        .unwrap_or(0)
}

/// `POST /2010-04-01/Accounts/{AC}/Calls.json` over plain HTTP/1.1; the new CallSid.
async fn create_call(opts: &Opts, twiml: &str) -> Result<String, String> {
    let body = form_encode(&[
        ("To", opts.to.as_str()),
        ("From", "+15550009999"),
        ("Twiml", twiml),
    ]);
    let auth = B64.encode(format!("{}:{}", opts.account, opts.auth_token));
    let request = format!(
        "POST /2010-04-01/Accounts/{}/Calls.json HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        opts.account,
        opts.sandbox,
        body.len()
    );
    let mut tcp = TcpStream::connect(opts.sandbox)
        .await
        .map_err(|e| e.to_string())?;
    tcp.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer)
        .await
        .map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    if !head.starts_with("HTTP/1.1 201") {
        return Err(format!("Calls.json answered {head}\n{body}"));
    }
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |e| e + 1);
    let call: Value = serde_json::from_str(&body[start..end]).map_err(|e| e.to_string())?;
    Ok(call["sid"].as_str().unwrap_or_default().to_owned())
}

/// User + system CPU seconds of process `pid` so far.
fn cpu_seconds(pid: u32, ticks_per_sec: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| die(&format!("/proc/{pid}/stat: {e}")));
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / ticks_per_sec
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `p` (0…1) of sorted `v`, nearest rank.
fn percentile(v: &[f64], p: f64) -> Option<f64> {
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len().max(1));
    v.get(rank - 1).copied()
}

fn tls_acceptor() -> TlsAcceptor {
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let key = rcgen::generate_simple_self_signed(names).unwrap_or_else(|e| die(&e.to_string()));
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![key.cert.der().clone()], der)
        })
        .unwrap_or_else(|e| die(&e.to_string()));
    TlsAcceptor::from(Arc::new(config))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let opts = parse_opts();
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| die(&e.to_string()));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let (stop_tx, stop) = watch::channel(false);
    let shared = Arc::new(Shared {
        opts,
        tally: Tally::default(),
        stop,
    });
    let acceptor = tls_acceptor();
    let accepting = shared.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (shared, tls) = (accepting.clone(), acceptor.clone());
            tokio::spawn(async move {
                if let Err(e) = serve_stream(shared, tcp, tls).await {
                    eprintln!("stream-echo: a stream failed: {e}");
                }
            });
        }
    });
    let opts = &shared.opts;
    let twiml = format!(
        r#"<Response><Connect><Stream url="wss://127.0.0.1:{port}/"/></Connect></Response>"#
    );
    for _ in 0..opts.calls {
        create_call(opts, &twiml).await.unwrap_or_else(|e| die(&e));
    }
    let deadline = Instant::now() + Duration::from_secs(30 + opts.calls as u64);
    while shared.tally.started.load(Ordering::SeqCst) < opts.calls {
        if Instant::now() > deadline {
            die("not every stream started within the time allowed");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(opts.warmup).await;
    let ticks = clock_ticks();
    let cpu = |pid: Option<u32>| pid.map(|p| cpu_seconds(p, ticks));
    let (cpu0, t0) = (cpu(opts.pid), Instant::now());
    shared.tally.measuring.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs_f64(opts.seconds)).await;
    shared.tally.measuring.store(false, Ordering::SeqCst);
    let (cpu1, elapsed) = (cpu(opts.pid), t0.elapsed().as_secs_f64());
    let measured = shared.tally.round_trips_ms.lock().unwrap().clone();
    let mut rtt: Vec<f64> = measured.iter().map(|&(_, ms)| ms).collect();
    // The first and the last ten round trips heard (their medians): whether delay builds up during the run.
    let median_of = |part: &[f64]| {
        let mut part = part.to_vec();
        part.sort_by(f64::total_cmp);
        percentile(&part, 0.5)
    };
    let (first, last) = (
        median_of(&rtt[..rtt.len().min(10)]),
        median_of(&rtt[rtt.len().saturating_sub(10)..]),
    );
    rtt.sort_by(f64::total_cmp);
    // Each call's median: calls differ by whole frames queued when their stream started.
    let mut per_call: Vec<f64> = (0..opts.calls)
        .filter_map(|n| {
            let mut mine: Vec<f64> = measured.iter().filter(|m| m.0 == n).map(|m| m.1).collect();
            mine.sort_by(f64::total_cmp);
            percentile(&mine, 0.5)
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    let cpu_s = cpu0.zip(cpu1).map(|(a, b)| b - a);
    let result = json!({
        "calls": opts.calls,
        "seconds": elapsed,
        "streams_started": shared.tally.started.load(Ordering::SeqCst),
        "streams_ended_early": shared.tally.streams_ended.load(Ordering::SeqCst),
        "bursts_sent": shared.tally.bursts_sent.load(Ordering::SeqCst),
        "bursts_heard": rtt.len(),
        "rtt_ms": {
            "min": rtt.first(), "p50": percentile(&rtt, 0.5), "p90": percentile(&rtt, 0.9),
            "p99": percentile(&rtt, 0.99), "max": rtt.last(),
        },
        "call_p50_ms": { "min": per_call.first(), "max": per_call.last() },
        "first10_p50_ms": first,
        "last10_p50_ms": last,
        "cpu_seconds": cpu_s,
        "cpu_share": cpu_s.map(|c| c / elapsed),
    });
    println!("RESULT {result}");
    let _ = stop_tx.send(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
}
