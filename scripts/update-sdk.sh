#!/usr/bin/env bash
# Vendor the Twilio Voice SDK browser bundle from the pinned npm package (see package.json / package-lock.json)
# into crates/piphone/web/static/vendor/, recording its version and sha256 in VERSION.
#   scripts/update-sdk.sh          copy the bundle and write VERSION
#   scripts/update-sdk.sh --check  fail if the committed bundle or VERSION differs from the pinned package
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=node_modules/@twilio/voice-sdk
src="$pkg/dist/twilio.min.js"
dest_dir=crates/piphone/web/static/vendor
dest="$dest_dir/twilio.min.js"

if [[ ! -f "$src" ]]; then
  echo "update-sdk: $src is missing; run 'npm ci' first" >&2
  exit 1
fi
version=$(node -p "require('./$pkg/package.json').version")
pinned=$(node -p "require('./package.json').devDependencies['@twilio/voice-sdk']")
if [[ "$version" != "$pinned" ]]; then
  echo "update-sdk: installed @twilio/voice-sdk $version but package.json pins $pinned; run 'npm ci'" >&2
  exit 1
fi
sha=$(sha256sum "$src" | cut -d' ' -f1)
expected_version_file="@twilio/voice-sdk $version
dist/twilio.min.js sha256 $sha"

if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$src" "$dest"; then
    echo "update-sdk: $dest differs from the pinned @twilio/voice-sdk $version bundle; run scripts/update-sdk.sh" >&2
    exit 1
  fi
  if [[ "$(cat "$dest_dir/VERSION" 2>/dev/null)" != "$expected_version_file" ]]; then
    echo "update-sdk: $dest_dir/VERSION is stale; run scripts/update-sdk.sh" >&2
    exit 1
  fi
  echo "update-sdk: vendored bundle matches @twilio/voice-sdk $version ($sha)"
  exit 0
fi

mkdir -p "$dest_dir"
cp "$src" "$dest"
printf '%s\n' "$expected_version_file" > "$dest_dir/VERSION"
echo "update-sdk: vendored @twilio/voice-sdk $version ($sha) into $dest"
