"""The kiosk's two phone engines side by side in one run: the server with the stream phone
(`PIPHONE_KIOSK_ENGINE=stream`) versus the server plus the Chromium kiosk (`piphone kiosk`).

For each engine, on a fresh data directory, with the sandbox as its own process (`piphone sandbox serve`, so the
simulated phone network is not counted): start the server (and the kiosk), `piphone call` a simulated phone that
rings for 1 s then answers with a tone, time `piphone call` → the far end ringing, then hold the call for
`--seconds` and read every process of the phone (the server, its children, the kiosk and its whole Chromium tree):
RSS and PSS from /proc/PID/smaps_rollup, user + system CPU over the held seconds. Uses the release build
(`bench/phone.sh` builds it), stdlib Python only; everything it starts is stopped on exit.

    bench/phone.sh [--seconds 20] [--docs]
"""

import argparse
import base64
import json
import math
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
PIPHONE = os.path.join(ROOT, "target", "release", "piphone")
CALLEE = "+15551230001"
STARTED = []
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def log(msg):
    print(f"[phone-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, env, logfile):
    p = subprocess.Popen(argv, env=env, stdout=open(logfile, "ab"), stderr=subprocess.STDOUT,
                         start_new_session=True)
    STARTED.append(p)
    return p


def stop_all():
    for p in reversed(STARTED):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in reversed(STARTED):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    STARTED.clear()


def tree(pid):
    """`pid` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def rollup(pids):
    """(RSS, PSS) in MiB summed over `pids`, from smaps_rollup."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            pass
    return rss / 1024, pss / 1024


def cpu(pids):
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def request(method, url, auth=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    if auth:
        req.add_header("authorization", "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    with urllib.request.urlopen(req, timeout=10, context=TLS) as r:
        return json.loads(r.read() or b"null")


def wait_for(test, limit, what):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            value = test()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"phone-bench: {what} did not happen within {limit} s")


def engine_run(engine, seconds, workdir):
    """Places and holds one call with `engine`; returns its measures."""
    data = os.path.join(workdir, engine)
    os.makedirs(data)
    port, sandbox_port = free_port(), free_port()
    mic = os.path.join(data, "mic.wav")
    write_tone(mic, 1000.0, 2.0)
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": data, "PIPHONE_DATA_DIR": data, "PIPHONE_LOG": "info",
        "PIPHONE_LISTEN": f"127.0.0.1:{port}", "PIPHONE_TLS": "on", "PIPHONE_KIOSK_ENGINE": engine,
        "PIPHONE_PHONE_CAPTURE": f"file:{mic}", "PIPHONE_PHONE_PLAYBACK": f"file:{data}/speaker.wav",
        "PIPHONE_KIOSK_CHROMIUM_FLAGS": "--use-fake-device-for-media-stream --no-sandbox",
        "PIPHONE_SANDBOX_URL": f"https://127.0.0.1:{sandbox_port}",
    }
    sandbox = start([PIPHONE, "sandbox", "serve", "--listen", f"127.0.0.1:{sandbox_port}",
                     "--webhook-base", f"https://127.0.0.1:{port}"], env, f"{data}/sandbox.log")
    base = f"https://127.0.0.1:{port}"
    wait_for(lambda: socket.create_connection(("127.0.0.1", sandbox_port), timeout=0.2).close() or True, 30,
             "the sandbox to start")
    # A first start makes the database, the admin and the kiosk user (argon2 takes ~19 MB for a moment, which the
    # allocator keeps); measure the server as it runs from then on, started again on its database.
    for run in ["first", "measured"]:
        server = start([PIPHONE, "serve"], env, f"{data}/server.log")
        wait_for(lambda: urllib.request.urlopen(f"{base}/healthz", timeout=1, context=TLS).status == 200, 30,
                 f"the server to start ({run})")
        if run == "first":
            cli(env, "status")  # the kiosk user exists with either engine
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
            STARTED.remove(server)
    phones = [server]
    if engine == "chromium":
        kiosk = start([PIPHONE, "kiosk"], env, f"{data}/kiosk.log")
        phones.append(kiosk)
        wait_for(lambda: phone_state(env) == "idle", 60, "the kiosk page")
    creds = json.load(open(os.path.join(data, "sandbox.json")))
    auth = (creds["account_sid"], creds["auth_token"])
    sb = f"https://127.0.0.1:{sandbox_port}"
    request("POST", f"{sb}/sandbox/phones", auth,
            {"number": CALLEE, "behaviour": "answer", "ring_ms": 1000, "voice": {"tone_hz": 600}})

    def far_end_ringing():
        for c in request("GET", f"{sb}/sandbox/calls", auth)["calls"]:
            if c["to"] == CALLEE and any(e["kind"] == "ringing" for e in c["events"]):
                return True
        return False

    t0 = time.perf_counter()
    call = subprocess.Popen([PIPHONE, "call", CALLEE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(far_end_ringing, 30, "the far end to ring")
    ring_ms = (time.perf_counter() - t0) * 1000
    out, err = call.communicate(timeout=60)
    if call.returncode != 0:
        raise SystemExit(f"phone-bench: piphone call failed: {out.decode()} {err.decode()}")
    time.sleep(2)  # the stream (or the browser's media) settles
    pids = [pid for p in phones for pid in tree(p.pid)]
    cpu0, t1 = cpu(pids), time.time()
    samples = []
    while time.time() - t1 < seconds:
        time.sleep(1)
        samples.append(rollup([pid for p in phones for pid in tree(p.pid)]))
    cpu_per_s = (cpu(pids) - cpu0) / (time.time() - t1)
    cli(env, "hangup")
    rss = max(s[0] for s in samples)
    pss = max(s[1] for s in samples)
    result = {"processes": len(pids), "rss_mb": rss, "pss_mb": pss, "cpu_per_call_s": cpu_per_s,
              "ring_ms": ring_ms}
    log(f"{engine}: {result}")
    for p in phones + [sandbox]:
        os.killpg(p.pid, signal.SIGTERM)
    stop_all()
    return result


def phone_state(env):
    code, out = cli(env, "status", "--json")
    return code == 0 and (json.loads(out).get("phone") or {}).get("state")


def cli(env, *args):
    r = subprocess.run([PIPHONE, *args], env=env, capture_output=True, timeout=90)
    return r.returncode, r.stdout.decode()


def write_tone(path, hz, secs):
    n = int(8000 * secs)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000)))
                               for i in range(n)))


def table(res, seconds):
    s, c = res["stream"], res["chromium"]
    rows = [
        ("processes", "processes", "{:.0f}"),
        ("RSS during a call (MiB, all processes)", "rss_mb", "{:.1f}"),
        ("PSS during a call (MiB, all processes)", "pss_mb", "{:.1f}"),
        ("CPU per call second (s)", "cpu_per_call_s", "{:.3f}"),
        ("`piphone call` → far end ringing (ms)", "ring_ms", "{:.0f}"),
    ]
    out = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, call held {seconds} s, "
           f"{os.cpu_count()} cores.", "",
           "| Measure | stream engine | Chromium kiosk | Chromium ÷ stream |", "|---|---:|---:|---:|"]
    for label, key, f in rows:
        ratio = c[key] / s[key] if s[key] else float("nan")
        out.append(f"| {label} | {f.format(s[key])} | {f.format(c[key])} | {ratio:.1f}× |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=20, help="how long each call is held and measured")
    ap.add_argument("--docs", action="store_true", help="write the table into docs/BENCHMARKS.md")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(130)))
    res = {}
    with tempfile.TemporaryDirectory(prefix="phone-bench-") as work:
        try:
            for engine in ["stream", "chromium"]:
                res[engine] = engine_run(engine, args.seconds, work)
        finally:
            stop_all()
    md = table(res, args.seconds)
    print(md)
    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    with open(os.path.join(BENCH, "results", "phone.json"), "w") as f:
        json.dump(res, f, indent=2)
    if args.docs:
        path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
        doc = open(path).read()
        start, end = "<!-- phone:start -->", "<!-- phone:end -->"
        head, rest = doc.split(start, 1)
        tail = rest.split(end, 1)[1]
        with open(path, "w") as f:
            f.write(f"{head}{start}\nCommand: `bench/phone.sh --seconds {args.seconds} --docs`\n\n{md}{end}{tail}")


if __name__ == "__main__":
    main()
