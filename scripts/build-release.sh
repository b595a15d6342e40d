#!/usr/bin/env bash
# Release binaries from one script: a static aarch64 build for the Raspberry Pi (Raspberry Pi OS 64-bit) and an
# x86_64 one, both `*-unknown-linux-musl` (no glibc version to match, nothing to install next to them). Cross
# compiling uses cargo-zigbuild, with Zig (from PyPI's `ziglang`, in a private venv) as the C compiler for the
# bundled SQLite and ring. Everything it installs goes under .tools/ (git-ignored); the output goes to dist/.
#
#   scripts/build-release.sh            # both targets
#   scripts/build-release.sh aarch64    # just the Pi build (or: x86_64)
#   PIPHONE_BUILD_FLAGS=--no-default-features scripts/build-release.sh aarch64
#                                       # without the sandbox's WebRTC media (about 4 MB smaller; see raspberry-pi.md)
#
# Needs: rustup, python3 with venv, network for the first run (toolchain target, ziglang, cargo-zigbuild).
# A release build takes a while (thin LTO): ~10-20 minutes per target on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.15.2
TOOLS="$PWD/.tools"

case "${1:-all}" in
  all) targets=(aarch64-unknown-linux-musl x86_64-unknown-linux-musl) ;;
  aarch64) targets=(aarch64-unknown-linux-musl) ;;
  x86_64) targets=(x86_64-unknown-linux-musl) ;;
  *) echo "usage: $0 [all|aarch64|x86_64]" >&2; exit 2 ;;
esac

step() { printf '\n── %s ──\n' "$*"; }

step "rust targets"
rustup target add "${targets[@]}"

step "zig $ZIGLANG_VERSION (PyPI ziglang, in $TOOLS/zig-venv)"
if ! "$TOOLS/zig-venv/bin/python" -m ziglang version 2>/dev/null | grep -qx "$ZIGLANG_VERSION"; then
  python3 -m venv "$TOOLS/zig-venv"
  "$TOOLS/zig-venv/bin/pip" install --quiet --disable-pip-version-check "ziglang==$ZIGLANG_VERSION"
fi
"$TOOLS/zig-venv/bin/python" -m ziglang version

step "cargo-zigbuild $ZIGBUILD_VERSION"
if ! "$TOOLS/bin/cargo-zigbuild" --version 2>/dev/null | grep -q " $ZIGBUILD_VERSION\$"; then
  cargo install --locked --root "$TOOLS" cargo-zigbuild --version "$ZIGBUILD_VERSION"
fi
"$TOOLS/bin/cargo-zigbuild" --version

# cargo-zigbuild runs `python3 -m ziglang` when no `zig` is on PATH: the venv's python3 comes first.
export PATH="$TOOLS/bin:$TOOLS/zig-venv/bin:$PATH"
mkdir -p dist
for target in "${targets[@]}"; do
  step "cargo zigbuild --release --target $target"
  started=$SECONDS
  # shellcheck disable=SC2086 # PIPHONE_BUILD_FLAGS is a list of cargo flags
  cargo zigbuild --release --locked -p piphone --target "$target" ${PIPHONE_BUILD_FLAGS:-}
  out="dist/piphone-$target"
  cp "target/$target/release/piphone" "$out"
  echo "built $out in $((SECONDS - started)) s: $(du -h "$out" | cut -f1) ($(stat -c %s "$out") bytes)"
  command -v file >/dev/null && file "$out"
done

step "dist/"
(cd dist && sha256sum piphone-* | tee SHA256SUMS)
