#!/usr/bin/env bash
# The browser suite: installs what it needs (Chromium and chromedriver from Debian's packages; Selenium and a
# current axe-core from PyPI, into a virtual environment under .build/), builds the server, and runs the journeys.
# Screenshots land in artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "== installing chromium and chromium-driver (Debian)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

VENV=.build/browser-venv
if [ ! -x "$VENV/bin/python" ] && ! python3 -m venv "$VENV" 2>/dev/null; then
  rm -rf "$VENV"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$VENV"
fi
# selenium for WebDriver; axe-playwright-python only for the axe.min.js it bundles (its Playwright is not needed).
"$VENV/bin/pip" install -q --disable-pip-version-check "selenium>=4.20,<5"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps "axe-playwright-python==0.1.8"

if [ "${SAFEGUARD_SKIP_BUILD:-}" != "1" ]; then
  nice -n 10 swift build --product safeguard
fi
exec "$VENV/bin/python" browser-tests/suite.py --binary .build/debug/safeguard "$@"
