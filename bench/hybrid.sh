#!/usr/bin/env bash
# The studio hybrid's media path: added latency stream in → playback and capture → stream out (p50/p99), CPU per
# line and resident memory with all lines on air; evenly sent and bunched streams side by side in one run. What is
# and is not included: crates/piphone/examples/hybrid_latency.rs and docs/BENCHMARKS.md ("Studio hybrid").
#
#   bench/hybrid.sh [SECONDS] [LINES]      # default 30 s, 8 lines; each case runs for SECONDS in real time
#
# Builds the example in release (CARGO_TARGET_DIR is honoured); writes nothing outside a temporary directory.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-30}"
lines="${2:-8}"
echo "hybrid-bench: building the media bench (release)" >&2
(cd "$(dirname "$here")" && cargo build --release --quiet -p piphone --example hybrid_latency)
bin="${CARGO_TARGET_DIR:-$(dirname "$here")/target}/release/examples/hybrid_latency"
echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') at commit \`$(git -C "$here" rev-parse --short HEAD)\`: $(nproc) cores, $(uname -r)."
echo
# Bunch 1: one frame every 20 ms (a clean link); 3: three frames at once every 60 ms (a congested one).
for bunch in 1 3; do
    "$bin" "$seconds" "$lines" "$bunch" | { [ "$bunch" = 1 ] && cat || tail -n 1; }
done
