#!/usr/bin/env bash
# Set up, then run the main job on the embedded default data (scikit-learn's digits):
#   1. train the reference fully connected net and convnet and print their test accuracy;
#   2. the TA's whole pipeline on a made-up class: build the release, write submissions (the
#      solutions, the blank release, a few with typical bugs), grade them in parallel, write
#      feedback pages and print the grade table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m backpropkit
.venv/bin/bpk-grade demo
