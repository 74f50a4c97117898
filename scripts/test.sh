#!/usr/bin/env bash
# Set up, then run the whole test suite (slow end-to-end tests included; add -m "not slow" to skip them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-browser.sh   # Chromium for the browser tests (installs only as root)
exec .venv/bin/python -m pytest "$@"
