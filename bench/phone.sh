#!/usr/bin/env bash
# The kiosk's two phone engines side by side: memory (RSS and PSS of every process), CPU per call second and the
# time to the far end ringing. See bench/phone.py and docs/BENCHMARKS.md ("The phone without a browser").
#
#   bench/phone.sh [--seconds 20] [--docs]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v chromium >/dev/null 2>&1 || { echo "phone-bench: chromium is required (apt-get install chromium)" >&2; exit 1; }
echo "phone-bench: building piphone (release)" >&2
(cd "$(dirname "$here")" && cargo build --release --quiet -p piphone)
exec python3 "$here/phone.py" "$@"
