#!/usr/bin/env bash
# Smoke test of the Raspberry Pi build on this (x86_64) machine: runs dist/piphone-aarch64-unknown-linux-musl under
# qemu-aarch64 (user-mode emulation) in sandbox mode and checks that it serves: /healthz, a login, /token (a
# JWT for the user), and a /voice webhook signed as Twilio signs it (and the same unsigned, refused); then, when
# Chromium is here, `piphone kiosk` and `piphone call/dtmf/hangup` from the same aarch64 binary. Reports the
# binary's size and the server's resident memory when idle.
#
#   scripts/build-release.sh aarch64 && scripts/smoke-aarch64.sh [binary]
#
# Needs qemu-aarch64 (Debian: apt-get install qemu-user, or qemu-user-static), curl, openssl and python3.
# Under qemu-user the resident memory includes the emulator's own (translation cache); the native x86_64 build's
# figure is printed too when dist/ has it.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-dist/piphone-aarch64-unknown-linux-musl}
QEMU=${QEMU:-$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)}
[[ -x "$BIN" ]] || { echo "no $BIN: run scripts/build-release.sh aarch64 first" >&2; exit 2; }
[[ -n "$QEMU" ]] || { echo "qemu-aarch64 not found: apt-get install qemu-user" >&2; exit 2; }

work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- server log ---" >&2
  tail -n 30 "$work/server.log" >&2 || true
  exit 1
}
ok() { echo "ok    $*"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "binary: $BIN"
command -v file >/dev/null && file "$BIN"
size_bytes=$(stat -c %s "$BIN")
echo "size:   $(du -h "$BIN" | cut -f1) ($size_bytes bytes)"
"$QEMU" "$BIN" --version

# Start the server (as a Pi would) and wait for it to listen.
rss_of() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
start() { # start <binary> [launcher]: sets $pid and $url
  local port
  port=$(free_port)
  url="https://127.0.0.1:$port"
  rm -rf "$work/data"
  PIPHONE_DATA_DIR="$work/data" PIPHONE_LISTEN="127.0.0.1:$port" PIPHONE_ADMIN_PASSWORD=smoke-test-password \
    PIPHONE_LOG=info "${@:2}" "$1" serve >"$work/server.log" 2>&1 &
  pid=$!
  local started=$SECONDS
  until grep -qs "listening on" "$work/server.log"; do
    kill -0 "$pid" 2>/dev/null || fail "the server exited"
    ((SECONDS - started < 60)) || fail "not listening after 60 s"
    sleep 0.2
  done
}
# Trust exactly the server's certificate: curl checks its key against this SHA-256 pin.
pin_server() {
  pin=$(openssl x509 -in "$work/data/tls/cert.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -binary | base64)
}
t0=$(date +%s.%N)
start "$BIN" "$QEMU"
echo "listening on $url after $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s (under qemu)"

pin_server
c() { curl -sS --max-time 20 -k --pinnedpubkey "sha256//$pin" "$@"; }

health=$(c "$url/healthz")
grep -q '"status":"ok"' <<<"$health" && grep -q '"mode":"sandbox"' <<<"$health" || fail "/healthz: $health"
ok "/healthz: $health"

location=$(c -o /dev/null -w '%{redirect_url}' -c "$work/cookies" \
  --data-urlencode username=admin --data-urlencode password=smoke-test-password "$url/login")
[[ "$location" == "$url/" ]] || fail "login redirected to '$location'"
ok "login: admin signed in"

token_json=$(c -b "$work/cookies" "$url/token")
identity=$(python3 -c '
import base64, json, sys
jwt = json.loads(sys.argv[1])["token"]
payload = jwt.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
assert claims["grants"]["voice"]["outgoing"]["application_sid"].startswith("AP"), claims
print(claims["grants"]["identity"])' "$token_json") || fail "/token: $token_json"
[[ "$identity" == admin ]] || fail "/token identity $identity"
ok "/token: an Access Token for $identity"

# A call from admin's browser, signed as Twilio signs it: HMAC-SHA1(auth token, URL + sorted name+value), base64.
read -r signature form < <(python3 - "$work/data/sandbox.json" "$url/voice" <<'PY'
import base64, hashlib, hmac, json, sys, urllib.parse
creds = json.load(open(sys.argv[1]))
params = {"AccountSid": creds["account_sid"], "ApiVersion": "2010-04-01", "ApplicationSid": creds["app_sid"],
          "CallSid": "CA" + "0" * 32, "CallStatus": "ringing", "Direction": "inbound",
          "From": "client:admin", "Caller": "client:admin", "To": "+15551230001"}
signed = sys.argv[2] + "".join(k + params[k] for k in sorted(params))
sig = base64.b64encode(hmac.new(creds["auth_token"].encode(), signed.encode(), hashlib.sha1).digest()).decode()
print(sig, urllib.parse.urlencode(params))
PY
)
twiml=$(c -H "X-Twilio-Signature: $signature" --data "$form" "$url/voice")
grep -q '<Dial' <<<"$twiml" && grep -q '+15551230001' <<<"$twiml" || fail "/voice: $twiml"
ok "/voice (signed): $(grep -o '<Dial[^>]*>' <<<"$twiml")"
status=$(c -o /dev/null -w '%{http_code}' --data "$form" "$url/voice")
[[ "$status" == 403 ]] || fail "/voice without a signature answered $status"
ok "/voice (unsigned): refused with $status"

sleep 5
echo "idle memory (VmRSS, aarch64 under qemu-user, includes the emulator): $(rss_of "$pid") kB"

# The kiosk and the command line, aarch64 too (Chromium is this machine's own): call, tones, hang up.
chromium=${CHROMIUM_BIN:-/usr/bin/chromium}
if [[ -x "$chromium" ]]; then
  export PIPHONE_DATA_DIR="$work/data" PIPHONE_LISTEN="${url#https://}"
  PIPHONE_KIOSK_CHROMIUM="$chromium" PIPHONE_KIOSK_CHROMIUM_FLAGS="--use-fake-device-for-media-stream --no-sandbox" \
    "$QEMU" "$BIN" kiosk >"$work/kiosk.log" 2>&1 &
  kiosk=$!
  started=$SECONDS
  until "$QEMU" "$BIN" status 2>/dev/null | grep -q '^phone: idle'; do
    ((SECONDS - started < 60)) || { tail -n 20 "$work/kiosk.log" >&2; fail "the kiosk phone did not come up"; }
    sleep 1
  done
  ok "kiosk: $("$QEMU" "$BIN" status | head -n 1)"
  for command in "call +15551230001" "dtmf 42" "hangup"; do
    # shellcheck disable=SC2086 # the words of $command are its arguments
    said=$("$QEMU" "$BIN" $command 2>&1) || fail "piphone $command: $said"
    ok "piphone $command: $said"
  done
  kill "$kiosk"
  wait "$kiosk" 2>/dev/null || true
  unset PIPHONE_DATA_DIR PIPHONE_LISTEN
else
  echo "skip  kiosk: no Chromium at $chromium"
fi
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

native=dist/piphone-x86_64-unknown-linux-musl
if [[ -x "$native" ]]; then
  start "$native" env
  pin_server
  c "$url/healthz" >/dev/null
  c -o /dev/null -c "$work/cookies" --data-urlencode username=admin --data-urlencode password=smoke-test-password \
    "$url/login"
  c -b "$work/cookies" -o /dev/null "$url/token"
  sleep 5
  echo "idle memory (VmRSS, native $native after a login): $(rss_of "$pid") kB; size $(du -h "$native" | cut -f1)"
fi
echo "smoke test passed"
