#!/usr/bin/env bash
# Installs what advtune needs outside npm, if missing. `build`: clang and lld (16 or later), which
# compile the app's own WASM kernels (scripts/native/build-kernels.ts). No argument: those, plus what the
# tests need: Debian's Chromium (the browser the end-to-end tests drive; never a downloaded one)
# and python3-torch (the independent oracle).
#
#   bash scripts/system-deps.sh [build]
set -euo pipefail

# clang 16 or later with its wasm-ld: earlier ones encode relaxed SIMD with draft opcodes that
# engines now reject (scripts/native/build-kernels.ts). Debian 12's default clang is 14.
have_clang() {
  for v in 21 20 19 18 17 16; do
    command -v "clang-$v" >/dev/null && command -v "wasm-ld-$v" >/dev/null && return 0
  done
  command -v clang >/dev/null && command -v wasm-ld >/dev/null &&
    [ "$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)" -ge 16 ] 2>/dev/null
}

missing=()
have_clang || missing+=(clang-19 lld-19)
if [ "${1:-}" != build ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || missing+=(python3-torch python3-numpy)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
  echo "advtune needs these Debian packages: ${missing[*]}. Install them (apt-get install ${missing[*]}) and run again." >&2
  exit 1
fi
SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
echo "Installing Debian packages: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
