#!/usr/bin/env bash
# piphone's one test command. On a fresh machine it first installs what is missing (idempotently):
#   - Debian's chromium (apt-get, only when /usr/bin/chromium is absent and we are root)
#   - sox and espeak-ng (apt-get, the same way): the audio tests compare against them and fail without them
#   - node_modules (npm ci) when missing or older than package-lock.json
#   - a Python venv at .venv with twilio==9.13.0 (the reference library some Rust tests compare against)
# then runs: rustfmt check, import cycles (scripts/check-imports.py), the sandbox crate's independence from piphone,
# clippy -D warnings, the Rust tests (nextest when present), the vendored-SDK check,
# and the browser tests (real Voice SDK in headless Chromium).
#
# Environment: SKIP_BROWSER=1 skips the browser tests; CHROMIUM_BIN overrides /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
# A full run rebuilds what changed anyway; incremental caches would add gigabytes to target/ for nothing.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
declare -a summary=()
current=""

bold() { if [[ -t 1 ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
die() {
  printf '\ntest.sh: %s\n' "$*" >&2
  exit 1
}
on_exit() {
  local rc=$?
  echo
  bold "── summary ($((SECONDS - started)) s) ──"
  for line in "${summary[@]+"${summary[@]}"}"; do echo "  ok    $line"; done
  if [[ $rc -ne 0 ]]; then
    echo "  FAIL  ${current:-setup} (exit $rc)"
    [[ -d test-results ]] && echo "  browser screenshots and logs: test-results/"
  else
    echo "  all passed"
  fi
}
trap on_exit EXIT

# step "name" cmd args...: run one step, record it in the summary, stop at the first failure.
step() {
  current=$1
  shift
  local t0=$SECONDS
  bold "── $current ──"
  "$@"
  summary+=("$current ($((SECONDS - t0)) s)")
}

# ---- prerequisites -------------------------------------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is required but not installed ($2)"; }
need cargo "install Rust from https://rustup.rs"
need node "install Node.js 20 or newer"
need npm "install Node.js 20 or newer (npm comes with it)"
need python3 "apt-get install python3 python3-venv"

chromium_bin=${CHROMIUM_BIN:-/usr/bin/chromium}
install_chromium() {
  if [[ -x "$chromium_bin" ]]; then
    echo "chromium: $chromium_bin"
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "chromium: installing Debian's chromium package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    die "Chromium not found at $chromium_bin. Install it (sudo apt-get install chromium) or set CHROMIUM_BIN."
  fi
}

# The audio tests (crates/audio) listen with sox and espeak-ng as references; without them they fail, never skip.
install_audio_tools() {
  local missing=()
  command -v sox >/dev/null 2>&1 || missing+=(sox)
  command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "audio tools: $(command -v sox) $(command -v espeak-ng)"
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "audio tools: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    die "${missing[*]} not found: the audio tests need them. Install them (sudo apt-get install ${missing[*]})."
  fi
}

install_node_modules() {
  if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
    npm ci --no-audit --no-fund
    touch node_modules
  else
    echo "node_modules: up to date"
  fi
}

install_venv() {
  if [[ ! -x .venv/bin/python ]] || ! .venv/bin/python -c 'import twilio, jwt' 2>/dev/null; then
    python3 -m venv .venv || die "could not create .venv (apt-get install python3-venv)"
    .venv/bin/pip install --quiet --disable-pip-version-check 'twilio==9.13.0'
  else
    echo ".venv: twilio $(.venv/bin/python -c 'import twilio; print(twilio.__version__)')"
  fi
}

rust_tests() {
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast
  else
    echo "cargo-nextest not found; using cargo test"
    cargo test --workspace --no-fail-fast
  fi
}

# The sandbox crate stands on its own: no piphone package among its dependencies, no piphone module named in it.
sandbox_independent() {
  local tree
  tree=$(cargo tree -p piphone-sandbox -e normal,build)
  if grep -E '(^|[^-])piphone v' <<<"$tree"; then
    die "piphone-sandbox depends on piphone (cargo tree above)"
  fi
  if grep -rnE '\bpiphone::' crates/sandbox; then
    die "the sandbox crate names piphone's modules (above)"
  fi
}

# No C crypto in the binary: rustls runs on ring, and the sandbox's WebRTC backend (str0m-rust-crypto) is vendored
# without dimpl's certificate generator on aws-lc-rs (vendor/str0m-rust-crypto/README.md).
no_aws_lc() {
  if cargo tree -p piphone -e normal,build | grep -i 'aws-lc'; then
    die "aws-lc is in piphone's dependency tree (above)"
  fi
}

browser_tests() {
  rm -rf test-results
  PIPHONE_BIN="$PWD/target/debug/piphone" CHROMIUM_BIN="$chromium_bin" npm run --silent test:browser
}

if [[ "${SKIP_BROWSER:-}" != 1 ]]; then
  step "chromium" install_chromium
fi
step "sox and espeak-ng" install_audio_tools
step "npm ci" install_node_modules
step "python venv" install_venv
# Tests that compare against twilio-python find it as $PIPHONE_PYTHON or as the first python3 on PATH.
export PIPHONE_PYTHON="$PWD/.venv/bin/python"
export PATH="$PWD/.venv/bin:$PATH"

step "cargo fmt --check" cargo fmt --all -- --check
step "import cycles" python3 scripts/check-imports.py
step "sandbox crate independent of piphone" sandbox_independent
step "no aws-lc (C crypto) in the tree" no_aws_lc
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets -- -D warnings
step "rust tests" rust_tests
step "vendored Voice SDK matches the pinned npm package" scripts/update-sdk.sh --check
# The browser tests run target/debug/piphone, the binary the Rust tests just built (crash and secrets tests
# spawn it too). A separate `cargo build -p piphone` would compile half the dependency tree a second time with
# different features (dev-dependencies are unified into test builds) and double target/'s size.
step "piphone binary built by the Rust tests" test -x target/debug/piphone
if [[ "${SKIP_BROWSER:-}" == 1 ]]; then
  echo "SKIP_BROWSER=1: browser tests skipped"
else
  step "browser tests" browser_tests
fi
current=""
