#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver from Debian's packages (chromium,
# chromium-driver) for the docs-site browser test. Idempotent: does nothing when
# /usr/bin/chromium and /usr/bin/chromedriver are already there. Runs unattended (no stdin),
# as root or through sudo when available.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver

if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
    echo "install_chromium: $CHROMIUM and $DRIVER already installed; nothing to do."
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: apt-get not found; install Chromium and chromedriver so that" \
         "$CHROMIUM and $DRIVER exist, then rerun." >&2
    exit 1
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "install_chromium: not root and no sudo; run as root:" \
             "apt-get update && apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install_chromium: missing $CHROMIUM or $DRIVER; running apt-get update"
$SUDO apt-get update -qq
echo "install_chromium: apt-get install -y -qq chromium chromium-driver"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver </dev/null

for f in "$CHROMIUM" "$DRIVER"; do
    if [[ ! -x "$f" ]]; then
        echo "install_chromium: $f still missing after apt-get install" >&2
        exit 1
    fi
done
echo "install_chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" \
     "and $("$DRIVER" --version 2>/dev/null | head -n1 || echo chromedriver)"
