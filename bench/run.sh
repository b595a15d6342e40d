#!/usr/bin/env bash
# piphone's benchmark: piphone vs the seed's design (Flask + twilio-python under gunicorn) vs the ceiling
# (a minimal axum server), side by side in one run. See docs/BENCHMARKS.md.
#
#   bench/run.sh                 # everything (a few minutes); writes bench/results/latest.md
#   bench/run.sh --skip-events   # only /voice, /token, memory, start-up and size
#   bench/run.sh --docs          # also copy the table into docs/BENCHMARKS.md
#   bench/run.sh --help          # every option
#
# Builds what it needs first (piphone in release, the bench tools, a Python venv in bench/.venv). Only loopback
# is used; everything started is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is required but not installed ($2)" >&2; exit 1; }
}
need cargo "https://rustup.rs"
need wrk "apt-get install wrk"
need python3 "apt-get install python3 python3-venv"

venv="$here/.venv"
if [ ! -x "$venv/bin/gunicorn" ] || ! "$venv/bin/python" -c 'import flask, twilio' 2>/dev/null; then
    echo "bench: creating $venv (flask, gunicorn, twilio)" >&2
    python3 -m venv "$venv" || { echo "bench: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/baseline/requirements.txt"
fi

echo "bench: building piphone (release) and the bench tools" >&2
(cd "$root" && cargo build --release --quiet -p piphone)
cargo build --release --quiet --manifest-path "$here/tools/Cargo.toml"

exec "$venv/bin/python" "$here/bench.py" "$@"
