"""piphone's audio benchmark: round trips of a tone through the sandbox and its CPU per bridged call, in one run.

Started by bench/audio.sh, which builds what is needed first; see docs/BENCHMARKS.md ("Audio"). Measures:
  1. stream → stream: `piphone sandbox serve` (its own process) and the bench tool `stream-echo`, a Media Streams
     server whose calls (REST `Calls.json`, `<Connect><Stream>`) go to a phone whose voice is `{"echo": true}`;
  2. page → page: a logged-in page in Chromium calls that phone through `piphone serve` (bench/audio_page.mjs);
  3. the sandbox process's CPU with N such stream calls, and idle;
  4. the release binary's size with and without the `webrtc` feature.
Writes bench/results/audio.md and audio.json; with --docs also docs/BENCHMARKS.md between the audio markers.
Uses only the standard library (the helpers come from bench.py). bench/audio.sh also takes --no-build.
"""

import argparse
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request
from base64 import b64encode

from bench import (BENCH, RESULTS, ROOT, STARTED, die, fmt, free_port, kill_all, log, machine, on_signal, publish,
                   splice_docs, start, stop, wait_port)

ECHO = "+15550100100"


def control(url, creds, path, body):
    """POST `body` as JSON to the sandbox's control API (HTTP Basic with its credentials)."""
    auth = b64encode(f"{creds['account_sid']}:{creds['auth_token']}".encode()).decode()
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"authorization": f"Basic {auth}", "content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def result_line(argv, env=None, timeout=600):
    """Runs `argv`; its `RESULT {json}` line, parsed."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT)
    STARTED.append(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        die(f"{argv[0]} took longer than {timeout} s")
    if proc in STARTED:
        STARTED.remove(proc)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    die(f"{' '.join(argv)} gave no result (exit {proc.returncode}):\n{out}\n{err}")


def stream_runs(args, workdir):
    """Starts `piphone sandbox serve`, then runs stream-echo: the latency run, idle, and each load."""
    data_dir = os.path.join(workdir, "sandbox-data")
    logdir = os.path.join(RESULTS, "logs")
    os.makedirs(logdir, exist_ok=True)
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "PIPHONE_DATA_DIR": data_dir, "PIPHONE_TLS": "off",
           "PIPHONE_LOG": "warn"}
    # An https --deliver-to makes the sandbox accept the stream server's self-signed certificate (nothing is
    # delivered there: the calls' TwiML is given inline).
    argv = [args.piphone, "sandbox", "serve", "--listen", f"127.0.0.1:{port}",
            "--webhook-base", "https://127.0.0.1:9", "--deliver-to", "https://127.0.0.1:9"]
    sandbox = start("audio-sandbox", argv, env, logdir)
    wait_port(port, sandbox, "the sandbox")
    with open(os.path.join(data_dir, "sandbox.json")) as f:
        creds = json.load(f)
    url = f"http://127.0.0.1:{port}"
    control(url, creds, "/sandbox/phones", {"number": ECHO, "behaviour": "answer", "ring_ms": 0,
                                            "voice": {"echo": True}})
    tool = [os.path.join(args.tools, "stream-echo"), "--sandbox", f"127.0.0.1:{port}",
            "--account", creds["account_sid"], "--auth-token", creds["auth_token"], "--to", ECHO,
            "--burst-ms", str(args.burst_ms), "--period-ms", str(args.period_ms), "--pid", str(sandbox.pid)]
    out = {}
    log("idle sandbox")
    out["idle"] = result_line(tool + ["--calls", "0", "--seconds", str(args.seconds), "--warmup-secs", "1"])
    log(f"stream → stream latency: 1 call, {args.bursts} bursts")
    seconds = args.bursts * args.period_ms / 1000
    out["latency"] = result_line(tool + ["--calls", "1", "--seconds", str(seconds)])
    out["loads"] = {}
    for n in args.loads:
        log(f"CPU with {n} stream ↔ echo calls")
        out["loads"][n] = result_line(tool + ["--calls", str(n), "--seconds", str(args.seconds),
                                              "--warmup-secs", "3"])
    stop(sandbox)
    return out


def page_run(args):
    log(f"page → page latency: {args.bursts} bursts through Chromium")
    env = dict(os.environ, PIPHONE_BIN=args.piphone)
    return result_line(["node", os.path.join(BENCH, "audio_page.mjs"), "--bursts", str(args.bursts),
                        "--burst-ms", str(args.burst_ms), "--period-ms", str(args.period_ms)], env=env)


def report(res):
    a, m = res["args"], res["machine"]
    rows = []

    def latency(label, r, what):
        if r is None:
            return
        rtt = r["rtt_ms"]
        rows.append(f"| {label} round trip p50 / p99, ms | {fmt(rtt['p50'])} / {fmt(rtt['p99'])} | "
                    f"{fmt(rtt['min'])} … {fmt(rtt['max'])} | {r['matched']} of {what} |")
        rows.append(f"| … one way (half the round trip) p50 / p99, ms | {fmt(rtt['p50'] / 2)} / "
                    f"{fmt(rtt['p99'] / 2)} | | estimate |")

    s = res["streams"]
    lat = s["latency"]
    lat["matched"] = lat["bursts_heard"]
    latency("stream → echo → stream", lat, f"{lat['bursts_sent']} bursts sent; first 10 heard "
            f"{fmt(lat['first10_p50_ms'])} ms, last 10 {fmt(lat['last10_p50_ms'])} ms (medians)")
    page = res.get("page")
    latency("page → sandbox → echo → page (Chromium, WebRTC)", page,
            f"{page['bursts_heard']} heard" if page else "")
    idle = s["idle"]["cpu_share"]
    rows.append(f"| sandbox CPU idle, % of one core | {fmt(idle * 100)} | | over {fmt(s['idle']['seconds'], 1)} s |")
    for n, r in s["loads"].items():
        per_call = r["cpu_share"] / int(n)
        net = (r["cpu_share"] - idle) / int(n)
        rtt = r["rtt_ms"]
        rows.append(f"| sandbox CPU with {n} stream ↔ echo calls, % of one core per call | {fmt(per_call * 100)} | "
                    f"{fmt(net * 100)} less idle; total {fmt(r['cpu_share'] * 100)} % | round trip p50 / p99 "
                    f"{fmt(rtt['p50'])} / {fmt(rtt['p99'])} ms (calls' medians {fmt(r['call_p50_ms']['min'])} … "
                    f"{fmt(r['call_p50_ms']['max'])}; first 10 heard {fmt(r['first10_p50_ms'])}, last 10 "
                    f"{fmt(r['last10_p50_ms'])}), {r['bursts_heard']} of {r['bursts_sent']} bursts |")
    for name, size in res["sizes"].items():
        rows.append(f"| release binary {name}, MB | {size / 1e6:.1f} | | |")
    md = (f"Run {m['date']} at commit `{m['commit']}`: {m['nproc']} cores ({m['cpu'].split()[0]}), "
          f"{m['memory_gib']} GiB, Linux {m['kernel']}, {m['rustc']}; load average {res['load_before']:.1f} at the start "
          f"and {res['load_after']:.1f} at the end (the machine is shared).\n\n"
          "| Measure | value | range / detail | note |\n|---|---:|---|---|\n" + "\n".join(rows) + "\n\n"
          f"Bursts: −12 dBFS, {a['burst_ms']} ms every {a['period_ms']} ms (streams: 700, 1000, 1300, 1600 Hz in "
          "turn; the page: 1 kHz); latency runs of "
          f"{a['bursts']} bursts; CPU windows of {a['seconds']} s (user + system time of the sandbox process from "
          "/proc/PID/stat, after all streams started and a 3 s warm-up).\n")
    return md


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bursts", type=int, default=100, help="bursts timed per latency run (default 100)")
    ap.add_argument("--burst-ms", type=int, default=100, help="burst length, whole 20 ms frames (default 100)")
    ap.add_argument("--period-ms", type=int, default=500, help="one burst every this many ms (default 500)")
    ap.add_argument("--loads", default="1,10,50", help="concurrent stream calls for the CPU runs (default 1,10,50)")
    ap.add_argument("--seconds", type=int, default=20, help="CPU window per load and idle (default 20)")
    ap.add_argument("--skip-page", action="store_true", help="leave out the Chromium page → page run")
    ap.add_argument("--piphone", default=os.path.join(ROOT, "target", "release", "piphone"),
                    help="piphone built with the webrtc feature (the runs use it)")
    ap.add_argument("--plain", help="piphone built without the webrtc feature (only its size is measured)")
    ap.add_argument("--tools", default=os.path.join(BENCH, "tools", "target", "release"),
                    help="where the bench tools were built (default bench/tools/target/release)")
    ap.add_argument("--out", default=os.path.join(RESULTS, "audio.md"))
    ap.add_argument("--docs", action="store_true", help="also replace the audio results in docs/BENCHMARKS.md")
    args = ap.parse_args()
    args.loads = [int(n) for n in args.loads.split(",") if n]
    for name in ("piphone", "plain", "tools", "out"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    res = {"args": vars(args), "machine": machine(), "sizes": {}, "load_before": os.getloadavg()[0]}
    if args.plain:
        res["sizes"]["without webrtc"] = os.path.getsize(args.plain)
    res["sizes"]["with webrtc (the one measured)"] = os.path.getsize(args.piphone)
    with tempfile.TemporaryDirectory(prefix="piphone-audio-") as workdir:
        res["streams"] = stream_runs(args, workdir)
    if not args.skip_page:
        res["page"] = page_run(args)
    res["load_after"] = os.getloadavg()[0]
    md = publish(res, report, args.out)
    if args.docs:
        command = os.environ.get("PIPHONE_AUDIO_COMMAND") or " ".join(["bench/audio.py"] + sys.argv[1:])
        splice_docs(md, command.strip(), marker="audio")


if __name__ == "__main__":
    main()
