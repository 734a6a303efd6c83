#!/usr/bin/env bash
# Installs what advtune needs outside npm, if missing. `build`: clang and lld, which compile the
# app's own WASM kernels (scripts/native/build-kernels.ts). No argument: those, plus what the
# tests need: Debian's Chromium (the browser the end-to-end tests drive; never a downloaded one)
# and python3-torch (the independent oracle).
#
#   bash scripts/system-deps.sh [build]
set -euo pipefail

missing=()
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
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
