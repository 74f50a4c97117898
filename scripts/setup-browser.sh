#!/usr/bin/env bash
# Install what the browser tests (tests/e2e/) need beyond .venv: Debian's Chromium and its driver.
# The tests drive it through the Python package playwright, pointed at /usr/bin/chromium, so no
# browser is ever downloaded by playwright itself.
#
# Runs apt-get when it can (root on Debian/Ubuntu); otherwise it says why the browser tests will
# be skipped, and exits 0 so that the other tests still run. In CI (CI=true) a missing browser
# fails those tests instead.
set -euo pipefail
cd "$(dirname "$0")/.."

chromium="${BACKPROPKIT_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$chromium" ]; then
  echo "setup-browser: $("$chromium" --version 2>/dev/null || echo "$chromium") is installed"
elif ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no apt-get here; the browser tests will be skipped." >&2
  echo "setup-browser: install Chromium yourself and set BACKPROPKIT_CHROMIUM=/path/to/chromium." >&2
elif [ "$(id -u)" -ne 0 ]; then
  echo "setup-browser: not root, so Chromium cannot be installed; the browser tests will be skipped." >&2
  echo "setup-browser: run 'sudo bash scripts/setup-browser.sh' once to enable them." >&2
else
  echo "setup-browser: installing chromium and chromium-driver with apt-get (about a minute)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
  echo "setup-browser: $("$chromium" --version 2>/dev/null || echo "$chromium") is installed"
fi

# The Python side: playwright drives Chromium over its DevTools protocol.
if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import playwright" 2>/dev/null; then
  echo "setup-browser: installing the Python package playwright into .venv"
  .venv/bin/python -m pip install --quiet playwright
fi
