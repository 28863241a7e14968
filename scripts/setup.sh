#!/usr/bin/env bash
# One-step set-up on a fresh Debian/Ubuntu machine: system packages the product and its tests
# use (SoftHSM2, OpenSC, poppler, qpdf, Chromium, a C compiler for the native test module),
# then the npm dependencies and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(softhsm2 opensc poppler-utils qpdf chromium ghostscript mupdf-tools openssl
  build-essential python3 fonts-liberation fonts-dejavu-core xvfb ca-certificates libnss3-tools postgresql)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install: ${missing[*]} (sudo apt-get install ...)" >&2
  fi
fi

# The Electron binary is downloaded from outside the npm registry; skip it unless asked for.
export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"
npm ci --no-audit --no-fund
