#!/usr/bin/env bash
# README command 1: set up and run the platform on the embedded default (SQLite under ./var).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/evinfra demo "$@"
