//! The fan-out client: N browsers watching the call-in queue, and the time an event takes from the webhook that
//! causes it to every one of them.
//!
//! `--mode sse`: N `GET /events` streams (piphone, the ceiling). `--mode poll`: N browsers each polling
//! `GET /queue-status` every `--poll-secs` (the seed's design: no push, every poll asks Twilio).
//!
//! Steps: open the N watchers and wait until each has a first answer (prints `READY`); count the Twilio mock's
//! requests over `--quiet-secs` with nothing happening (Twilio requests per minute with N watchers); then K
//! times: add a caller to the mock's queue, start the clock, POST the signed `--trigger-path` webhook with that
//! caller's CallSid, and stop each watcher's clock when that CallSid first reaches it. Prints one line
//! `RESULT {json}`. Plain HTTP/1.1 over loopback TCP, written by hand so the client costs little.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use memchr::memmem;
use piphone_bench_tools::form_encode;
use serde_json::{Value, json};
use sha1::Sha1;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};

#[derive(Clone)]
struct Trigger {
    idx: usize,
    marker: Arc<Vec<u8>>,
    t0: Instant,
}

#[derive(Clone)]
struct Opts {
    mode: String,
    addr: SocketAddr,
    path: String,
    cookie: Option<String>,
    streams: usize,
    events: usize,
    trigger_path: String,
    public_url: String,
    auth_token: Option<String>,
    mock: SocketAddr,
    quiet_secs: f64,
    poll_secs: f64,
    timeout_secs: f64,
}

fn parse_opts() -> Opts {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut map = HashMap::new();
    let mut it = args.iter();
    while let Some(k) = it.next() {
        let k = k
            .strip_prefix("--")
            .unwrap_or_else(|| die(&format!("unexpected {k}")));
        let v = it
            .next()
            .unwrap_or_else(|| die(&format!("--{k} needs a value")));
        map.insert(k.to_owned(), v.clone());
    }
    let get = |k: &str| map.get(k).cloned();
    let need = |k: &str| get(k).unwrap_or_else(|| die(&format!("--{k} is required")));
    let num = |k: &str, d: f64| get(k).map_or(d, |v| v.parse().unwrap_or_else(|_| die(k)));
    Opts {
        mode: get("mode").unwrap_or_else(|| "sse".into()),
        addr: need("addr")
            .parse()
            .unwrap_or_else(|_| die("--addr host:port")),
        path: get("path").unwrap_or_else(|| "/events".into()),
        cookie: get("cookie"),
        streams: num("streams", 1.0) as usize,
        events: num("events", 10.0) as usize,
        trigger_path: get("trigger-path").unwrap_or_else(|| "/voice/incoming".into()),
        public_url: need("public-url").trim_end_matches('/').to_owned(),
        auth_token: get("auth-token"),
        mock: need("mock")
            .parse()
            .unwrap_or_else(|_| die("--mock host:port")),
        quiet_secs: num("quiet-secs", 10.0),
        poll_secs: num("poll-secs", 5.0),
        timeout_secs: num("timeout-secs", 10.0),
    }
}

fn die(msg: &str) -> ! {
    eprintln!("fanout: {msg}");
    std::process::exit(2)
}

fn main() {
    let opts = parse_opts();
    // Two worker threads: the load generator must not take the whole (shared) machine from the server.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Err(e) = rt.block_on(run(opts)) {
        die(&e);
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body bytes).
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_nodelay(true).ok();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    s.write_all(&out).await.map_err(|e| e.to_string())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).await.map_err(|e| e.to_string())?;
    let status = std::str::from_utf8(resp.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = memmem::find(&resp, b"\r\n\r\n").map_or(Vec::new(), |i| resp[i + 4..].to_vec());
    Ok((status, body))
}

/// Twilio's X-Twilio-Signature: HMAC-SHA1 of the URL and the sorted fields, base64.
fn sign(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut s = url.to_owned();
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(token.as_bytes()).expect("any key length");
    mac.update(s.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn mock_count(mock: SocketAddr) -> Result<(u64, Value), String> {
    let (status, body) = request(mock, "GET", "/__bench/count", &[], b"").await?;
    if status != 200 {
        return Err(format!("twilio mock count: HTTP {status}"));
    }
    let v: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok((v["total"].as_u64().unwrap_or(0), v["by_path"].clone()))
}

/// One SSE watcher: reads forever, reporting the first answer and each trigger's first sighting.
async fn sse_stream(
    opts: Arc<Opts>,
    mut trig: watch::Receiver<Option<Trigger>>,
    ready: mpsc::UnboundedSender<Result<(), String>>,
    seen: mpsc::UnboundedSender<(usize, Duration)>,
) {
    let fail = |e: String| {
        let _ = ready.send(Err(e));
    };
    let mut s = match TcpStream::connect(opts.addr).await {
        Ok(s) => s,
        Err(e) => return fail(format!("connect: {e}")),
    };
    s.set_nodelay(true).ok();
    let cookie = opts
        .cookie
        .as_ref()
        .map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n{cookie}\r\n",
        opts.path, opts.addr
    );
    if let Err(e) = s.write_all(req.as_bytes()).await {
        return fail(e.to_string());
    }
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut ready_sent = false;
    let mut last_seen: Option<usize> = None;
    loop {
        let n = match s.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                if !ready_sent {
                    fail(format!(
                        "stream closed before its first event: {}",
                        String::from_utf8_lossy(&buf).lines().next().unwrap_or("")
                    ));
                }
                return;
            }
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        if !ready_sent {
            if !buf.starts_with(b"HTTP/1.1 200") {
                if memmem::find(&buf, b"\r\n\r\n").is_some() {
                    return fail(format!(
                        "/events answered {}",
                        String::from_utf8_lossy(&buf).lines().next().unwrap_or("")
                    ));
                }
                continue;
            }
            if memmem::find(&buf, b"data:").is_none() {
                continue;
            }
            ready_sent = true;
            let _ = ready.send(Ok(()));
        }
        let current = trig.borrow_and_update().clone();
        if let Some(t) = current
            && last_seen != Some(t.idx)
            && memmem::find(&buf, &t.marker).is_some()
        {
            last_seen = Some(t.idx);
            let _ = seen.send((t.idx, t.t0.elapsed()));
        }
        // Keep a tail in case a CallSid is split across two reads.
        if buf.len() > 64 {
            buf.drain(..buf.len() - 64);
        }
    }
}

/// One polling browser: every `poll_secs`, a fresh `GET /queue-status` (like `setInterval(fetch)`).
async fn poller(
    opts: Arc<Opts>,
    offset: Duration,
    trig: watch::Receiver<Option<Trigger>>,
    ready: mpsc::UnboundedSender<Result<(), String>>,
    seen: mpsc::UnboundedSender<(usize, Duration)>,
    polls: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
) {
    tokio::time::sleep(offset).await;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(opts.poll_secs));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let cookie = opts.cookie.clone().unwrap_or_default();
    let headers: Vec<(&str, &str)> = if cookie.is_empty() {
        vec![]
    } else {
        vec![("Cookie", cookie.as_str())]
    };
    let mut ready_sent = false;
    let mut last_seen: Option<usize> = None;
    loop {
        tick.tick().await;
        let current = trig.borrow().clone();
        let result = request(opts.addr, "GET", &opts.path, &headers, b"").await;
        polls.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok((200, body)) => {
                if !ready_sent {
                    ready_sent = true;
                    let _ = ready.send(Ok(()));
                }
                // Only a poll that started after the trigger can have seen it.
                if let Some(t) = current
                    && last_seen != Some(t.idx)
                    && memmem::find(&body, &t.marker).is_some()
                {
                    last_seen = Some(t.idx);
                    let _ = seen.send((t.idx, t.t0.elapsed()));
                }
            }
            Ok((status, _)) => {
                errors.fetch_add(1, Ordering::Relaxed);
                if !ready_sent {
                    let _ = ready.send(Err(format!("{} answered HTTP {status}", opts.path)));
                    return;
                }
            }
            Err(e) => {
                errors.fetch_add(1, Ordering::Relaxed);
                if !ready_sent {
                    let _ = ready.send(Err(e));
                    return;
                }
            }
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn run(opts: Opts) -> Result<(), String> {
    let opts = Arc::new(opts);
    let (trig_tx, trig_rx) = watch::channel::<Option<Trigger>>(None);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let polls = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));

    // Start from an empty queue.
    request(opts.mock, "DELETE", "/__bench/members", &[], b"").await?;

    let opened = Instant::now();
    let connecting = Arc::new(Semaphore::new(64));
    for i in 0..opts.streams {
        let (o, t, r, s) = (
            opts.clone(),
            trig_rx.clone(),
            ready_tx.clone(),
            seen_tx.clone(),
        );
        if opts.mode == "poll" {
            let offset = Duration::from_secs_f64(opts.poll_secs * i as f64 / opts.streams as f64);
            tokio::spawn(poller(o, offset, t, r, s, polls.clone(), errors.clone()));
        } else {
            // Open streams a few dozen at a time, so the listener's accept backlog never overflows.
            let permit = connecting.clone().acquire_owned().await.expect("open");
            let (rtx, mut rrx) = mpsc::unbounded_channel();
            let r2 = r.clone();
            tokio::spawn(async move {
                if let Some(first) = rrx.recv().await {
                    let _ = r2.send(first);
                }
                drop(permit);
                while let Some(x) = rrx.recv().await {
                    let _ = r2.send(x);
                }
            });
            tokio::spawn(sse_stream(o, t, rtx, s));
        }
    }
    drop(ready_tx);
    let ready_deadline = Duration::from_secs_f64(opts.poll_secs.max(1.0) * 2.0 + 30.0);
    let mut ready_count = 0;
    while ready_count < opts.streams {
        match tokio::time::timeout(ready_deadline, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => ready_count += 1,
            Ok(Some(Err(e))) => return Err(format!("watcher {ready_count}: {e}")),
            Ok(None) => return Err("watchers ended".into()),
            Err(_) => {
                return Err(format!(
                    "only {ready_count} of {} watchers ready",
                    opts.streams
                ));
            }
        }
    }
    let open_secs = opened.elapsed().as_secs_f64();
    println!("READY {}", opts.streams);

    // Twilio requests per minute with N watchers and nothing happening.
    let (before, by_before) = mock_count(opts.mock).await?;
    let polls_before = polls.load(Ordering::Relaxed);
    let quiet_started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(opts.quiet_secs)).await;
    let (after, by_after) = mock_count(opts.mock).await?;
    let quiet = quiet_started.elapsed().as_secs_f64();
    let rest_per_min = (after - before) as f64 * 60.0 / quiet;
    let polls_per_sec = (polls.load(Ordering::Relaxed) - polls_before) as f64 / quiet;
    let mut by_path = serde_json::Map::new();
    if let (Some(a), Some(b)) = (by_after.as_object(), by_before.as_object()) {
        for (k, v) in a {
            let d = v.as_u64().unwrap_or(0) - b.get(k).and_then(Value::as_u64).unwrap_or(0);
            by_path.insert(k.clone(), json!(d as f64 * 60.0 / quiet));
        }
    }

    // The events.
    let run_id = std::process::id() as u64 * 1_000_000
        + (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as u64 % 1_000_000)
            .unwrap_or(0));
    let mut latencies: Vec<f64> = Vec::new();
    let mut missed = 0usize;
    let mut trigger_ms: Vec<f64> = Vec::new();
    let timeout = Duration::from_secs_f64(if opts.mode == "poll" {
        opts.poll_secs * 2.0 + opts.timeout_secs
    } else {
        opts.timeout_secs
    });
    for idx in 0..opts.events {
        let sid = format!("CA{:016x}{:016x}", run_id, idx as u64 + 1);
        request(opts.mock, "POST", "/__bench/members", &[], sid.as_bytes()).await?;
        let params = [
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", sid.as_str()),
            ("CallStatus", "ringing"),
            ("Direction", "inbound"),
            ("From", "+15550100123"),
            ("Caller", "+15550100123"),
            ("To", "+15550100100"),
        ];
        let body = form_encode(&params);
        let url = format!("{}{}", opts.public_url, opts.trigger_path);
        let signature = opts.auth_token.as_ref().map(|t| sign(t, &url, &params));
        let mut headers = vec![("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(s) = &signature {
            headers.push(("X-Twilio-Signature", s.as_str()));
        }
        while seen_rx.try_recv().is_ok() {}
        let t0 = Instant::now();
        trig_tx.send_replace(Some(Trigger {
            idx,
            marker: Arc::new(sid.clone().into_bytes()),
            t0,
        }));
        let (status, _) = request(
            opts.addr,
            "POST",
            &opts.trigger_path,
            &headers,
            body.as_bytes(),
        )
        .await?;
        trigger_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        if status != 200 {
            return Err(format!("{} answered HTTP {status}", opts.trigger_path));
        }
        let mut got = 0;
        let deadline = tokio::time::Instant::now() + timeout;
        while got < opts.streams {
            match tokio::time::timeout_at(deadline, seen_rx.recv()).await {
                Ok(Some((i, d))) if i == idx => {
                    got += 1;
                    latencies.push(d.as_secs_f64() * 1000.0);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        missed += opts.streams - got;
        // A pause between events, so each is timed on its own.
        tokio::time::sleep(Duration::from_millis(if opts.mode == "poll" {
            0
        } else {
            100
        }))
        .await;
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    trigger_ms.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    let result = json!({
        "mode": opts.mode,
        "streams": opts.streams,
        "open_secs": open_secs,
        "events": opts.events,
        "samples": latencies.len(),
        "missed": missed,
        "latency_ms": {
            "p50": percentile(&latencies, 0.50),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().copied().unwrap_or(f64::NAN),
        },
        "trigger_ms_p50": percentile(&trigger_ms, 0.5),
        "quiet_secs": quiet,
        "rest_per_min": rest_per_min,
        "rest_per_min_by_path": by_path,
        "polls_per_sec": polls_per_sec,
        "poll_errors": errors.load(Ordering::Relaxed),
    });
    println!("RESULT {result}");
    Ok(())
}
