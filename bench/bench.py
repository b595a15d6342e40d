"""piphone's benchmark: piphone, the seed's design (Flask) and the ceiling (minimal axum), side by side in one run.

Started by bench/run.sh, which builds what is needed first; see docs/BENCHMARKS.md. Everything it starts is killed
on exit (each in its own process group). Writes bench/results/latest.md and latest.json.
"""

import argparse
import atexit
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from statistics import median

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
RESULTS = os.path.join(BENCH, "results")

# Made-up credentials, the same for every contender.
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
API_KEY_SID = "SK0123456789abcdef0123456789abcdef"
API_KEY_SECRET = "bench-api-key-secret-0123456789ab"
APP_SID = "AP0123456789abcdef0123456789abcdef"
CALLER_ID = "+14155550100"
PUBLIC_URL = "https://piphone.example.com"
ADMIN_PASSWORD = "bench-admin-password-1"
DIAL_TO = "+14155552671"

STARTED = []  # Popen objects, killed at exit


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_all():
    for p in reversed(STARTED):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for p in reversed(STARTED):
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    STARTED.clear()


def on_signal(signum, _frame):
    log(f"signal {signum}: stopping what was started")
    kill_all()
    sys.exit(130)


def start(name, argv, env, logdir):
    out = open(os.path.join(logdir, f"{name}.log"), "ab")
    p = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=BENCH)
    STARTED.append(p)
    return p


def stop(p):
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    if p in STARTED:
        STARTED.remove(p)


def http(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def wait_healthy(p, port, name, started_at, limit=60.0):
    """Milliseconds from `started_at` (just before exec) to the first 200 from /healthz."""
    while time.perf_counter() - started_at < limit:
        if p.poll() is not None:
            die(f"{name} exited with {p.returncode} before it was healthy (see bench/results/logs/{name}.log)")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/1.1 200") or False:
                    return (time.perf_counter() - started_at) * 1000
        except OSError:
            pass
        time.sleep(0.002)
    die(f"{name} not healthy after {limit} s")


def pids_of(p):
    """The process and its children (gunicorn's workers)."""
    pids = [p.pid]
    try:
        for task in os.listdir(f"/proc/{p.pid}/task"):
            with open(f"/proc/{p.pid}/task/{task}/children") as f:
                pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return pids


def memory_mb(p, field=None):
    """(VmRSS, VmHWM) in MiB, summed over the process and its children; or one /proc status field."""
    rss = hwm = other = 0
    for pid in pids_of(p):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("VmHWM:"):
                        hwm += int(line.split()[1])
                    elif field and line.startswith(field + ":"):
                        other += int(line.split()[1])
        except OSError:
            pass
    if field:
        return other / 1024
    return rss / 1024, hwm / 1024


def cpu_seconds(p):
    """User + system CPU time of the process and its children (gunicorn's workers), in seconds."""
    ticks = 0
    for pid in pids_of(p):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def reset_peak(p):
    """Resets VmHWM to the current RSS (Linux ≥ 4.0: `echo 5 > /proc/PID/clear_refs`)."""
    for pid in pids_of(p):
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError as e:
            log(f"cannot reset the peak RSS of {pid}: {e}")


def voice_params():
    """Twilio's form fields for a browser call from user `admin` to DIAL_TO."""
    return [
        ("AccountSid", ACCOUNT_SID),
        ("ApiVersion", "2010-04-01"),
        ("ApplicationSid", APP_SID),
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("From", "client:admin"),
        ("Caller", "client:admin"),
        ("To", DIAL_TO),
    ]


def signed_voice(path="/voice"):
    """The form body and its X-Twilio-Signature, computed by twilio-python (the reference)."""
    # Imported here so that bench/audio.py can reuse this module's helpers without the venv.
    from twilio.request_validator import RequestValidator

    params = voice_params()
    body = urllib.parse.urlencode(params)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, dict(params))
    return body, signature


def wrk(url, seconds, connections, threads, method="GET", body=None, headers=None, workdir=None):
    env = dict(os.environ)
    env["WRK_METHOD"] = method
    env["WRK_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())
    env["WRK_BODY_FILE"] = ""
    if body is not None:
        path = os.path.join(workdir, "wrk-body")
        with open(path, "w") as f:
            f.write(body)
        env["WRK_BODY_FILE"] = path
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
            "-s", os.path.join(BENCH, "wrk.lua"), url]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 30)
    m = re.search(r"^WRKJSON (.*)$", out.stdout, re.M)
    if not m:
        die(f"wrk gave no summary for {url}:\n{out.stdout}\n{out.stderr}")
    return json.loads(m.group(1))


def fanout(tool, args, p, timeout):
    """Runs the fan-out client; samples the server's memory when its watchers are open and at the end."""
    proc = subprocess.Popen([tool] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    STARTED.append(proc)
    mem_open = None
    result = None
    deadline = time.time() + timeout
    for line in proc.stdout:
        if line.startswith("READY"):
            time.sleep(0.5)
            mem_open = memory_mb(p)
        elif line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        if time.time() > deadline:
            break
    mem_end = memory_mb(p)
    try:
        proc.wait(timeout=max(1, deadline - time.time()))
    except subprocess.TimeoutExpired:
        stop(proc)
    err = proc.stderr.read()
    if proc in STARTED:
        STARTED.remove(proc)
    if result is None:
        die(f"fanout {' '.join(args)} failed: {err.strip()}")
    result["rss_open_mb"] = mem_open[0] if mem_open else None
    result["rss_end_mb"], result["hwm_mb"] = mem_end
    return result


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "crates"], capture_output=True,
                           text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem, 1),
        "kernel": platform.release(),
        "rustc": rustc,
        "python": platform.python_version(),
        "commit": commit + ("+dirty" if dirty else ""),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=4, help="length of each load round in whole seconds (default 4)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="load rounds per contender, interleaved; the median round is reported (default 3)")
    ap.add_argument("--connections", type=int, default=64, help="concurrent connections for /voice and /token")
    ap.add_argument("--streams", default="1,100,1000", help="SSE stream counts (default 1,100,1000)")
    ap.add_argument("--events", type=int, default=20, help="events timed per stream count (SSE)")
    ap.add_argument("--poll-secs", type=float, default=5.0,
                    help="piphone's shared Twilio poll interval, and the baseline browsers' poll interval")
    ap.add_argument("--quiet-secs", type=float, default=20.0, help="window for counting Twilio requests")
    ap.add_argument("--skip-events", action="store_true", help="only /voice, /token, memory, start-up, size")
    ap.add_argument("--only", default="piphone,baseline,ceiling", help="contenders to run (default all)")
    ap.add_argument("--piphone", default=os.path.join(ROOT, "target", "release", "piphone"))
    ap.add_argument("--tools", default=os.path.join(BENCH, "tools", "target", "release"))
    ap.add_argument("--out", default=os.path.join(RESULTS, "latest.md"))
    ap.add_argument("--docs", action="store_true", help="also replace the results in docs/BENCHMARKS.md")
    ap.add_argument("--before", metavar="BINARY",
                    help="another piphone build to load side by side (e.g. main's), for a before/after table")
    args = ap.parse_args()
    args.piphone, args.tools, args.out = (os.path.abspath(x) for x in (args.piphone, args.tools, args.out))
    contenders = args.only.split(",")
    if args.before:
        args.before = os.path.abspath(args.before)
        contenders.append("before")
    streams = [int(s) for s in args.streams.split(",") if s]

    atexit.register(kill_all)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    for tool in ["wrk"]:
        if shutil.which(tool) is None:
            die(f"{tool} not found (apt-get install {tool})")
    for b in [args.piphone, os.path.join(args.tools, "ceiling"), os.path.join(args.tools, "fanout"),
              os.path.join(args.tools, "twilio-mock")]:
        if not os.access(b, os.X_OK):
            die(f"{b} missing: run bench/run.sh (it builds it)")
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")

    os.makedirs(RESULTS, exist_ok=True)
    logdir = os.path.join(RESULTS, "logs")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    workdir = tempfile.mkdtemp(prefix="run-", dir=RESULTS)
    atexit.register(shutil.rmtree, workdir, True)
    ncpu = os.cpu_count() or 1

    # One Twilio mock per contender, so each count is that contender's alone.
    mock_ports = {}
    for name in ["piphone", "baseline", "ceiling", "before"]:
        mock_ports[name] = free_port()
        mock = start(f"twilio-mock-{name}", [os.path.join(args.tools, "twilio-mock"), str(mock_ports[name])],
                     dict(os.environ), logdir)
        wait_port(mock_ports[name], mock, f"twilio-mock-{name}")

    # --- the contenders' commands ---
    ports = {name: free_port() for name in ["piphone", "baseline", "ceiling", "before"]}
    data_dir = os.path.join(workdir, "piphone-data")
    piphone_env = {
        "PATH": os.environ.get("PATH", ""),
        "PIPHONE_LISTEN": f"127.0.0.1:{ports['piphone']}",
        "PIPHONE_DATA_DIR": data_dir,
        "PIPHONE_TLS": "off",
        "PIPHONE_PUBLIC_URL": PUBLIC_URL,
        "PIPHONE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PIPHONE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PIPHONE_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PIPHONE_TWILIO_API_KEY_SID": API_KEY_SID,
        "PIPHONE_TWILIO_API_KEY_SECRET": API_KEY_SECRET,
        "PIPHONE_TWILIO_APP_SID": APP_SID,
        "PIPHONE_TWILIO_API_URL": f"http://127.0.0.1:{mock_ports['piphone']}",
        "PIPHONE_CALLER_ID": CALLER_ID,
        # Benchmark calls never end (nothing sends the Dial action): limits out of the way.
        "PIPHONE_MAX_CONCURRENT_CALLS": "1000000000",
        "PIPHONE_MAX_CALLS_PER_DAY": "1000000000",
        "PIPHONE_QUEUE_POLL_SECS": str(args.poll_secs),
        "PIPHONE_QUEUE_MAX_SIZE": "5000",
    }
    baseline_env = dict(os.environ)
    baseline_env.update({
        "BENCH_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "BENCH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BENCH_TWILIO_API_KEY_SID": API_KEY_SID, "BENCH_TWILIO_API_KEY_SECRET": API_KEY_SECRET,
        "BENCH_TWILIO_APP_SID": APP_SID, "BENCH_CALLER_ID": CALLER_ID, "BENCH_PUBLIC_URL": PUBLIC_URL,
        "BENCH_TWILIO_API_URL": f"http://127.0.0.1:{mock_ports['baseline']}",
    })
    commands = {
        "piphone": ([args.piphone, "serve"], piphone_env),
        "before": ([args.before or "", "serve"], dict(piphone_env, **{
            "PIPHONE_LISTEN": f"127.0.0.1:{ports['before']}",
            "PIPHONE_DATA_DIR": os.path.join(workdir, "before-data"),
            "PIPHONE_TWILIO_API_URL": f"http://127.0.0.1:{mock_ports['before']}",
        })),
        "baseline": ([gunicorn, "--workers", str(ncpu), "--bind", f"127.0.0.1:{ports['baseline']}",
                      "--chdir", os.path.join(BENCH, "baseline"), "--log-level", "warning", "app:app"],
                     baseline_env),
        "ceiling": ([os.path.join(args.tools, "ceiling"), str(ports["ceiling"])], dict(os.environ)),
    }

    res = {"machine": machine(), "args": vars(args), "contenders": contenders, "startup_ms": {},
           "first_start_ms": {}, "idle_mb": {}, "size_mb": {}, "voice": {}, "token": {}, "events": {}}

    # --- start-up: piphone's first start (creates the database, hashes the admin password), then each contender
    #     started three times; the median is reported and the last one keeps running ---
    procs = {}

    def start_all(times):
        for name in contenders:
            argv, env = commands[name]
            samples = []
            for i in range(times):
                t = time.perf_counter()
                p = start(name, argv, env, logdir)
                samples.append(wait_healthy(p, ports[name], name, t))
                if i < times - 1:
                    stop(p)
            procs[name] = p
            res["startup_samples_ms"].setdefault(name, []).extend(samples)
            log(f"{name}: healthy after {', '.join(f'{x:.0f}' for x in samples)} ms")

    def stop_all():
        for name in contenders:
            stop(procs[name])

    def login(name="piphone"):
        if name not in contenders:
            return None
        status, headers, _ = http("POST", base[name] + "/login",
                                  urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD}).encode(),
                                  {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303 or "piphone_session=" not in headers.get("set-cookie", ""):
            die(f"piphone login failed: HTTP {status}")
        return headers["set-cookie"].split(";")[0]

    res["startup_samples_ms"] = {}
    for name in ["piphone", "before"]:
        if name in contenders:
            argv, env = commands[name]
            t = time.perf_counter()
            p = start(name, argv, env, logdir)
            res["first_start_ms"][name] = wait_healthy(p, ports[name], name, t)
            stop(p)
    start_all(3)
    for name in contenders:
        res["startup_ms"][name] = median(res["startup_samples_ms"][name])
    time.sleep(2)
    for name in contenders:
        res["idle_mb"][name] = memory_mb(procs[name])[0]
        res.setdefault("idle_anon_mb", {})[name] = memory_mb(procs[name], "RssAnon")
    res["size_mb"]["piphone"] = os.path.getsize(args.piphone) / 1e6
    if args.before:
        res["size_mb"]["before"] = os.path.getsize(args.before) / 1e6
    res["size_mb"]["ceiling"] = os.path.getsize(os.path.join(args.tools, "ceiling")) / 1e6

    base = {name: f"http://127.0.0.1:{ports[name]}" for name in contenders}
    cookie = login()
    cookies = {"piphone": cookie, "before": login("before")}

    # --- check each answers /voice and /token as it should, then load ---
    body, signature = signed_voice()
    voice_headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    token_headers = {name: ({"Cookie": cookies[name]} if name in cookies else {}) for name in contenders}
    for name in contenders:
        status, _, out = http("POST", base[name] + "/voice", body.encode(), voice_headers)
        if status != 200 or b"<Dial" not in out or b"+14155552671" not in out:
            die(f"{name} /voice answered {status}: {out[:300]!r}")
        status, _, out = http("GET", base[name] + "/token", None, token_headers[name])
        if status != 200 or b'"token"' not in out:
            die(f"{name} /token answered {status}: {out[:300]!r}")
        if name != "ceiling":
            status, _, _ = http("POST", base[name] + "/voice", body.encode(),
                                {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "bad"})
            if status != 403:
                die(f"{name} accepted a bad signature on /voice (HTTP {status})")
    threads = max(1, min(2, ncpu))
    for route, key in [("/voice", "voice"), ("/token", "token")]:
        rounds = {name: [] for name in contenders}
        for rnd in range(args.rounds):
            for name in contenders:
                cpu_before = cpu_seconds(procs[name])
                if key == "voice":
                    r = wrk(base[name] + route, args.seconds, args.connections, threads, "POST", body,
                            voice_headers, workdir)
                else:
                    r = wrk(base[name] + route, args.seconds, args.connections, threads, "GET", None,
                            token_headers[name], workdir)
                r["errors"] = r["errors_status"] + r["errors_connect"] + r["errors_read"] + r["errors_timeout"]
                r["cpu_us"] = (cpu_seconds(procs[name]) - cpu_before) * 1e6 / max(1, r["requests"])
                rounds[name].append(r)
                log(f"{name} {route} round {rnd + 1}/{args.rounds}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, "
                    f"p99 {r['p99_ms']:.2f} ms, {r['cpu_us']:.0f} µs CPU/request, errors {r['errors']}")
                time.sleep(0.5)
        for name in contenders:
            ordered = sorted(rounds[name], key=lambda r: r["rps"])
            chosen = dict(ordered[len(ordered) // 2])
            chosen["errors"] = sum(r["errors"] for r in rounds[name])
            chosen["rounds_rps"] = [r["rps"] for r in rounds[name]]
            chosen["cpu_us"] = median(r["cpu_us"] for r in rounds[name])
            res[key][name] = chosen

    # --- the fan-out: SSE streams (piphone, ceiling) or polling browsers (baseline) ---
    if not args.skip_events:
        # A fresh start for the fan-out, so its memory is not the load test's; the peak (VmHWM) is reset after
        # logging in (argon2 takes 19 MB for a moment) and read after each stream count.
        log("restarting the contenders for the fan-out test")
        stop_all()
        start_all(1)
        cookie = login()
        time.sleep(1)
        fan = os.path.join(args.tools, "fanout")
        for n in streams:
            for name in [c for c in contenders if c != "before"]:
                mode = "poll" if name == "baseline" else "sse"
                path = "/queue-status" if mode == "poll" else "/events"
                events = args.events if mode == "sse" else max(3, args.events // 5)
                fa = ["--mode", mode, "--addr", f"127.0.0.1:{ports[name]}", "--path", path,
                      "--streams", str(n), "--events", str(events), "--trigger-path", "/voice/incoming",
                      "--public-url", PUBLIC_URL, "--auth-token", AUTH_TOKEN, "--mock", f"127.0.0.1:{mock_ports[name]}",
                      "--quiet-secs", str(args.quiet_secs if name != "ceiling" else 1),  # the ceiling asks no one
                      "--poll-secs", str(args.poll_secs)]
                if name == "piphone":
                    fa += ["--cookie", cookie]
                log(f"{name}: {n} {'streams' if mode == 'sse' else 'polling browsers'}, {events} events")
                reset_peak(procs[name])
                r = fanout(fan, fa, procs[name], timeout=300)
                res["events"].setdefault(str(n), {})[name] = r
                log(f"  latency p50 {r['latency_ms']['p50']:.1f} ms, p99 {r['latency_ms']['p99']:.1f} ms, "
                    f"missed {r['missed']}, Twilio {r['rest_per_min']:.0f}/min, RSS {r['rss_open_mb'] or 0:.1f} MB")
                time.sleep(1)

    for name in contenders:
        res.setdefault("final_mb", {})[name] = memory_mb(procs[name])
    kill_all()
    md = publish(res, report, args.out)
    if args.docs:
        splice_docs(md, " ".join(["bench/run.sh"] + sys.argv[1:]))


def publish(res, report_fn, out):
    """Writes `res` as `<out>.json` (first, so a failing report loses nothing) and its report to `out`; prints and
    returns the report."""
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(os.path.splitext(out)[0] + ".json", "w") as f:
        json.dump(res, f, indent=2)
    md = report_fn(res)
    with open(out, "w") as f:
        f.write(md)
    print(md)
    return md


def splice_docs(md, command, marker="results"):
    """Puts the table between the `<!-- {marker}:start/end -->` markers in docs/BENCHMARKS.md."""
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    with open(path) as f:
        text = f.read()
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        die(f"{path} has no {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    block = f"{start}\nCommand: `{command}`\n\n{md}{end}"
    with open(path, "w") as f:
        f.write(head + block + tail)
    log(f"results copied into {path}")


def wait_port(port, p, name, limit=10.0):
    t = time.time()
    while time.time() - t < limit:
        if p.poll() is not None:
            die(f"{name} exited with {p.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.01)
    die(f"{name} did not listen")


# ---------------------------------------------------------------- the report

def fmt(v, digits=None):
    if v is None or v != v:  # None or NaN
        return "—"
    if digits is None:
        digits = 0 if abs(v) >= 100 else (1 if abs(v) >= 10 else 2)
    return f"{v:,.{digits}f}"


def ratio(a, b):
    if a is None or b is None or a != a or b != b or b == 0:
        return "—"
    r = a / b
    if r == 0:
        return "0×"
    if r < 0.1:
        return f"1/{1 / r:,.0f}"
    return f"{r:.2f}×" if r < 10 else f"{r:,.0f}×"


def report(res):
    m = res["machine"]
    a = res["args"]
    rows = []
    targets = []

    def get(section, name, key):
        return res.get(section, {}).get(name, {}).get(key)

    def row(label, p, b, c, target="", met=None):
        mark = "" if met is None else ("✅" if met else "❌")
        rows.append(f"| {label} | {fmt(p)} | {fmt(b)} | {fmt(c)} | {ratio(p, b)} | {ratio(p, c)} | {target} {mark} |")
        if met is not None:
            targets.append((label, met))

    conn = a["connections"]
    for key, route in [("voice", "/voice"), ("token", "/token")]:
        p, b, c = (get(key, n, "rps") for n in ["piphone", "baseline", "ceiling"])
        if key == "voice":
            row(f"`POST /voice` requests/s ({conn} connections, signed)", p, b, c, "≥ 50% of ceiling",
                None if p is None or c is None else p >= 0.5 * c)
        else:
            row(f"`GET /token` requests/s ({conn} connections)", p, b, c, "≥ 20× baseline",
                None if p is None or b is None else p >= 20 * b)
        for q in ["p50", "p99"]:
            row(f"`{route}` latency {q}, ms", *(get(key, n, f"{q}_ms") for n in ["piphone", "baseline", "ceiling"]))
        row(f"`{route}` server CPU per request, µs", *(get(key, n, "cpu_us") for n in ["piphone", "baseline", "ceiling"]))
    errs = {n: (res["voice"].get(n, {}).get("errors", 0) + res["token"].get(n, {}).get("errors", 0))
            for n in res["contenders"]}
    ev = res.get("events", {})
    first = None
    for n in sorted(ev, key=int):
        e = ev[n]
        vals = [e.get(x, {}).get("rest_per_min") for x in ["piphone", "baseline", "ceiling"]]
        if first is None:
            first = vals[0]
        met = None
        if n == "1000" and vals[0] is not None and first is not None:
            met = abs(vals[0] - first) <= max(1.0, 0.1 * first)
        row(f"Twilio REST requests/min, {n} watching", vals[0], vals[1], None,
            "same at 1,000 as at 1" if n == "1000" else "", met)
    for n in sorted(ev, key=int):
        e = ev[n]
        for q in ["p50", "p99"]:
            vals = [e.get(x, {}).get("latency_ms", {}).get(q) for x in ["piphone", "baseline", "ceiling"]]
            met = None
            if n == "1000" and q == "p99" and vals[0] is not None:
                met = vals[0] <= 100 and e["piphone"]["missed"] == 0
            row(f"event → browser {q}, ms, {n} watching", *vals, "≤ 100 ms" if met is not None else "", met)
    idle = [res["idle_mb"].get(x) for x in ["piphone", "baseline", "ceiling"]]
    row("resident memory idle, MB (VmRSS)", *idle, "≤ 20 MB", None if idle[0] is None else idle[0] <= 20)
    anon = [res.get("idle_anon_mb", {}).get(x) for x in ["piphone", "baseline", "ceiling"]]
    row("… of which anonymous (heap, stacks), MB (RssAnon)", *anon)
    if "1000" in ev:
        e = ev["1000"]
        vals = [e.get(x, {}).get("rss_open_mb") for x in ["piphone", "baseline", "ceiling"]]
        row("resident memory with 1,000 watching, MB (VmRSS)", *vals)
        vals = [e.get(x, {}).get("hwm_mb") for x in ["piphone", "baseline", "ceiling"]]
        row("… peak during the 1,000-watcher test, MB (VmHWM)", *vals, "≤ 64 MB",
            None if vals[0] is None else vals[0] <= 64)
    st = [res["startup_ms"].get(x) for x in ["piphone", "baseline", "ceiling"]]
    row("start → healthy `/healthz`, ms (median of 3)", *st, "≤ 200 ms", None if st[0] is None else st[0] <= 200)
    if "piphone" in res["first_start_ms"]:
        row("first start (creates the database, hashes the admin password), ms", res["first_start_ms"]["piphone"],
            None, None)
    sz = [res["size_mb"].get("piphone"), None, res["size_mb"].get("ceiling")]
    row("release binary, MB", *sz, "≤ 16 MB", None if sz[0] is None else sz[0] <= 16)

    out = []
    out.append(f"Run {m['date']} at commit `{m['commit']}`: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
               f"Linux {m['kernel']}, {m['rustc']}, Python {m['python']}.\n")
    out.append("| Measure | piphone | baseline (Flask) | ceiling (axum) | piphone ÷ baseline | piphone ÷ ceiling "
               "| target |")
    out.append("|---|---:|---:|---:|---:|---:|---|")
    out += rows
    out.append("")
    out.append(f"Load: wrk, 2 threads, {conn} connections; {a['rounds']} rounds of {a['seconds']:g} s per contender, "
               "interleaved (piphone, baseline, ceiling, piphone, …), median round shown. Errors (non-2xx, timeouts, "
               "socket errors) during load: "
               + ", ".join(f"{n} {errs[n]}" for n in res["contenders"]) + ".")
    if ev:
        details = []
        for n in sorted(ev, key=int):
            for x, r in ev[n].items():
                if r.get("missed"):
                    details.append(f"{x} at {n}: {r['missed']} of {r['samples'] + r['missed']} deliveries missed")
        out.append(f"Watching: piphone and the ceiling with `GET /events` (SSE); the baseline with browsers polling "
                   f"`GET /queue-status` every {a['poll_secs']:g} s (each poll asks Twilio twice). piphone's shared "
                   f"poller runs every {a['poll_secs']:g} s. Twilio requests counted by the mock over "
                   f"{a['quiet_secs']:g} s with nothing happening. "
                   + ("; ".join(details) + "." if details else "No delivery missed."))
    if "before" in res["contenders"]:
        out.append("")
        out.append("Before and after, same run (`--before`: the other build loaded side by side):")
        out.append("")
        out.append("| Measure | before | piphone (this build) | after ÷ before | before ÷ ceiling | after ÷ ceiling |")
        out.append("|---|---:|---:|---:|---:|---:|")
        for key, route in [("voice", "/voice"), ("token", "/token")]:
            for field, label in [("rps", "requests/s"), ("p50_ms", "p50, ms"), ("p99_ms", "p99, ms"),
                                 ("cpu_us", "server CPU per request, µs")]:
                b, p, c = (get(key, n, field) for n in ["before", "piphone", "ceiling"])
                out.append(f"| `{route}` {label} | {fmt(b)} | {fmt(p)} | {ratio(p, b)} | {ratio(b, c)} | {ratio(p, c)} |")
        for label, sec in [("resident memory idle, MB", "idle_mb"), ("start → healthy, ms", "startup_ms"),
                           ("binary, MB", "size_mb")]:
            b, p, c = (res[sec].get(n) for n in ["before", "piphone", "ceiling"])
            out.append(f"| {label} | {fmt(b)} | {fmt(p)} | {ratio(p, b)} | {ratio(b, c)} | {ratio(p, c)} |")
        out.append("")
    met = sum(1 for _, ok in targets if ok)
    out.append(f"Targets met: {met} of {len(targets)}.")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
