#!/usr/bin/env bash
# piphone's audio benchmark: round trips of a tone through the sandbox (Media Streams → echo → Media Streams, and a
# Chromium page → WebRTC → echo → page), the sandbox's CPU per bridged call, and the binary's size with and without
# the `webrtc` feature, in one run. See docs/BENCHMARKS.md ("Audio").
#
#   bench/audio.sh               # everything (about 4 minutes after the builds); writes bench/results/audio.md
#   bench/audio.sh --docs        # also copy the table into docs/BENCHMARKS.md
#   bench/audio.sh --no-build    # use the binaries already built (target/release/piphone{,-no-webrtc})
#   bench/audio.sh --help        # every option
#
# Builds piphone in release twice (without, then with `--features sandbox/webrtc`; CARGO_TARGET_DIR is honoured)
# and the bench tools. Only loopback is used; everything started is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
target="${CARGO_TARGET_DIR:-$root/target}"

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "bench: $1 is required but not installed ($2)" >&2; exit 1; }
}
need cargo "https://rustup.rs"
need python3 "apt-get install python3"
need node "apt-get install nodejs"
[ -x "${CHROMIUM_BIN:-/usr/bin/chromium}" ] || { echo "bench: no Chromium (apt-get install chromium, or CHROMIUM_BIN)" >&2; exit 1; }

build=1
args=()
for a in "$@"; do
    case "$a" in
        --no-build) build=0 ;;
        -h|--help) # The command as typed, for the results' "Command:" line.
export PIPHONE_AUDIO_COMMAND="bench/audio.sh $*"
exec python3 "$here/audio.py" --help ;;
        *) args+=("$a") ;;
    esac
done

if [ "$build" = 1 ]; then
    echo "bench: building piphone (release, without and with the webrtc feature) and the bench tools" >&2
    (cd "$root" && cargo build --release --quiet -p piphone)
    cp "$target/release/piphone" "$target/release/piphone-no-webrtc"
    (cd "$root" && cargo build --release --quiet -p piphone --features sandbox/webrtc)
    cargo build --release --quiet --manifest-path "$here/tools/Cargo.toml" --target-dir "$here/tools/target"
fi
if [ ! -d "$root/node_modules/playwright-core" ]; then
    echo "bench: installing the browser tests' node modules (npm ci)" >&2
    (cd "$root" && npm ci --silent)
fi

# The command as typed, for the results' "Command:" line.
export PIPHONE_AUDIO_COMMAND="bench/audio.sh $*"
exec python3 "$here/audio.py" --piphone "$target/release/piphone" --plain "$target/release/piphone-no-webrtc" \
    "${args[@]}"
